//! UploadArchive, multipart uploads, and resuming them from ListParts.

use crate::error::{Problem, UploadError};
use crate::{part_ranges, service, OwnRetries};
use aws_sdk_glacier::primitives::ByteStream;
use aws_sdk_glacier::Client;
use glacier_tree_hash::{
    ArchiveAssembler, Checksums, ContentRange, Hasher, MultipartHasher, MultipartSummary,
    PartDifference, PartSize, TreeHash,
};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::task::JoinSet;

/// UploadArchive takes at most 4 GiB.
const UPLOAD_ARCHIVE_MAX: u64 = 4 << 30;

/// How [`upload_file`] and [`resume_upload`] upload: see each field.
///
/// ```
/// use glacier_tree_hash::PartSize;
/// use glacier_tree_hash_aws::UploadOptions;
///
/// let options = UploadOptions::default()
///     .part_size("16MiB".parse::<PartSize>()?)
///     .parts_in_flight(2)
///     .description("backup 2026-11-30");
/// assert_eq!(options.memory_bound(), Some(32 << 20));
/// # Ok::<(), glacier_tree_hash::PartSizeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOptions {
    /// The part size of a multipart upload. `None` (the default): 8 MiB, or the smallest size
    /// that keeps the file within 10,000 parts if that is larger.
    pub part_size: Option<PartSize>,
    /// Files of at most this many bytes go in one UploadArchive request (read whole into
    /// memory); larger ones in a multipart upload. Default 8 MiB; capped at UploadArchive's
    /// 4 GiB.
    pub single_request_limit: u64,
    /// How many parts are read, hashed and uploaded at once (at least 1; default 4). Each holds
    /// its part's bytes in memory until its request ends, so a multipart upload holds at most
    /// `parts_in_flight × part size` bytes of the file.
    pub parts_in_flight: usize,
    /// The archive description (`x-amz-archive-description`), if any.
    pub description: Option<String>,
}

impl Default for UploadOptions {
    fn default() -> UploadOptions {
        UploadOptions {
            part_size: None,
            single_request_limit: 8 << 20,
            parts_in_flight: 4,
            description: None,
        }
    }
}

impl UploadOptions {
    /// Sets [`part_size`](UploadOptions::part_size).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::UploadOptions::default()
    ///     .part_size(glacier_tree_hash::PartSize::MIN);
    /// assert_eq!(options.part_size, Some(glacier_tree_hash::PartSize::MIN));
    /// ```
    pub fn part_size(mut self, part_size: PartSize) -> UploadOptions {
        self.part_size = Some(part_size);
        self
    }

    /// Sets [`single_request_limit`](UploadOptions::single_request_limit).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::UploadOptions::default().single_request_limit(0);
    /// assert_eq!(options.single_request_limit, 0); // every non-empty file goes in parts
    /// ```
    pub fn single_request_limit(mut self, bytes: u64) -> UploadOptions {
        self.single_request_limit = bytes;
        self
    }

    /// Sets [`parts_in_flight`](UploadOptions::parts_in_flight); 0 counts as 1.
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::UploadOptions::default().parts_in_flight(0);
    /// assert_eq!(options.parts_in_flight, 1);
    /// ```
    pub fn parts_in_flight(mut self, parts: usize) -> UploadOptions {
        self.parts_in_flight = parts.max(1);
        self
    }

    /// Sets [`description`](UploadOptions::description).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::UploadOptions::default().description("photos");
    /// assert_eq!(options.description.as_deref(), Some("photos"));
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> UploadOptions {
        self.description = Some(description.into());
        self
    }

    /// The most file bytes a multipart upload holds in memory at once with an explicit part
    /// size: `parts_in_flight × part size`. `None` when the part size is chosen per file.
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::UploadOptions::default();
    /// assert_eq!(options.memory_bound(), None);
    /// ```
    pub fn memory_bound(&self) -> Option<u64> {
        let parts = u64::try_from(self.parts_in_flight.max(1)).unwrap_or(u64::MAX);
        self.part_size
            .map(|size| size.bytes().saturating_mul(parts))
    }

