//! The errors: one [`Problem`] enum for what went wrong, inside an [`UploadError`] that names the
//! upload or a [`DownloadError`] that names the job, once. Permanent problems say what to do.

use glacier_tree_hash::{AddPartError, AssembleError, PartSizeError, TooManyParts, TreeHash};
use std::error::Error;
use std::ops::Range;
use std::path::PathBuf;

/// An error from the SDK (a service refusal, a network or credentials problem), boxed.
pub type SdkFailure = Box<dyn Error + Send + Sync + 'static>;

/// What went wrong in an upload or a download.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Reading or writing a local file failed.
    #[error("{}{}: {source}", path.display(), bytes(range))]
    Io {
        /// The file.
        path: PathBuf,
        /// The byte range being read or written, if one was.
        range: Option<Range<u64>>,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file's size changed during the upload: the upload is not completed.
    #[error("{} changed during the upload{}: it had {expected} bytes, now {found}; upload it again once it stops changing", path.display(), bytes(range))]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// The part being read when the change was found, if one was.
        range: Option<Range<u64>>,
        /// The size when the upload began.
        expected: u64,
        /// The size found later.
        found: u64,
    },
    /// The part size is not one Glacier accepts, or no part size fits the file.
    #[error("part size: {0}")]
    PartSize(#[from] PartSizeError),
    /// The file has more than 10,000 parts of the part size chosen or of the upload's.
    #[error(transparent)]
    TooManyParts(TooManyParts),
    /// Glacier does not know the vault, upload or job (ResourceNotFoundException).
    #[error("{operation}: {advice}")]
    NotFound {
        /// The Glacier operation.
        operation: &'static str,
        /// What is unknown, and what to check or start again.
        advice: &'static str,
    },
    /// A request failed: Glacier refused it, or it got no answer within the retries.
    #[error("{operation} failed{}{}", bytes(range), chain(&**source))]
    Service {
        /// The Glacier operation, such as `UploadMultipartPart`.
        operation: &'static str,
        /// The part or range, if the request was for one.
        range: Option<Range<u64>>,
        /// The SDK's error.
        source: SdkFailure,
    },
    /// A tree hash is not the one expected: Glacier's for bytes sent, or a whole download's.
    #[error("{what} has tree hash {actual}, but {expected} was expected")]
    Mismatch {
        /// What was checked, such as `CompleteMultipartUpload's answer` or `the file read back`.
        what: String,
        /// The tree hash computed here (upload) or the job's `SHA256TreeHash` (download).
        expected: TreeHash,
        /// The tree hash found.
        actual: TreeHash,
    },
    /// A response lacked a field this crate needs, or had one it cannot read or act on.
    #[error("{operation} response: {problem}")]
    Response {
        /// The Glacier operation.
        operation: &'static str,
        /// What was missing, unreadable or inconsistent.
        problem: String,
    },
    /// ListParts lists a part that the local file does not have: it is another file.
    #[error("a part at bytes {range:?} is listed, but the file has {file_size} bytes: it is not the file this upload began with")]
    PartNotInFile {
        /// The part's byte range as listed.
        range: Range<u64>,
        /// The local file's size.
        file_size: u64,
    },
    /// A part's range does not fit the upload's part size (a bug or a changed file).
    #[error(transparent)]
    AddPart(AddPartError),
    /// The uploaded parts do not make up the archive, so no CompleteMultipartUpload was sent.
    #[error(transparent)]
    Assemble(AssembleError),
    /// A download range failed on every attempt (cut short, stalled, corrupt); none was written.
    #[error("bytes {range:?} not verified after {attempts} attempts: {problem}")]
    Range {
        /// The range.
        range: Range<u64>,
        /// The attempts made.
        attempts: u32,
        /// What went wrong on the last attempt.
        problem: String,
    },
    /// A download's state file is unreadable or belongs to another archive: it is not trusted.
    #[error("state file {}: {problem}; remove it and its partial file to start over", path.display())]
    StateFile {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}

/// Why [`upload_file`](crate::upload_file), [`resume_upload`](crate::resume_upload) or
/// [`list_parts`](crate::list_parts) failed: the [`problem`](UploadError::problem), and the upload.
#[derive(Debug)]
pub struct UploadError {
    upload_id: Option<String>,
    problem: Problem,
}

impl UploadError {
    /// The multipart upload, if one was started: [`resume_upload`](crate::resume_upload) finishes it.
    ///
    /// ```
    /// use glacier_tree_hash_aws::{Problem, UploadError};
    /// let error = UploadError::from(Problem::Response { operation: "ListParts", problem: "?".into() });
    /// assert_eq!(error.upload_id(), None);
    /// assert!(matches!(error.problem(), Problem::Response { .. }));
    /// ```
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    /// What went wrong (see [`upload_id`](UploadError::upload_id) for an example).
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

/// Why [`download_archive`](crate::download_archive) failed: the [`problem`](DownloadError::problem)
/// and the job. Verified ranges stay in the partial file, so calling it again resumes.
#[derive(Debug)]
pub struct DownloadError {
    job_id: String,
    problem: Problem,
}

impl DownloadError {
    /// The archive-retrieval job; with [`problem`](DownloadError::problem), what went wrong.
    ///
    /// ```
    /// # fn show(error: &glacier_tree_hash_aws::DownloadError) {
    /// eprintln!("job {}: {}", error.job_id(), error.problem());
    /// # }
    /// ```
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// What went wrong (see [`job_id`](DownloadError::job_id) for an example).
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl Problem {
    /// This problem, in the multipart upload `upload_id`.
    pub(crate) fn in_upload(self, upload_id: &str) -> UploadError {
        let (upload_id, problem) = (Some(upload_id.to_owned()), self);
        UploadError { upload_id, problem }
    }

    /// This problem, in the download of job `job_id`.
    pub(crate) fn in_job(self, job_id: &str) -> DownloadError {
        let (job_id, problem) = (job_id.to_owned(), self);
        DownloadError { job_id, problem }
    }
}

impl From<Problem> for UploadError {
    fn from(problem: Problem) -> UploadError {
        let upload_id = None;
        UploadError { upload_id, problem }
    }
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.upload_id {
            Some(id) => write!(f, "upload {id}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

impl std::fmt::Display for DownloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job {}: {}", self.job_id, self.problem)
    }
}

/// The source of an error with context is its problem's (the problem is in its message).
macro_rules! source_is_the_problems {
    ($($error:ty),*) => {$(
        impl Error for $error {
            fn source(&self) -> Option<&(dyn Error + 'static)> { self.problem.source() }
        }
    )*};
}
source_is_the_problems!(UploadError, DownloadError);

/// ` for bytes START..END` when there is a range.
fn bytes(range: &Option<Range<u64>>) -> String {
    range
        .as_ref()
        .map(|r| format!(" for bytes {r:?}"))
        .unwrap_or_default()
}

/// `: error: its source: ...` (the SDK's `Display` says only "service error"), without repeats.
fn chain(error: &(dyn Error + 'static)) -> String {
    let (mut text, mut last) = (String::new(), String::new());
    let mut next = Some(error);
    while let Some(error) = next {
        let message = error.to_string();
        if !last.ends_with(&message) {
            text = format!("{text}: {message}");
        }
        (last, next) = (message, error.source());
    }
    text
}
