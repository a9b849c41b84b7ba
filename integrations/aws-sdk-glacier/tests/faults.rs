//! Every fault mode of the Glacier double against the real SDK (see `double/mod.rs`). Each test
//! says the fault and the expected outcome, and checks the bytes stored or written.

mod double;

use double::{at, data, Fault, Glacier, Plan, Rule, Target, TempDir};
use glacier_tree_hash::{tree_hash, PartSize};
use glacier_tree_hash_aws::{
    download_archive, partial_file_path, resume_upload, state_file_path, upload_file,
    DownloadOptions, Problem, UploadOptions,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MIB: u64 = 1 << 20;
const VAULT: &str = "test-vault";

/// 1 MiB parts, one at a time, so the requests arrive in a known order.
fn in_parts() -> UploadOptions {
    UploadOptions::default()
        .single_request_limit(0)
        .part_size(PartSize::MIN)
        .parts_in_flight(1)
}

/// 1 MiB ranges, one at a time.
fn in_ranges() -> DownloadOptions {
    DownloadOptions::default()
        .range_size(PartSize::MIN)
        .ranges_in_flight(1)
}

/// Uploads `bytes` under `plan` and checks the archive Glacier stored is `bytes`.
async fn upload_checked(glacier: &Glacier, dir: &TempDir, bytes: &[u8], plan: Plan) {
    let path = dir.file("archive", bytes);
    glacier.plan(plan);
    let uploaded = upload_file(&glacier.client(), VAULT, &path, &in_parts())
        .await
        .unwrap();
    assert_eq!(uploaded.tree_hash, tree_hash(bytes));
    let stored = glacier.state().archives[&uploaded.archive_id].data.clone();
    assert!(stored == bytes, "the stored archive differs");
}

/// Downloads a job for `bytes` under `plan` and checks the output is `bytes`.
async fn download_checked(glacier: &Glacier, dir: &TempDir, bytes: &[u8], plan: Plan) {
    let job = glacier.add_job(bytes.to_vec(), tree_hash(bytes));
    let out = dir.0.join("restored");
    let _ = std::fs::remove_file(&out);
    glacier.plan(plan);
    let done = download_archive(&glacier.client(), VAULT, &job, &out, &in_ranges())
        .await
        .unwrap();
    assert_eq!(done.tree_hash, tree_hash(bytes));
    assert!(std::fs::read(&out).unwrap() == bytes, "the output differs");
    assert!(!state_file_path(&out).exists() && !partial_file_path(&out).exists());
}

/// Faults: 500, 503, `ThrottlingException` and `RequestTimeoutException` on
/// InitiateMultipartUpload, parts and CompleteMultipartUpload, twice on one part. Outcome: the
/// SDK retries each; the archive is right; each faulted request was sent once more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_on_uploads_are_retried_by_the_sdk() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-upload-refusals");
    let bytes = data(5 * MIB + 7, 41);
    let plan = Plan::new(
        0,
        vec![
            at("InitiateMultipartUpload", 0, Fault::Throttling, 1),
            at("UploadMultipartPart", 0, Fault::InternalError, 2),
            at("UploadMultipartPart", MIB, Fault::Unavailable, 1),
            at("UploadMultipartPart", 2 * MIB, Fault::Throttling, 1),
            at("UploadMultipartPart", 3 * MIB, Fault::RequestTimeout, 1),
            at("CompleteMultipartUpload", 0, Fault::Unavailable, 1),
        ],
    );
    upload_checked(&glacier, &dir, &bytes, plan).await;
    let state = glacier.state();
    assert_eq!(state.faults.len(), 7);
    assert_eq!(state.count("InitiateMultipartUpload"), 2);
    assert_eq!(state.count("UploadMultipartPart"), 6 + 5);
    assert_eq!(state.count("CompleteMultipartUpload"), 2);
}