    /// The part size for a file of `archive_size` bytes.
    fn part_size_for(&self, archive_size: u64) -> Result<PartSize, UploadError> {
        let too_many = Problem::TooManyParts;
        match self.part_size {
            Some(size) => {
                size.check_archive_size(archive_size).map_err(too_many)?;
                Ok(size)
            }
            None => Ok(PartSize::for_archive(archive_size)
                .map_err(too_many)?
                .max(DEFAULT_PART_SIZE)),
        }
    }
}

/// 8 MiB: the part size when none is given and the file allows it.
const DEFAULT_PART_SIZE: PartSize = match PartSize::new(8 << 20) {
    Ok(size) => size,
    Err(_) => PartSize::MIN,
};

/// An archive Glacier has accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedArchive {
    /// The archive id Glacier assigned (`x-amz-archive-id`).
    pub archive_id: String,
    /// The archive's tree hash, as sent and as Glacier confirmed.
    pub tree_hash: TreeHash,
    /// The archive's size in bytes.
    pub size: u64,
    /// The archive's `Location`, if Glacier gave one.
    pub location: Option<String>,
    /// The multipart upload id; `None` for a single UploadArchive.
    pub upload_id: Option<String>,
    /// The UploadMultipartPart requests this call made (0 for a single UploadArchive).
    pub parts_uploaded: u64,
}

/// Uploads the file at `path` to `vault`: in one UploadArchive request if it has at most
/// [`single_request_limit`](UploadOptions::single_request_limit) bytes, otherwise in a
/// multipart upload.
///
/// A multipart upload sends InitiateMultipartUpload with `x-amz-part-size` (the part size in
/// bytes), then reads each part of the file once, hashes it with [`Checksums::of`] and sends it
/// with its `Content-Range` and tree hash, [`parts_in_flight`](UploadOptions::parts_in_flight)
/// parts at a time, then sends CompleteMultipartUpload with the archive size and the archive's
/// tree hash, combined from the part hashes by [`ArchiveAssembler`] (the file is not read a
/// second time). Glacier's tree hash returned for each part and for the archive is compared
/// with the one computed here.
///
/// The SDK retries requests that fail transiently (see [`NetworkPolicy`](crate::NetworkPolicy)),
/// each with the same bytes already in memory, so a retried part never reads the file again;
/// CompleteMultipartUpload is retried too: Glacier documents it as idempotent (called again
/// shortly after a success, it returns the same archive id), so a retry never makes a second
/// archive. A file whose size changed since the upload began is found when a part is read or
/// just before CompleteMultipartUpload ([`Problem::FileChanged`](crate::Problem::FileChanged),
/// naming the part), and the upload is not completed. When a multipart upload fails, the
/// error's [`upload_id`](UploadError::upload_id) can be passed to [`resume_upload`].
///
/// Memory: for a single request, the whole file; for a multipart upload, at most
/// `parts_in_flight × part size` bytes of the file (the SDK sends a body that is already in
/// memory without copying it).
///
/// ```no_run
/// use glacier_tree_hash_aws::{upload_file, UploadOptions};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = aws_config::load_from_env().await;
/// let client = aws_sdk_glacier::Client::new(&config);
/// let uploaded = upload_file(&client, "my-vault", "backup.tar", &UploadOptions::default()).await?;
/// println!("{} {}", uploaded.archive_id, uploaded.tree_hash);
/// # Ok(())
/// # }
/// ```
pub async fn upload_file(
    client: &Client,
    vault: &str,
    path: impl AsRef<Path>,
    options: &UploadOptions,
) -> Result<UploadedArchive, UploadError> {
    let path = path.as_ref();
    let archive_size = file_size(path).await?;
    let limit = options.single_request_limit.min(UPLOAD_ARCHIVE_MAX);
    if archive_size == 0 || archive_size <= limit {
        return upload_single(client, vault, path, archive_size, options).await;
    }
    let part_size = options.part_size_for(archive_size)?;
    let initiated = client
        .initiate_multipart_upload()
        .vault_name(vault)
        .part_size(part_size.bytes().to_string())
        .set_archive_description(options.description.clone())
        .send()
        .await
        .map_err(|e| service("InitiateMultipartUpload", None, e))?;
    let upload_id = initiated
        .upload_id()
        .ok_or_else(|| Problem::Response {
            operation: "InitiateMultipartUpload",
            problem: "no x-amz-multipart-upload-id".into(),
        })?
        .to_owned();
    let upload = Multipart {
        client: client.clone(),
        vault: vault.to_owned(),
        path: path.to_owned(),
        upload_id,
        archive_size,
    };
    let mut assembler = ArchiveAssembler::new(part_size);
    let ranges = part_ranges(part_size, archive_size);
    let uploaded = upload.upload_parts(ranges, &mut assembler, options).await?;
    upload.complete(&assembler, uploaded).await
}

