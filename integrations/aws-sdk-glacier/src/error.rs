//! The errors of uploads and downloads: each names the operation, the upload or job, and the
//! byte range or file it was about.

use glacier_tree_hash::{AddPartError, AssembleError, PartSizeError, TooManyParts, TreeHash};
use std::error::Error;
use std::fmt;
use std::io;
use std::ops::Range;
use std::path::PathBuf;

/// An error from the SDK (a service refusal, a network or credentials problem), boxed so the
/// error types do not depend on each operation's error type.
pub type SdkFailure = Box<dyn Error + Send + Sync + 'static>;

/// Why [`upload_file`](crate::upload_file), [`resume_upload`](crate::resume_upload) or
/// [`list_parts`](crate::list_parts) failed.
///
/// Every variant that happens after InitiateMultipartUpload carries the upload id, so the upload
/// can be resumed with [`resume_upload`](crate::resume_upload) (or aborted).
#[derive(Debug)]
#[non_exhaustive]
pub enum UploadError {
    /// Reading the local file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The byte range being read, if one was.
        range: Option<Range<u64>>,
        /// What went wrong.
        source: io::Error,
    },
    /// The file's size changed while it was being uploaded.
    FileChanged {
        /// The file.
        path: PathBuf,
        /// The size when the upload began.
        expected: u64,
        /// The size found later.
        found: u64,
    },
    /// The part size is not one Glacier accepts, or no part size fits the file.
    PartSize(PartSizeError),
    /// The file has more than 10,000 parts of the part size chosen or of the upload's.
    TooManyParts {
        /// The multipart upload, if one was started.
        upload_id: Option<String>,
        /// The problem.
        source: TooManyParts,
    },
    /// A request failed: Glacier refused it, or it never got an answer.
    Service {
        /// The Glacier operation, such as `UploadMultipartPart`.
        operation: &'static str,
        /// The multipart upload, once there is one.
        upload_id: Option<String>,
        /// The part's byte range, for a part upload.
        range: Option<Range<u64>>,
        /// The SDK's error.
        source: SdkFailure,
    },
    /// Glacier answered with a tree hash other than the one computed here for the same bytes.
    ChecksumMismatch {
        /// The Glacier operation.
        operation: &'static str,
        /// The multipart upload, if any.
        upload_id: Option<String>,
        /// The part's byte range, or the whole archive's.
        range: Range<u64>,
        /// The tree hash computed here and sent.
        sent: TreeHash,
        /// What Glacier returned.
        returned: String,
    },
    /// A response lacked a field this crate needs, or had one it cannot read.
    Response {
        /// The Glacier operation.
        operation: &'static str,
        /// The multipart upload, if any.
        upload_id: Option<String>,
        /// What was missing or unreadable.
        problem: String,
    },
    /// ListParts lists a part that the local file does not have: the file is not the one this
    /// upload was started with.
    PartNotInFile {
        /// The multipart upload.
        upload_id: String,
        /// The part's byte range as listed.
        range: Range<u64>,
        /// The local file's size.
        file_size: u64,
    },
    /// A part's range does not fit the upload's part size (a bug or a changed file).
    AddPart {
        /// The multipart upload.
        upload_id: String,
        /// The problem.
        source: AddPartError,
    },
    /// The uploaded parts do not make up the archive, so no CompleteMultipartUpload was sent.
    Assemble {
        /// The multipart upload.
        upload_id: String,
        /// The missing or misplaced ranges.
        source: AssembleError,
    },
    /// A task uploading a part stopped without an answer (it panicked or was cancelled).
    Task {
        /// The multipart upload.
        upload_id: String,
        /// The task's failure.
        source: tokio::task::JoinError,
    },
}

impl UploadError {
    /// The multipart upload this error belongs to, if one was started: pass it to
    /// [`resume_upload`](crate::resume_upload) to finish the upload.
    ///
    /// ```
    /// use glacier_tree_hash_aws::UploadError;
    ///
    /// let error = UploadError::FileChanged { path: "a".into(), expected: 1, found: 2 };
    /// assert_eq!(error.upload_id(), None);
    /// ```
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            UploadError::Service { upload_id, .. }
            | UploadError::ChecksumMismatch { upload_id, .. }
            | UploadError::Response { upload_id, .. }
            | UploadError::TooManyParts { upload_id, .. } => upload_id.as_deref(),
            UploadError::PartNotInFile { upload_id, .. }
            | UploadError::AddPart { upload_id, .. }
            | UploadError::Assemble { upload_id, .. }
            | UploadError::Task { upload_id, .. } => Some(upload_id),
            UploadError::Io { .. } | UploadError::FileChanged { .. } | UploadError::PartSize(_) => {
                None
            }
        }
    }

    pub(crate) fn service<E>(
        operation: &'static str,
        upload_id: Option<&str>,
        range: Option<Range<u64>>,
        error: E,
    ) -> UploadError
    where
        E: Error + Send + Sync + 'static,
    {
        UploadError::Service {
            operation,
            upload_id: upload_id.map(str::to_owned),
            range,
            source: Box::new(error),
        }
    }
}