/// Faults: 500, 503, throttling and `RequestTimeoutException` on DescribeJob and on ranges.
/// Outcome: the SDK retries each; the output is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_on_downloads_are_retried_by_the_sdk() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-download-refusals");
    let bytes = data(4 * MIB + 3, 43);
    let plan = Plan::new(
        0,
        vec![
            at("DescribeJob", 0, Fault::InternalError, 1),
            at("GetJobOutput", 0, Fault::Throttling, 2),
            at("GetJobOutput", MIB, Fault::Unavailable, 1),
            at("GetJobOutput", 3 * MIB, Fault::RequestTimeout, 1),
        ],
    );
    download_checked(&glacier, &dir, &bytes, plan).await;
    let state = glacier.state();
    assert_eq!(state.faults.len(), 5);
    assert_eq!(state.count("DescribeJob"), 2);
    assert_eq!(state.count("GetJobOutput"), 5 + 4);
}

/// Fault: the connection closes after half of a part's body (twice for one part) and of a
/// single UploadArchive body. Outcome: the SDK sends them again; the archives are right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_cut_during_request_bodies_are_retried() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-cut-request");
    let bytes = data(4 * MIB, 47);
    let plan = Plan::new(
        0,
        vec![
            at("UploadMultipartPart", MIB, Fault::CutRequest, 2),
            at("UploadMultipartPart", 3 * MIB, Fault::CutRequest, 1),
        ],
    );
    upload_checked(&glacier, &dir, &bytes, plan).await;
    assert_eq!(glacier.state().faults_in("UploadMultipartPart"), 3);
    assert_eq!(glacier.state().count("UploadMultipartPart"), 4 + 3);

    let small = data(MIB / 2, 53);
    let path = dir.file("small", &small);
    glacier.plan(Plan::new(
        0,
        vec![at("UploadArchive", 0, Fault::CutRequest, 1)],
    ));
    let uploaded = upload_file(&glacier.client(), VAULT, &path, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(glacier.state().faults_in("UploadArchive"), 1);
    assert!(glacier.state().archives[&uploaded.archive_id].data == small);
}

/// Fault: GetJobOutput bodies that end before their `Content-Length` (twice for the first
/// range), and a DescribeJob body cut the same way. Outcome: DescribeJob is retried by the SDK;
/// the ranges by this crate (the SDK does not retry a body); the output is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_cut_short_are_fetched_again() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-cut-response");
    let bytes = data(3 * MIB + 11, 59);
    let plan = Plan::new(
        0,
        vec![
            at("DescribeJob", 0, Fault::CutResponse, 1),
            at("GetJobOutput", 0, Fault::CutResponse, 2),
            at("GetJobOutput", 2 * MIB, Fault::CutResponse, 1),
        ],
    );
    download_checked(&glacier, &dir, &bytes, plan).await;
    let state = glacier.state();
    assert_eq!(state.faults.len(), 4);
    assert_eq!(state.count("DescribeJob"), 2);
    assert_eq!(state.count("GetJobOutput"), 4 + 3);
}

/// Fault: a range whose bytes do not match the `x-amz-sha256-tree-hash` sent with them (a bit
/// flipped on the way), twice. Outcome: fetched again until it matches; never written wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_ranges_are_fetched_again() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-corrupt");
    let bytes = data(3 * MIB, 61);
    let plan = Plan::new(0, vec![at("GetJobOutput", MIB, Fault::CorruptRange, 3)]);
    download_checked(&glacier, &dir, &bytes, plan).await;
    assert_eq!(glacier.state().faults_in("GetJobOutput"), 3);
    assert_eq!(glacier.state().count("GetJobOutput"), 3 + 3);
}

/// Fault: responses that stall past the client's read timeout (300 ms here): a part upload
/// that is never answered, a range whose headers never come, a range whose body stops
/// half-way. Outcome: the SDK times out and retries the first two, this crate the third; the
/// archive and the output are right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_responses_time_out_and_are_retried() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-stall");
    let policy = double::test_policy().timeouts(Duration::from_secs(2), Duration::from_millis(300));
    let client = glacier.client_with(policy);

    let bytes = data(3 * MIB + 1, 67);
    let path = dir.file("archive", &bytes);
    glacier.plan(Plan::new(
        0,
        vec![at("UploadMultipartPart", MIB, Fault::Stall, 1)],
    ));
    // A guard, not a timing check: without the read timeout the stall would never end.
    let guard = Duration::from_secs(120);
    let uploaded = tokio::time::timeout(guard, upload_file(&client, VAULT, &path, &in_parts()))
        .await
        .expect("the stall was never timed out")
        .unwrap();
    assert!(glacier.state().archives[&uploaded.archive_id].data == bytes);
    assert_eq!(glacier.state().faults_in("UploadMultipartPart"), 1);

    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    glacier.plan(Plan::new(
        0,
        vec![
            at("GetJobOutput", 0, Fault::Stall, 1),
            at("GetJobOutput", 2 * MIB, Fault::StallBody, 1),
        ],
    ));
    tokio::time::timeout(
        guard,
        download_archive(&client, VAULT, &job, &out, &in_ranges()),
    )
    .await
    .expect("the stall was never timed out")
    .unwrap();
    assert!(std::fs::read(&out).unwrap() == bytes);
    assert_eq!(glacier.state().faults_in("GetJobOutput"), 2);
}