/// Finishes the multipart upload `upload_id` of the file at `path`: pages through ListParts,
/// compares every listed part's range and tree hash with the file's (one read of the file,
/// hashing only, with the upload's part size), uploads only the parts that are missing or
/// differ, and completes the upload. A part that Glacier lists beyond the end of the file is an
/// error ([`Problem::PartNotInFile`](crate::Problem::PartNotInFile)): the file is not the one
/// the upload began with.
///
/// Memory as for [`upload_file`]: at most `parts_in_flight × part size` bytes of the file.
///
/// ```no_run
/// use glacier_tree_hash_aws::{resume_upload, upload_file, UploadOptions};
///
/// # async fn run(client: aws_sdk_glacier::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let options = UploadOptions::default();
/// let uploaded = match upload_file(&client, "my-vault", "backup.tar", &options).await {
///     Ok(uploaded) => uploaded,
///     Err(error) => match error.upload_id() {
///         Some(id) => resume_upload(&client, "my-vault", id, "backup.tar", &options).await?,
///         None => return Err(error.into()),
///     },
/// };
/// # let _ = uploaded;
/// # Ok(())
/// # }
/// ```
pub async fn resume_upload(
    client: &Client,
    vault: &str,
    upload_id: &str,
    path: impl AsRef<Path>,
    options: &UploadOptions,
) -> Result<UploadedArchive, UploadError> {
    let path = path.as_ref();
    let listed = list_parts(client, vault, upload_id).await?;
    let archive_size = file_size(path).await.map_err(|e| e.in_upload(upload_id))?;
    let part_size = listed.part_size;
    let in_upload = |problem: Problem| problem.in_upload(upload_id);

    let local = hash_parts(path, part_size, archive_size)
        .await
        .map_err(in_upload)?;
    let mut assembler = ArchiveAssembler::new(part_size);
    for part in &local.parts {
        assembler
            .add_part(part.part.range(), part.checksums.tree_hash)
            .map_err(|e| in_upload(Problem::AddPart(e)))?;
    }
    let mut missing = Vec::new();
    for difference in assembler.differences(listed.parts) {
        match difference {
            PartDifference::Differs { range, .. } | PartDifference::NotListed(range) => {
                missing.push(range)
            }
            PartDifference::NotLocal(range) => {
                return Err(in_upload(Problem::PartNotInFile {
                    range,
                    file_size: archive_size,
                }))
            }
            other => {
                return Err(in_upload(Problem::Response {
                    operation: "ListParts",
                    problem: format!("a difference this version cannot act on: {other:?}"),
                }))
            }
        }
    }
    let upload = Multipart {
        client: client.clone(),
        vault: vault.to_owned(),
        path: path.to_owned(),
        upload_id: upload_id.to_owned(),
        archive_size,
    };
    let uploaded = upload
        .upload_parts(missing, &mut assembler, options)
        .await?;
    upload.complete(&assembler, uploaded).await
}

/// The parts of a multipart upload as ListParts gives them, all pages together.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListedParts {
    /// The upload's part size (`PartSizeInBytes`).
    pub part_size: PartSize,
    /// Each part's half-open byte range (from `RangeInBytes`) and tree hash
    /// (`SHA256TreeHash`), in the order listed.
    pub parts: Vec<(Range<u64>, TreeHash)>,
    /// How many ListParts pages it took.
    pub pages: u64,
}

