//! The real SDK against a Glacier test double on 127.0.0.1 (see `double/mod.rs`).

mod double;

use double::{at, data, slice, Fault, Glacier, Plan, Target, TempDir};
use glacier_tree_hash::{tree_hash, PartSize, TreeHash};
use glacier_tree_hash_aws::{
    download_archive, list_parts, partial_file_path, resume_upload, state_file_path, upload_file,
    DownloadOptions, Problem, UploadOptions,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Notify;

const MIB: u64 = 1 << 20;
const VAULT: &str = "test-vault";

/// The published tree hash of 5.5 MiB of zeros.
const ZEROS_5_5_MIB: &str = "a3a82dbe3644dd6046be472f2e3ec1f8ef47f8f3adb86d0de4de7a254f255455";
/// SHA-256 of nothing, the tree hash of an empty archive.
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn stored(glacier: &Glacier, archive_id: &str) -> Vec<u8> {
    glacier.state().archives[archive_id].data.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_uploads_of_0_1_and_1_mib_plus_1_bytes() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("single");
    for (len, name) in [(0, "empty"), (1, "one"), (MIB + 1, "mib-plus-one")] {
        let bytes = data(len, len + 7);
        let path = dir.file(name, &bytes);
        let uploaded = upload_file(&client, VAULT, &path, &UploadOptions::default())
            .await
            .unwrap();
        assert_eq!(uploaded.upload_id, None, "{len} bytes go in one request");
        assert_eq!(uploaded.parts_uploaded, 0);
        assert_eq!(uploaded.size, len);
        assert_eq!(uploaded.tree_hash, tree_hash(&bytes));
        assert_eq!(stored(&glacier, &uploaded.archive_id), bytes);
        if len == 0 {
            assert_eq!(uploaded.tree_hash.to_string(), EMPTY);
        }
    }
    let state = glacier.state();
    assert_eq!(state.count("UploadArchive"), 3);
    assert_eq!(state.count("InitiateMultipartUpload"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_vector_through_the_endpoint() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let zeros = vec![0u8; (5 * MIB + MIB / 2) as usize];

    // The SDK alone, no checksum given: the double recomputes and accepts the SDK's headers,
    // and the tree hash the SDK sent is the published one.
    let output = client
        .upload_archive()
        .vault_name(VAULT)
        .body(zeros.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(output.checksum(), Some(ZEROS_5_5_MIB));
    assert_eq!(
        glacier
            .state()
            .received_tree_hashes
            .last()
            .map(String::as_str),
        Some(ZEROS_5_5_MIB)
    );

    // This crate, in 1 MiB parts: the assembled archive checksum is the published one too.
    let dir = TempDir::new("vector");
    let path = dir.file("zeros", &zeros);
    let options = UploadOptions::default()
        .single_request_limit(0)
        .part_size(PartSize::MIN);
    let uploaded = upload_file(&client, VAULT, &path, &options).await.unwrap();
    assert_eq!(uploaded.tree_hash.to_string(), ZEROS_5_5_MIB);
    assert_eq!(uploaded.parts_uploaded, 6);
    assert_eq!(
        glacier.state().archives[&uploaded.archive_id]
            .tree_hash
            .to_string(),
        ZEROS_5_5_MIB
    );
    assert_eq!(glacier.state().received_part_sizes, ["1048576"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_of_dozens_of_mib() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("multipart");
    let bytes = data(40 * MIB + 12345, 3);
    let path = dir.file("archive", &bytes);
    let options = UploadOptions::default()
        .part_size("4MiB".parse().unwrap())
        .parts_in_flight(3)
        .description("forty MiB");
    let uploaded = upload_file(&client, VAULT, &path, &options).await.unwrap();
    assert_eq!(uploaded.parts_uploaded, 11);
    assert_eq!(uploaded.size, bytes.len() as u64);
    assert_eq!(uploaded.tree_hash, tree_hash(&bytes));
    assert!(uploaded.upload_id.is_some());
    assert_eq!(stored(&glacier, &uploaded.archive_id), bytes);
    let state = glacier.state();
    assert_eq!(state.received_part_sizes, ["4194304"]);
    assert_eq!(state.count("UploadMultipartPart"), 11);
    assert_eq!(state.count("CompleteMultipartUpload"), 1);
    assert!(
        state.max_parts_in_flight <= 3,
        "{} parts at once, more than the 3 allowed",
        state.max_parts_in_flight
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_checksums_and_missing_ranges_are_refused() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let bytes = data(2 * MIB + 10, 11);
    let wrong = tree_hash(b"not the body");

    // A checksum passed to the SDK is sent as it is, and the endpoint refuses it.
    let refused = client
        .upload_archive()
        .vault_name(VAULT)
        .checksum(wrong.to_string())
        .body(bytes.clone().into())
        .send()
        .await
        .unwrap_err();
    let message = aws_sdk_glacier::error::DisplayErrorContext(&refused).to_string();
    assert!(message.contains("Checksum mismatch"), "{message}");
    assert!(glacier.state().archives.is_empty());

    // A multipart upload of two parts of 2 MiB, by hand.
    let upload_id = client
        .initiate_multipart_upload()
        .vault_name(VAULT)
        .part_size((2 * MIB).to_string())
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    // A part not at a multiple of the part size is refused.
    let misplaced = client
        .upload_multipart_part()
        .vault_name(VAULT)
        .upload_id(&upload_id)
        .range(format!("bytes {}-{}/*", MIB, 2 * MIB - 1))
        .body(slice(&bytes, MIB..2 * MIB).to_vec().into())
        .send()
        .await
        .unwrap_err();
    let message = aws_sdk_glacier::error::DisplayErrorContext(&misplaced).to_string();
    assert!(message.contains("does not fit the part size"), "{message}");
    let first = slice(&bytes, 0..2 * MIB);
    client
        .upload_multipart_part()
        .vault_name(VAULT)
        .upload_id(&upload_id)
        .range(format!("bytes 0-{}/*", 2 * MIB - 1))
        .body(first.to_vec().into())
        .send()
        .await
        .unwrap();
    let size = (bytes.len() as u64).to_string();
    // The second part is missing: refused, even with the right checksum.
    let missing = client
        .complete_multipart_upload()
        .vault_name(VAULT)
        .upload_id(&upload_id)
        .archive_size(&size)
        .checksum(tree_hash(&bytes).to_string())
        .send()
        .await
        .unwrap_err();
    let message = aws_sdk_glacier::error::DisplayErrorContext(&missing).to_string();
    assert!(message.contains("missing"), "{message}");
    client
        .upload_multipart_part()
        .vault_name(VAULT)
        .upload_id(&upload_id)
        .range(format!("bytes {}-{}/*", 2 * MIB, bytes.len() - 1))
        .body(slice(&bytes, 2 * MIB..bytes.len() as u64).to_vec().into())
        .send()
        .await
        .unwrap();
    // A wrong archive checksum is refused; the right one is accepted, twice (idempotent).
    let wrong_complete = client
        .complete_multipart_upload()
        .vault_name(VAULT)
        .upload_id(&upload_id)
        .archive_size(&size)
        .checksum(wrong.to_string())
        .send()
        .await
        .unwrap_err();
    let message = aws_sdk_glacier::error::DisplayErrorContext(&wrong_complete).to_string();
    assert!(message.contains("Checksum mismatch"), "{message}");
    let mut archive_ids = Vec::new();
    for _ in 0..2 {
        let done = client
            .complete_multipart_upload()
            .vault_name(VAULT)
            .upload_id(&upload_id)
            .archive_size(&size)
            .checksum(tree_hash(&bytes).to_string())
            .send()
            .await
            .unwrap();
        archive_ids.push(done.archive_id().unwrap().to_owned());
    }
    assert_eq!(archive_ids[0], archive_ids[1]);
    assert_eq!(stored(&glacier, &archive_ids[0]), bytes);
}

/// Starts a multipart upload of `bytes` in 1 MiB parts with the part at `lost` lost on the way,
/// so CompleteMultipartUpload is refused; returns the file and the upload id.
async fn upload_losing_a_part(
    glacier: &Glacier,
    dir: &TempDir,
    bytes: &[u8],
    lost: u64,
) -> (PathBuf, String) {
    let path = dir.file("archive", bytes);
    glacier.plan(Plan::new(
        0,
        vec![at("UploadMultipartPart", lost, Fault::LosePart, 1)],
    ));
    let options = UploadOptions::default()
        .single_request_limit(0)
        .part_size(PartSize::MIN);
    let error = upload_file(&glacier.client(), VAULT, &path, &options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.problem(),
            Problem::Service {
                operation: "CompleteMultipartUpload",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(glacier.state().faults_in("UploadMultipartPart"), 1);
    let upload_id = error.upload_id().unwrap().to_owned();
    (path, upload_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_lost_part_uploads_only_that_part() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("resume");
    let bytes = data(10 * MIB + 3, 5);
    let (path, upload_id) = upload_losing_a_part(&glacier, &dir, &bytes, 5 * MIB).await;
    glacier.state().page_size = 4;
    glacier.state().requests.clear();

    let resumed = resume_upload(&client, VAULT, &upload_id, &path, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(resumed.parts_uploaded, 1);
    assert_eq!(resumed.tree_hash, tree_hash(&bytes));
    assert_eq!(resumed.upload_id.as_deref(), Some(upload_id.as_str()));
    assert_eq!(stored(&glacier, &resumed.archive_id), bytes);
    let state = glacier.state();
    assert_eq!(state.count("UploadMultipartPart"), 1, "only the lost part");
    assert_eq!(state.count("ListParts"), 3, "10 parts listed 4 a page");
    assert_eq!(state.count("CompleteMultipartUpload"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_replaces_a_part_that_differs_and_refuses_another_file() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("resume-differs");
    let mut bytes = data(4 * MIB + 100, 9);
    let (path, upload_id) = upload_losing_a_part(&glacier, &dir, &bytes, 4 * MIB).await;

    // A shorter file than the upload's parts: refused, naming the part.
    let short = dir.file("short", &bytes[..(2 * MIB) as usize]);
    let error = resume_upload(
        &client,
        VAULT,
        &upload_id,
        &short,
        &UploadOptions::default(),
    )
    .await
    .unwrap_err();
    match error.problem() {
        Problem::PartNotInFile { range, .. } => assert_eq!(*range, 2 * MIB..3 * MIB),
        _ => panic!("{error}"),
    }

    // The file changed in its second part since: that part is uploaded again with the lost one.
    bytes[(MIB + 17) as usize] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    glacier.state().requests.clear();
    let resumed = resume_upload(&client, VAULT, &upload_id, &path, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(resumed.parts_uploaded, 2);
    assert_eq!(resumed.tree_hash, tree_hash(&bytes));
    assert_eq!(stored(&glacier, &resumed.archive_id), bytes);
    assert_eq!(glacier.state().count("UploadMultipartPart"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parts_spans_several_pages() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("list");
    let bytes = data(9 * MIB + 1, 13);
    let (_, upload_id) = upload_losing_a_part(&glacier, &dir, &bytes, 3 * MIB).await;
    glacier.state().page_size = 2;
    glacier.state().requests.clear();

    let listed = list_parts(&client, VAULT, &upload_id).await.unwrap();
    assert_eq!(listed.part_size, PartSize::MIN);
    assert_eq!(listed.pages, 5, "9 parts, 2 a page");
    assert_eq!(glacier.state().count("ListParts"), 5);
    let expected: Vec<(std::ops::Range<u64>, TreeHash)> = PartSize::MIN
        .parts(bytes.len() as u64)
        .map(|part| part.range())
        .filter(|range| range.start != 3 * MIB)
        .map(|range| (range.clone(), tree_hash(slice(&bytes, range.clone()))))
        .collect();
    assert_eq!(listed.parts, expected);
}

fn output_matches(path: &Path, bytes: &[u8]) -> bool {
    std::fs::read(path).unwrap() == bytes
}

/// Fault: the range at 4 MiB arrives corrupt on every attempt (4, the test client's). Outcome:
/// the download ends naming the range, nothing of it written, progress kept in the partial
/// file; a range then damaged in the partial file is found on resume and fetched again; the
/// output is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_in_ranges_catches_corruption_and_resumes() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("download");
    let bytes = data(9 * MIB + 5, 17);
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    let options = DownloadOptions::default()
        .range_size("2MiB".parse().unwrap())
        .ranges_in_flight(1);

    glacier.plan(Plan::new(
        0,
        vec![at("GetJobOutput", 4 * MIB, Fault::CorruptRange, 4)],
    ));
    let error = download_archive(&client, VAULT, &job, &out, &options)
        .await
        .unwrap_err();
    match error.problem() {
        Problem::Range {
            range,
            attempts,
            problem,
        } => {
            assert_eq!(*range, 4 * MIB..6 * MIB);
            assert_eq!(*attempts, 4);
            let expected = tree_hash(slice(&bytes, 4 * MIB..6 * MIB));
            assert!(
                problem.contains(&format!("Glacier sent {expected}")),
                "{problem}"
            );
        }
        _ => panic!("{error}"),
    }
    assert!(error.to_string().contains("4194304..6291456"), "{error}");
    assert!(state_file_path(&out).exists(), "progress is kept");
    assert!(
        !out.exists(),
        "nothing at the output path before it is verified"
    );
    let partial = partial_file_path(&out);
    let written = std::fs::read(&partial).unwrap();
    assert_eq!(slice(&written, 0..4 * MIB), slice(&bytes, 0..4 * MIB));
    assert!(slice(&written, 4 * MIB..6 * MIB).iter().all(|&b| b == 0));
    assert_eq!(glacier.state().count("GetJobOutput"), 2 + 4);

    // Damage the first range in the partial file: resuming re-hashes what the state records.
    let mut on_disk = written;
    on_disk[100] ^= 0x80;
    std::fs::write(&partial, &on_disk).unwrap();
    glacier.state().requests.clear();

    let done = download_archive(&client, VAULT, &job, &out, &options)
        .await
        .unwrap();
    assert_eq!(done.ranges_resumed, 1, "only bytes 2-4 MiB were intact");
    assert_eq!(done.ranges_downloaded, 4);
    assert_eq!(glacier.state().count("GetJobOutput"), 4);
    assert_eq!(done.size, bytes.len() as u64);
    assert_eq!(done.tree_hash, tree_hash(&bytes));
    assert!(output_matches(&out, &bytes));
    assert!(!state_file_path(&out).exists());
    assert!(!partial.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_refuses_output_that_does_not_match_the_job() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("download-mismatch");
    let bytes = data(3 * MIB, 19);
    let job = glacier.add_job(bytes.clone(), tree_hash(b"another archive"));
    let out = dir.0.join("restored");
    let error = download_archive(&client, VAULT, &job, &out, &DownloadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.problem(), Problem::Mismatch { actual, .. } if *actual == tree_hash(&bytes)),
        "{error}"
    );
    assert!(!state_file_path(&out).exists());
    assert!(!out.exists());

    // An empty archive downloads as an empty file.
    let empty_job = glacier.add_job(Vec::new(), EMPTY.parse().unwrap());
    let done = download_archive(
        &client,
        VAULT,
        &empty_job,
        &out,
        &DownloadOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!((done.size, done.ranges_downloaded), (0, 0));
    assert!(output_matches(&out, b""));

    // A job the double does not know: refused, saying what to do.
    let other = dir.0.join("other");
    let error = download_archive(
        &client,
        VAULT,
        "no-such-job",
        &other,
        &DownloadOptions::default(),
    )
    .await
    .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            error.problem(),
            Problem::NotFound {
                operation: "DescribeJob",
                ..
            }
        ) && message.starts_with("job no-such-job: DescribeJob: no such job")
            && message.contains("start a new archive-retrieval job"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_with_ranges_in_parallel() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("download-parallel");
    let bytes = data(9 * MIB + 5, 23);
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    let options = DownloadOptions::default()
        .range_size(PartSize::MIN)
        .ranges_in_flight(4);
    let done = download_archive(&client, VAULT, &job, &out, &options)
        .await
        .unwrap();
    assert_eq!((done.ranges_downloaded, done.ranges_resumed), (10, 0));
    assert_eq!(glacier.state().count("GetJobOutput"), 10);
    assert_eq!(done.tree_hash, tree_hash(&bytes));
    assert!(output_matches(&out, &bytes));
}

/// Faults: ListParts with a `RangeInBytes` that is not `FIRST-LAST`; GetJobOutput without its
/// tree hash on every attempt. Outcome: typed errors; nothing unverified written or recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_responses_are_errors() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("malformed");

    let bytes = data(3 * MIB, 29);
    let (_, upload_id) = upload_losing_a_part(&glacier, &dir, &bytes, MIB).await;
    let every = |operation, fault| double::Rule {
        operation,
        target: Target::Every,
        fault,
        times: u32::MAX,
    };
    glacier.plan(Plan::new(0, vec![every("ListParts", Fault::GarbleRange)]));
    let error = list_parts(&client, VAULT, &upload_id).await.unwrap_err();
    assert!(
        matches!(
            error.problem(),
            Problem::Response {
                operation: "ListParts",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("RangeInBytes \"0..1048576\""),
        "{error}"
    );

    glacier.plan(Plan::new(
        0,
        vec![every("GetJobOutput", Fault::OmitTreeHash)],
    ));
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    let error = download_archive(&client, VAULT, &job, &out, &DownloadOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error.problem(), Problem::Range { range, attempts: 4, .. } if *range == (0..3 * MIB)),
        "{error}"
    );
    assert!(
        error.to_string().contains("no x-amz-sha256-tree-hash"),
        "{error}"
    );
    let partial = std::fs::read(partial_file_path(&out)).unwrap();
    assert!(partial.iter().all(|&b| b == 0));
    let state = std::fs::read_to_string(state_file_path(&out)).unwrap();
    assert_eq!(state.lines().count(), 1, "only the header: {state}");
}

/// Fault: the partial file changes on disk while the last range is in flight. Outcome: the
/// final read-back check fails; nothing reaches the output path; the state file is removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_reads_the_file_back_and_catches_a_change() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("download-reread");
    let bytes = data(2 * MIB + 1, 31);
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    let (reached, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    glacier.state().pause = Some((
        "GetJobOutput",
        2 * MIB,
        Arc::clone(&reached),
        Arc::clone(&resume),
    ));

    let client = glacier.client();
    let task_out = out.clone();
    let download = tokio::spawn(async move {
        let options = DownloadOptions::default()
            .range_size(PartSize::MIN)
            .ranges_in_flight(1);
        download_archive(&client, VAULT, &job, &task_out, &options).await
    });
    // The first two ranges are verified and written; change the file before the last arrives.
    reached.notified().await;
    let partial = partial_file_path(&out);
    let mut on_disk = std::fs::read(&partial).unwrap();
    on_disk[100] ^= 0x04;
    std::fs::write(&partial, &on_disk).unwrap();
    resume.notify_one();

    let error = download.await.unwrap().unwrap_err();
    match error.problem() {
        Problem::Mismatch {
            what,
            expected,
            actual,
        } => {
            assert!(what.contains("read back"), "{what}");
            assert_eq!(*expected, tree_hash(&bytes));
            let mut changed = bytes.clone();
            changed[100] ^= 0x04;
            assert_eq!(*actual, tree_hash(&changed));
        }
        _ => panic!("{error}"),
    }
    assert!(!state_file_path(&out).exists());
    assert!(!out.exists());
}