/// Starts a multipart upload of `bytes` in 1 MiB parts, losing the parts at `lost` on the way,
/// so Complete is refused; returns the file and the upload id.
async fn upload_losing(
    glacier: &Glacier,
    dir: &TempDir,
    bytes: &[u8],
    lost: &[u64],
) -> (std::path::PathBuf, String) {
    let path = dir.file("archive", bytes);
    let rules = lost
        .iter()
        .map(|&start| at("UploadMultipartPart", start, Fault::LosePart, 1))
        .collect();
    glacier.plan(Plan::new(0, rules));
    let error = upload_file(&glacier.client(), VAULT, &path, &in_parts())
        .await
        .unwrap_err();
    assert!(
        matches!(error.problem(), Problem::Service { .. }),
        "{error}"
    );
    glacier.state().requests.clear();
    (path, error.upload_id().unwrap().to_owned())
}

/// Faults: ListParts pages whose marker repeats (the same parts again), twice. Outcome: the
/// listing is taken again from the start; only the lost part is uploaded; the archive is right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parts_with_a_repeated_marker_is_listed_again() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-repeat-marker");
    let bytes = data(6 * MIB, 71);
    let (path, upload_id) = upload_losing(&glacier, &dir, &bytes, &[4 * MIB]).await;
    glacier.state().page_size = 2;
    // Pages: 0-1 (marker 2 MiB), 2-3 (marker 5 MiB), 5. The second page repeats its marker.
    glacier.plan(Plan::new(
        0,
        vec![at("ListParts", 2 * MIB, Fault::RepeatMarker, 2)],
    ));
    let resumed = resume_upload(&glacier.client(), VAULT, &upload_id, &path, &in_parts())
        .await
        .unwrap();
    assert_eq!(resumed.parts_uploaded, 1);
    assert!(glacier.state().archives[&resumed.archive_id].data == bytes);
    let state = glacier.state();
    assert_eq!(state.faults_in("ListParts"), 2);
    assert_eq!(
        state.count("ListParts"),
        2 + 2 + 3,
        "two listings cut short, one whole"
    );
}

/// Fault: a ListParts page without a marker though parts remain. Outcome: the unlisted parts
/// count as missing and are uploaded again (replacing the same bytes); the archive is right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_parts_with_a_dropped_marker_uploads_the_unlisted_parts_again() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-drop-marker");
    let bytes = data(6 * MIB, 73);
    let (path, upload_id) = upload_losing(&glacier, &dir, &bytes, &[MIB]).await;
    glacier.state().page_size = 2;
    // The first page (0, 2 MiB) ends without a marker: parts 3-5 MiB go unlisted.
    glacier.plan(Plan::new(0, vec![at("ListParts", 0, Fault::DropMarker, 1)]));
    let resumed = resume_upload(&glacier.client(), VAULT, &upload_id, &path, &in_parts())
        .await
        .unwrap();
    assert_eq!(resumed.parts_uploaded, 1 + 3);
    assert!(glacier.state().archives[&resumed.archive_id].data == bytes);
    assert_eq!(glacier.state().count("ListParts"), 1);
}