/// Every part Glacier holds for the multipart upload `upload_id`, paging through ListParts
/// with its `marker` until there is none. Pages that do not fit together (a marker that does not
/// advance, a part listed twice) are listed again from the start, with the client's attempts
/// and backoff (see [`NetworkPolicy`](crate::NetworkPolicy)). Ranges and hashes that cannot be
/// read, a part size Glacier would not accept, and pages that never fit together are errors
/// ([`Problem::Response`](crate::Problem::Response)); an unknown upload is
/// [`Problem::NotFound`](crate::Problem::NotFound).
///
/// ```no_run
/// # async fn run(client: aws_sdk_glacier::Client) -> Result<(), glacier_tree_hash_aws::UploadError> {
/// let listed = glacier_tree_hash_aws::list_parts(&client, "my-vault", "UPLOAD-ID").await?;
/// for (range, tree_hash) in &listed.parts {
///     println!("{range:?} {tree_hash}");
/// }
/// # Ok(())
/// # }
/// ```
pub async fn list_parts(
    client: &Client,
    vault: &str,
    upload_id: &str,
) -> Result<ListedParts, UploadError> {
    let retries = OwnRetries::of(client);
    let mut pages = 0;
    let mut attempt = 1;
    loop {
        match list_once(client, vault, upload_id, &mut pages).await? {
            Ok((part_size, parts)) => {
                return Ok(ListedParts {
                    part_size,
                    parts,
                    pages,
                })
            }
            Err(_) if attempt < retries.max_attempts => {
                retries.wait(attempt).await;
                attempt += 1;
            }
            Err(inconsistency) => {
                let problem = format!("{inconsistency}, in each of {attempt} listings");
                let operation = "ListParts";
                return Err(Problem::Response { operation, problem }.in_upload(upload_id));
            }
        }
    }
}

/// The part size and parts of one listing, page by page; `Ok(Err(..))` when the pages do not
/// fit together (a marker that repeats, a part listed twice), so listing again may help.
async fn list_once(
    client: &Client,
    vault: &str,
    upload_id: &str,
    pages: &mut u64,
) -> Result<Result<(PartSize, Vec<(Range<u64>, TreeHash)>), String>, UploadError> {
    let unreadable = |problem: String| {
        Problem::Response {
            operation: "ListParts",
            problem,
        }
        .in_upload(upload_id)
    };
    let mut parts = Vec::new();
    let mut starts = std::collections::BTreeSet::new();
    let mut marker: Option<String> = None;
    let mut part_size = None;
    for page_number in 1u64.. {
        let page = client
            .list_parts()
            .vault_name(vault)
            .upload_id(upload_id)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| service("ListParts", None, e).in_upload(upload_id))?;
        *pages += 1;
        let bytes = page.part_size_in_bytes();
        let size = PartSize::try_from(bytes)
            .map_err(|e| unreadable(format!("PartSizeInBytes {bytes}: {e}")))?;
        if *part_size.get_or_insert(size) != size {
            return Err(unreadable(format!(
                "PartSizeInBytes changed between pages to {bytes}"
            )));
        }
        for part in page.parts() {
            let range_text = part.range_in_bytes().unwrap_or_default();
            let range = range_text
                .parse::<ContentRange>()
                .map_err(|e| unreadable(format!("RangeInBytes {range_text:?}: {e}")))?
                .range();
            let hash_text = part.sha256_tree_hash().unwrap_or_default();
            let hash = TreeHash::from_hex(hash_text).map_err(|e| {
                unreadable(format!(
                    "SHA256TreeHash {hash_text:?} of bytes {range:?}: {e}"
                ))
            })?;
            if !starts.insert(range.start) {
                return Ok(Err(format!("bytes {range:?} listed twice")));
            }
            parts.push((range, hash));
        }
        match page.marker() {
            Some(next) if !next.is_empty() => {
                if marker.as_deref() == Some(next) || page_number > PartSize::MAX_PARTS {
                    return Ok(Err(format!("the marker {next:?} does not advance")));
                }
                marker = Some(next.to_owned());
            }
            _ => break,
        }
    }
    Ok(Ok((part_size.unwrap_or(PartSize::MIN), parts)))
}