/// Writes `: error: its source: ...`, the SDK's error and every error beneath it (the SDK's
/// own `Display` says only "service error").
fn write_chain(f: &mut fmt::Formatter<'_>, error: &(dyn Error + 'static)) -> fmt::Result {
    let mut next = Some(error);
    let mut last = String::new();
    while let Some(error) = next {
        let text = error.to_string();
        // Skip a source that repeats its parent's message.
        if !last.ends_with(&text) {
            write!(f, ": {text}")?;
        }
        last = text;
        next = error.source();
    }
    Ok(())
}

/// Writes ` (upload ID)` when there is an upload id.
fn upload_suffix(f: &mut fmt::Formatter<'_>, upload_id: &Option<String>) -> fmt::Result {
    match upload_id {
        Some(id) => write!(f, " (upload {id})"),
        None => Ok(()),
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::Io {
                path,
                range: Some(range),
                source,
            } => write!(
                f,
                "reading bytes {range:?} of {}: {source}",
                path.display()
            ),
            UploadError::Io {
                path,
                range: None,
                source,
            } => write!(f, "reading {}: {source}", path.display()),
            UploadError::FileChanged {
                path,
                expected,
                found,
            } => write!(
                f,
                "{} changed during the upload: it had {expected} bytes, now {found}",
                path.display()
            ),
            UploadError::PartSize(source) => write!(f, "part size: {source}"),
            UploadError::TooManyParts { upload_id, source } => {
                write!(f, "{source}")?;
                upload_suffix(f, upload_id)
            }
            UploadError::Service {
                operation,
                upload_id,
                range,
                source,
            } => {
                write!(f, "{operation} failed")?;
                if let Some(range) = range {
                    write!(f, " for bytes {range:?}")?;
                }
                upload_suffix(f, upload_id)?;
                write_chain(f, &**source)
            }
            UploadError::ChecksumMismatch {
                operation,
                upload_id,
                range,
                sent,
                returned,
            } => {
                write!(
                    f,
                    "{operation} for bytes {range:?} returned tree hash {returned:?}, but {sent} was sent"
                )?;
                upload_suffix(f, upload_id)
            }
            UploadError::Response {
                operation,
                upload_id,
                problem,
            } => {
                write!(f, "{operation} response: {problem}")?;
                upload_suffix(f, upload_id)
            }
            UploadError::PartNotInFile {
                upload_id,
                range,
                file_size,
            } => write!(
                f,
                "upload {upload_id} has a part at bytes {range:?}, but the file has {file_size} bytes: it is not the file this upload began with"
            ),
            UploadError::AddPart { upload_id, source } => {
                write!(f, "upload {upload_id}: {source}")
            }
            UploadError::Assemble { upload_id, source } => {
                write!(f, "upload {upload_id}: {source}")
            }
            UploadError::Task { upload_id, source } => {
                write!(f, "upload {upload_id}: a part upload stopped: {source}")
            }
        }
    }
}

impl Error for UploadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            UploadError::Io { source, .. } => Some(source),
            UploadError::PartSize(source) => Some(source),
            UploadError::TooManyParts { source, .. } => Some(source),
            UploadError::Service { source, .. } => Some(&**source),
            UploadError::AddPart { source, .. } => Some(source),
            UploadError::Assemble { source, .. } => Some(source),
            UploadError::Task { source, .. } => Some(source),
            UploadError::FileChanged { .. }
            | UploadError::ChecksumMismatch { .. }
            | UploadError::Response { .. }
            | UploadError::PartNotInFile { .. } => None,
        }
    }
}

impl From<PartSizeError> for UploadError {
    fn from(error: PartSizeError) -> UploadError {
        UploadError::PartSize(error)
    }
}