/// Faults: an unknown vault, an unknown (expired) upload id, an upload that expires while its
/// parts are sent. Outcome: typed errors that say what to do, with the upload id when there
/// is one; nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_vaults_and_uploads_are_refused_with_advice() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("faults-not-found");
    let bytes = data(2 * MIB, 79);
    let path = dir.file("archive", &bytes);

    for options in [UploadOptions::default(), in_parts()] {
        let error = upload_file(&client, "no-such-vault", &path, &options)
            .await
            .unwrap_err();
        assert!(
            matches!(error.problem(), Problem::NotFound { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("no such vault"), "{error}");
        assert_eq!(error.upload_id(), None);
    }

    let error = resume_upload(&client, VAULT, "upload-404", &path, &in_parts())
        .await
        .unwrap_err();
    assert_eq!(error.upload_id(), Some("upload-404"));
    assert!(
        error
            .to_string()
            .contains("ListParts: no such multipart upload")
            && error.to_string().contains("start a new upload"),
        "{error}"
    );

    glacier.plan(Plan::new(
        0,
        vec![at("UploadMultipartPart", MIB, Fault::NotFound, u32::MAX)],
    ));
    let error = upload_file(&client, VAULT, &path, &in_parts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.problem(),
            Problem::NotFound {
                operation: "UploadMultipartPart",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.upload_id().is_some());
    assert_eq!(glacier.state().faults.len(), 1, "not retried");
    assert!(glacier.state().archives.is_empty());
}

/// Fault: the job expires in the middle of its download (`ResourceNotFoundException` for the
/// third range on). Outcome: a typed error saying to start a new job, progress kept; the
/// download of a new job for the same archive to the same file resumes and is byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_job_is_resumed_with_a_new_job() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("faults-expired");
    let bytes = data(4 * MIB + 9, 83);
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let out = dir.0.join("restored");
    glacier.plan(Plan::new(
        0,
        vec![at("GetJobOutput", 2 * MIB, Fault::NotFound, u32::MAX)],
    ));
    let error = download_archive(&client, VAULT, &job, &out, &in_ranges())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.problem(),
            Problem::NotFound {
                operation: "GetJobOutput",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("start a new archive-retrieval job"),
        "{error}"
    );
    assert!(state_file_path(&out).exists() && !out.exists());

    glacier.plan(Plan::default());
    let new_job = glacier.add_job(bytes.clone(), tree_hash(&bytes));
    let done = download_archive(&client, VAULT, &new_job, &out, &in_ranges())
        .await
        .unwrap();
    assert_eq!((done.ranges_resumed, done.ranges_downloaded), (2, 3));
    assert!(std::fs::read(&out).unwrap() == bytes);
}

/// Seeded faults on one request in three, of every transient kind, on an upload and a
/// download. Outcome: both right; the same seed injects the same faults.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_faults_of_every_transient_kind() {
    let one_in_3 = |operation, fault| Rule {
        operation,
        target: Target::OneIn(3),
        fault,
        times: 1,
    };
    let plan = |seed| {
        let mut rules = Vec::new();
        for fault in [
            Fault::InternalError,
            Fault::Unavailable,
            Fault::Throttling,
            Fault::RequestTimeout,
            Fault::CutRequest,
        ] {
            rules.push(one_in_3("UploadMultipartPart", fault));
        }
        for fault in [
            Fault::InternalError,
            Fault::Throttling,
            Fault::CutResponse,
            Fault::CorruptRange,
        ] {
            rules.push(one_in_3("GetJobOutput", fault));
        }
        let mut plan = Plan::new(seed, rules);
        plan.max_per_key = Some(3);
        plan
    };
    let mut injected = Vec::new();
    for _ in 0..2 {
        let glacier = Glacier::start().await;
        let dir = TempDir::new("faults-seeded");
        let bytes = data(8 * MIB + 100, 89);
        upload_checked(&glacier, &dir, &bytes, plan(7)).await;
        download_checked(&glacier, &dir, &bytes, plan(7)).await;
        let mut faults = glacier.state().faults.clone();
        faults.sort_by_key(|&(operation, key, fault)| (operation, key, format!("{fault:?}")));
        injected.push(faults);
    }
    eprintln!(
        "seed 7: {} faults injected: {:?}",
        injected[0].len(),
        injected[0]
    );
    assert!(injected[0].len() >= 5, "{:?}", injected[0]);
    assert_eq!(injected[0], injected[1], "the seed decides the faults");
}