/// One UploadArchive request with the whole file.
async fn upload_single(
    client: &Client,
    vault: &str,
    path: &Path,
    archive_size: u64,
    options: &UploadOptions,
) -> Result<UploadedArchive, UploadError> {
    let range = 0..archive_size;
    let (body, checksums) = read_part(path.to_owned(), range.clone()).await?;
    let output = client
        .upload_archive()
        .vault_name(vault)
        .set_archive_description(options.description.clone())
        .checksum(checksums.tree_hash.to_string())
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| service("UploadArchive", None, e))?;
    check_returned(
        "UploadArchive",
        &range,
        checksums.tree_hash,
        output.checksum(),
    )?;
    let archive_id = output.archive_id().ok_or_else(|| Problem::Response {
        operation: "UploadArchive",
        problem: "no x-amz-archive-id".into(),
    })?;
    Ok(UploadedArchive {
        archive_id: archive_id.to_owned(),
        tree_hash: checksums.tree_hash,
        size: archive_size,
        location: output.location().map(str::to_owned),
        upload_id: None,
        parts_uploaded: 0,
    })
}

/// A multipart upload in progress: what every part request needs.
#[derive(Clone, Debug)]
struct Multipart {
    client: Client,
    vault: String,
    path: PathBuf,
    upload_id: String,
    archive_size: u64,
}

impl Multipart {
    /// Uploads the parts at `ranges`, `parts_in_flight` at a time, adding each uploaded part's
    /// tree hash to `assembler`; returns how many were uploaded. On the first failure the parts
    /// still in flight are cancelled and the error returned.
    async fn upload_parts(
        &self,
        ranges: Vec<Range<u64>>,
        assembler: &mut ArchiveAssembler,
        options: &UploadOptions,
    ) -> Result<u64, UploadError> {
        let in_flight = options.parts_in_flight.max(1);
        let shared = Arc::new(self.clone());
        let mut tasks = JoinSet::new();
        let mut uploaded = 0;
        let mut ranges = ranges.into_iter();
        loop {
            while tasks.len() < in_flight {
                let Some(range) = ranges.next() else { break };
                let upload = Arc::clone(&shared);
                tasks.spawn(async move { upload.upload_part(range).await });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (range, tree_hash) = joined
                .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
                .map_err(|e| e.in_upload(&self.upload_id))?;
            assembler
                .add_part(range, tree_hash)
                .map_err(|e| Problem::AddPart(e).in_upload(&self.upload_id))?;
            uploaded += 1;
        }
        Ok(uploaded)
    }

    /// Reads, hashes and uploads one part.
    async fn upload_part(&self, range: Range<u64>) -> Result<(Range<u64>, TreeHash), Problem> {
        let (body, checksums) = read_part(self.path.clone(), range.clone()).await?;
        let header = content_range_header(&range);
        let output = self
            .client
            .upload_multipart_part()
            .vault_name(&self.vault)
            .upload_id(&self.upload_id)
            .range(header)
            .checksum(checksums.tree_hash.to_string())
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| service("UploadMultipartPart", Some(range.clone()), e))?;
        check_returned(
            "UploadMultipartPart",
            &range,
            checksums.tree_hash,
            output.checksum(),
        )?;
        Ok((range, checksums.tree_hash))
    }

    /// CompleteMultipartUpload with the assembled checksum; refused here, without a request, if
    /// the parts do not cover the archive.
    async fn complete(
        &self,
        assembler: &ArchiveAssembler,
        parts_uploaded: u64,
    ) -> Result<UploadedArchive, UploadError> {
        let in_upload = |problem: Problem| problem.in_upload(&self.upload_id);
        let checksum = assembler
            .assemble(self.archive_size)
            .map_err(|e| in_upload(Problem::Assemble(e)))?;
        // A file that changed size since its parts were read is not completed as an archive.
        let found = file_size(&self.path).await.map_err(in_upload)?;
        if found != self.archive_size {
            return Err(in_upload(Problem::FileChanged {
                path: self.path.clone(),
                range: None,
                expected: self.archive_size,
                found,
            }));
        }
        let output = self
            .client
            .complete_multipart_upload()
            .vault_name(&self.vault)
            .upload_id(&self.upload_id)
            .archive_size(self.archive_size.to_string())
            .checksum(checksum.to_string())
            .send()
            .await
            .map_err(|e| in_upload(service("CompleteMultipartUpload", None, e)))?;
        check_returned(
            "CompleteMultipartUpload",
            &(0..self.archive_size),
            checksum,
            output.checksum(),
        )
        .map_err(in_upload)?;
        let archive_id = output.archive_id().ok_or_else(|| {
            in_upload(Problem::Response {
                operation: "CompleteMultipartUpload",
                problem: "no x-amz-archive-id".into(),
            })
        })?;
        Ok(UploadedArchive {
            archive_id: archive_id.to_owned(),
            tree_hash: checksum,
            size: self.archive_size,
            location: output.location().map(str::to_owned),
            upload_id: Some(self.upload_id.clone()),
            parts_uploaded,
        })
    }
}