/// Why [`download_archive`](crate::download_archive) failed. Ranges verified before the error
/// stay on disk and are recorded in the state file, so calling it again resumes.
#[derive(Debug)]
#[non_exhaustive]
pub enum DownloadError {
    /// A request failed: Glacier refused it, or it never got an answer.
    Service {
        /// The Glacier operation, `DescribeJob` or `GetJobOutput`.
        operation: &'static str,
        /// The job.
        job_id: String,
        /// The byte range asked for, for GetJobOutput.
        range: Option<Range<u64>>,
        /// The SDK's error.
        source: SdkFailure,
    },
    /// The job is not a completed, successful archive retrieval.
    JobNotReady {
        /// The job.
        job_id: String,
        /// The job's action and status as DescribeJob gave them.
        status: String,
    },
    /// A response lacked a field this crate needs, or had one it cannot read.
    Response {
        /// The Glacier operation.
        operation: &'static str,
        /// The job.
        job_id: String,
        /// What was missing or unreadable.
        problem: String,
    },
    /// A range arrived with another length than was asked for.
    RangeLength {
        /// The range asked for.
        range: Range<u64>,
        /// The bytes received.
        received: u64,
    },
    /// A range arrived without the `x-amz-sha256-tree-hash` that Glacier sends with every
    /// tree-hash-aligned range, so it cannot be verified.
    RangeWithoutChecksum {
        /// The range.
        range: Range<u64>,
    },
    /// A range's bytes do not have the tree hash Glacier sent with them: they were corrupted on
    /// the way. Nothing of the range was written.
    RangeMismatch {
        /// The range.
        range: Range<u64>,
        /// The tree hash Glacier sent.
        expected: TreeHash,
        /// The tree hash of the bytes received.
        actual: TreeHash,
    },
    /// Every range matched its own tree hash, but together they do not make the job's
    /// `SHA256TreeHash`. The state file is removed, so the next attempt starts over.
    ArchiveMismatch {
        /// The job.
        job_id: String,
        /// The job's `SHA256TreeHash`.
        expected: TreeHash,
        /// The tree hash of the file written.
        actual: TreeHash,
    },
    /// The file read back after the download does not have the job's `SHA256TreeHash`, though
    /// every range did when it was written: something changed the file. The state file is
    /// removed, so the next attempt starts over.
    FileMismatch {
        /// The output file.
        path: PathBuf,
        /// The job's `SHA256TreeHash`.
        expected: TreeHash,
        /// The tree hash of the file as read back.
        actual: TreeHash,
    },
    /// Reading or writing the output file or its state file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// A task downloading a range stopped without an answer (it panicked or was cancelled).
    Task {
        /// The task's failure.
        source: tokio::task::JoinError,
    },
}

impl DownloadError {
    pub(crate) fn io(path: &std::path::Path, source: io::Error) -> DownloadError {
        DownloadError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::Service {
                operation,
                job_id,
                range,
                source,
            } => {
                write!(f, "{operation} failed for job {job_id}")?;
                if let Some(range) = range {
                    write!(f, ", bytes {range:?}")?;
                }
                write_chain(f, &**source)
            }
            DownloadError::JobNotReady { job_id, status } => write!(
                f,
                "job {job_id} is not a completed archive retrieval: {status}"
            ),
            DownloadError::Response {
                operation,
                job_id,
                problem,
            } => write!(f, "{operation} response for job {job_id}: {problem}"),
            DownloadError::RangeLength { range, received } => write!(
                f,
                "bytes {range:?} arrived as {received} bytes instead of {}",
                range.end - range.start
            ),
            DownloadError::RangeWithoutChecksum { range } => write!(
                f,
                "bytes {range:?} arrived without x-amz-sha256-tree-hash, so they cannot be verified"
            ),
            DownloadError::RangeMismatch {
                range,
                expected,
                actual,
            } => write!(
                f,
                "bytes {range:?} are corrupt: their tree hash is {actual}, Glacier sent {expected}"
            ),
            DownloadError::ArchiveMismatch {
                job_id,
                expected,
                actual,
            } => write!(
                f,
                "the output of job {job_id} has tree hash {actual}, but DescribeJob gives {expected}"
            ),
            DownloadError::FileMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{} has tree hash {actual} when read back, but the job's is {expected}",
                path.display()
            ),
            DownloadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DownloadError::Task { source } => write!(f, "a range download stopped: {source}"),
        }
    }
}

impl Error for DownloadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            DownloadError::Service { source, .. } => Some(&**source),
            DownloadError::Io { source, .. } => Some(source),
            DownloadError::Task { source } => Some(source),
            _ => None,
        }
    }
}
