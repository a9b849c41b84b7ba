//! Amazon S3 Glacier uploads, resumed uploads and verified downloads with
//! [`aws-sdk-glacier`](aws_sdk_glacier), using [`glacier_tree_hash`] for every checksum.
//!
//! The SDK computes the two checksum headers of UploadArchive and UploadMultipartPart itself,
//! but leaves the rest to the caller: the part size to initiate with, each part's
//! `Content-Range`, the archive checksum and size for CompleteMultipartUpload, making sense of
//! ListParts, and checking what GetJobOutput returns. This crate does those:
//!
//! - [`upload_file`]: one UploadArchive, or a multipart upload with several parts in flight and
//!   bounded memory, completed with the checksum assembled from the part hashes;
//! - [`resume_upload`] (with [`list_parts`]): uploads only the parts Glacier is missing or holds
//!   wrong, then completes;
//! - [`download_archive`]: an archive-retrieval job's output in tree-hash-aligned ranges, each
//!   verified against the tree hash Glacier sends with it, resumable, and the whole checked
//!   against the job's `SHA256TreeHash`, written to a partial file renamed into place only
//!   once verified;
//! - [`NetworkPolicy`]: the client's retries and timeouts, set deliberately; this crate retries
//!   on its own only where the SDK does not (a download body cut short or stalled, a range
//!   whose tree hash fails, ListParts pages that repeat), with the same attempts and backoff;
//! - errors: a [`Problem`] inside an [`UploadError`] (with the upload id) or a
//!   [`DownloadError`] (with the job id); permanent problems say what to do next.
//!
//! Layout: `upload.rs` uploads and ListParts, `download.rs` downloads and their state file,
//! `network.rs` retries and timeouts, `error.rs` the errors.
//!
//! Which SDK builder method gets which value:
//!
//! | SDK call | builder method | value |
//! |---|---|---|
//! | `upload_archive`, `upload_multipart_part` | `.checksum(..)` | [`TreeHash`](glacier_tree_hash::TreeHash)`.to_string()` of the body |
//! | `initiate_multipart_upload` | `.part_size(..)` | [`PartSize`](glacier_tree_hash::PartSize)`::bytes().to_string()` |
//! | `upload_multipart_part` | `.range(..)` | [`ContentRange`](glacier_tree_hash::ContentRange)`.to_string()`: `bytes FIRST-LAST/*` |
//! | `complete_multipart_upload` | `.archive_size(..)`, `.checksum(..)` | the file size, and [`ArchiveAssembler::assemble`](glacier_tree_hash::ArchiveAssembler::assemble) of the part hashes |
//! | `get_job_output` | `.range(..)` | `bytes=FIRST-LAST` of a tree-hash-aligned range |
//!
//! All of these take `impl Into<String>`; ListParts gives `part_size_in_bytes()` as an `i64`
//! and each part's `range_in_bytes()` and `sha256_tree_hash()` as `Option<&str>`.
//!
//! ```no_run
//! use glacier_tree_hash_aws::{
//!     download_archive, upload_file, DownloadOptions, NetworkPolicy, UploadOptions,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = aws_config::load_from_env().await;
//! let builder = NetworkPolicy::default().apply((&config).into());
//! let client = aws_sdk_glacier::Client::from_conf(builder.build());
//!
//! let uploaded = upload_file(&client, "my-vault", "backup.tar", &UploadOptions::default()).await?;
//! println!("archive {} with tree hash {}", uploaded.archive_id, uploaded.tree_hash);
//!
//! // Later, once an archive-retrieval job for it has completed:
//! let done = download_archive(&client, "my-vault", "JOB-ID", "restored.tar", &DownloadOptions::default())
//!     .await?;
//! assert_eq!(done.tree_hash, uploaded.tree_hash);
//! # Ok(())
//! # }
//! ```
//!
//! Async functions spawn tasks, so they need a Tokio runtime (either flavour).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The library is used through few call sites, so API changes there stay local:
// `part_ranges` below (`PartSize::parts`); in upload.rs `read_part` (`Checksums::of`),
// `content_range_header` (`ContentRange::new`), `hash_parts` (`MultipartHasher::update_file`),
// `UploadOptions::part_size_for` (`PartSize::for_archive`, `check_archive_size`); `ArchiveAssembler`
// in `resume_upload`, `Multipart::upload_parts` and `Multipart::complete`; in download.rs
// `Fetch::attempt` and `read_hash` (`TreeHasher`), the final `combine` and `TreeHasher::update_file`.

mod download;
mod error;
mod network;
mod upload;

pub use download::{
    download_archive, partial_file_path, state_file_path, DownloadOptions, DownloadedArchive,
};
pub use error::{DownloadError, Problem, SdkFailure, UploadError};
pub use network::NetworkPolicy;
pub(crate) use network::{service, OwnRetries};
pub use upload::{
    list_parts, resume_upload, upload_file, ListedParts, UploadOptions, UploadedArchive,
};

/// The parts of an archive (or the ranges of a download) as half-open byte ranges: all of
/// `size` bytes but the last, which may be shorter.
fn part_ranges(size: glacier_tree_hash::PartSize, archive_size: u64) -> Vec<std::ops::Range<u64>> {
    size.parts(archive_size).map(|part| part.range()).collect()
}

/// Runs file work off the async threads; errors name `path`.
pub(crate) async fn blocking<T: Send + 'static>(
    path: &std::path::Path,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, error::Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
        .map_err(|source| error::Problem::Io {
            path: path.to_owned(),
            range: None,
            source,
        })
}