/// `bytes FIRST-LAST/*` for a non-empty range (parts are never empty).
fn content_range_header(range: &Range<u64>) -> String {
    ContentRange::new(range.clone()).map_or_else(String::new, |header| header.to_string())
}

/// Compares the tree hash Glacier returned with the one sent: a part or archive is accepted
/// only with Glacier's tree hash for it, agreeing.
fn check_returned(
    operation: &'static str,
    range: &Range<u64>,
    sent: TreeHash,
    returned: Option<&str>,
) -> Result<(), Problem> {
    let Some(text) = returned else {
        return Err(Problem::Response {
            operation,
            problem: format!("no x-amz-sha256-tree-hash for bytes {range:?}"),
        });
    };
    match TreeHash::from_hex(text) {
        Ok(hash) if hash == sent => Ok(()),
        Ok(actual) => Err(Problem::Mismatch {
            what: format!("{operation}'s answer for bytes {range:?}"),
            expected: sent,
            actual,
        }),
        Err(e) => Err(Problem::Response {
            operation,
            problem: format!("x-amz-sha256-tree-hash {text:?}: {e}"),
        }),
    }
}

async fn file_size(path: &Path) -> Result<u64, Problem> {
    tokio::fs::metadata(path)
        .await
        .map(|metadata| metadata.len())
        .map_err(|source| Problem::Io {
            path: path.to_owned(),
            range: None,
            source,
        })
}

/// Reads bytes `range` of the file into memory and hashes them, off the async threads.
async fn read_part(path: PathBuf, range: Range<u64>) -> Result<(Vec<u8>, Checksums), Problem> {
    let task_path = path.clone();
    let task_range = range.clone();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<_> {
        let length = usize::try_from(task_range.end - task_range.start)
            .map_err(|_| std::io::Error::other("the part does not fit in memory"))?;
        let mut file = File::open(&task_path)?;
        file.seek(SeekFrom::Start(task_range.start))?;
        let mut body = vec![0; length];
        file.read_exact(&mut body)?;
        let checksums = Checksums::of(&body);
        Ok((body, checksums))
    })
    .await
    .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
    match read {
        Ok(read) => Ok(read),
        Err(source) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            let found = std::fs::metadata(&path).map_or(0, |m| m.len());
            Err(Problem::FileChanged {
                path,
                range: Some(range.clone()),
                expected: range.end,
                found,
            })
        }
        Err(source) => Err(Problem::Io {
            path,
            range: Some(range),
            source,
        }),
    }
}

/// Every part's checksums from one read of the file (the one use of `MultipartHasher`).
async fn hash_parts(
    path: &Path,
    part_size: PartSize,
    archive_size: u64,
) -> Result<MultipartSummary, Problem> {
    let task_path = path.to_owned();
    let hashed = crate::blocking(path, move || {
        let file = File::open(&task_path)?;
        Ok(MultipartHasher::new(part_size)
            .update_file(&file, ..)?
            .finalize())
    })
    .await?;
    let summary = hashed.map_err(Problem::TooManyParts)?;
    if summary.archive_size != archive_size {
        return Err(Problem::FileChanged {
            path: path.to_owned(),
            range: None,
            expected: archive_size,
            found: summary.archive_size,
        });
    }
    Ok(summary)
}