/// Bad input: the file shrinks while a part is in flight, and grows before Complete. Outcome:
/// an error naming the part (or the sizes), with the upload id; no CompleteMultipartUpload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_changes_size_during_the_upload_is_refused() {
    let glacier = Glacier::start().await;
    let dir = TempDir::new("faults-file-changes");
    let bytes = data(4 * MIB + 5, 97);
    for shrink in [true, false] {
        let path = dir.file("archive", &bytes);
        let (reached, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let at_part = if shrink { MIB } else { 4 * MIB };
        glacier.state().pause = Some((
            "UploadMultipartPart",
            at_part,
            Arc::clone(&reached),
            Arc::clone(&resume),
        ));
        glacier.state().requests.clear();
        let client = glacier.client();
        let task_path = path.clone();
        let upload =
            tokio::spawn(async move { upload_file(&client, VAULT, &task_path, &in_parts()).await });
        reached.notified().await;
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(if shrink { 2 * MIB + MIB / 2 } else { 5 * MIB })
            .unwrap();
        drop(file);
        resume.notify_one();
        let error = upload.await.unwrap().unwrap_err();
        match error.problem() {
            Problem::FileChanged { range, .. } if shrink => {
                assert_eq!(*range, Some(2 * MIB..3 * MIB), "{error}")
            }
            Problem::FileChanged {
                range: None, found, ..
            } => assert_eq!(*found, 5 * MIB),
            _ => panic!("{error}"),
        }
        assert!(error.upload_id().is_some());
        assert_eq!(glacier.state().count("CompleteMultipartUpload"), 0);
    }
    assert!(glacier.state().archives.is_empty());
}

/// Bad input: an existing output, an output whose directory is a file, a corrupt state file,
/// a state file of another archive. Outcome: refused with the path and what to do; the
/// existing files untouched; with `overwrite` the output is replaced once verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_outputs_and_state_files_are_refused() {
    let glacier = Glacier::start().await;
    let client = glacier.client();
    let dir = TempDir::new("faults-bad-output");
    let bytes = data(2 * MIB + 1, 101);
    let job = glacier.add_job(bytes.clone(), tree_hash(&bytes));

    let out = dir.file("existing", b"keep me");
    let error = download_archive(&client, VAULT, &job, &out, &in_ranges())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("allow overwriting it"),
        "{error}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    assert_eq!(
        glacier.state().count("DescribeJob"),
        0,
        "refused before any request"
    );
    download_archive(&client, VAULT, &job, &out, &in_ranges().overwrite(true))
        .await
        .unwrap();
    assert!(std::fs::read(&out).unwrap() == bytes);

    // A directory without write permission (root writes anyway: then this case is skipped).
    let read_only = dir.0.join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    let mut permissions = std::fs::metadata(&read_only).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&read_only, permissions.clone()).unwrap();
    if std::fs::write(read_only.join("probe"), b"").is_err() {
        let out = read_only.join("restored");
        let error = download_archive(&client, VAULT, &job, &out, &in_ranges())
            .await
            .unwrap_err();
        assert!(matches!(error.problem(), Problem::Io { .. }), "{error}");
        assert!(
            error.to_string().contains("read-only/restored.glacier-"),
            "{error}"
        );
    }
    #[allow(clippy::permissions_set_readonly_false)] // to let the directory be removed
    permissions.set_readonly(false);
    std::fs::set_permissions(&read_only, permissions).unwrap();

    let not_a_directory = dir.file("a-file", b"");
    let out = not_a_directory.join("restored");
    let error = download_archive(&client, VAULT, &job, &out, &in_ranges())
        .await
        .unwrap_err();
    assert!(matches!(error.problem(), Problem::Io { .. }), "{error}");
    assert!(
        error.to_string().contains("a-file/restored.glacier-"),
        "{error}"
    );

    let out = dir.0.join("restored");
    let state = state_file_path(&out);
    for (text, says) in [
        ("garbage\n".to_owned(), "belongs to another download"),
        (
            format!(
                "glacier-tree-hash-aws download 2 size={} range-size=1048576 tree-hash={}\n0 x\n",
                bytes.len(),
                tree_hash(&bytes)
            ),
            "line 2 is unreadable",
        ),
    ] {
        std::fs::write(&state, &text).unwrap();
        let error = download_archive(&client, VAULT, &job, &out, &in_ranges())
            .await
            .unwrap_err();
        assert!(
            matches!(error.problem(), Problem::StateFile { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(says), "{error}");
        assert_eq!(
            std::fs::read_to_string(&state).unwrap(),
            text,
            "not overwritten"
        );
        assert!(!out.exists());
    }
}
