//! Verified, resumable downloads of archive-retrieval job output.

use crate::error::DownloadError;
use crate::part_ranges;
use aws_sdk_glacier::types::{ActionCode, StatusCode};
use aws_sdk_glacier::Client;
use glacier_tree_hash::{combine, is_tree_hash_aligned, PartSize, TreeHash, TreeHasher};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::task::JoinSet;

/// How [`download_archive`] downloads.
///
/// ```
/// use glacier_tree_hash_aws::DownloadOptions;
///
/// let options = DownloadOptions::default().range_size("32MiB".parse()?).ranges_in_flight(2);
/// assert_eq!(options.memory_bound(), 64 << 20);
/// # Ok::<(), glacier_tree_hash::PartSizeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// The size of each GetJobOutput range: 1 MiB × 2^k, so that every range is tree-hash
    /// aligned and Glacier sends its tree hash. Default 16 MiB.
    pub range_size: PartSize,
    /// How many ranges are requested at once (at least 1; default 4). Each range is held in
    /// memory until it is verified and written: at most `ranges_in_flight × range_size` bytes.
    pub ranges_in_flight: usize,
    /// Whether to read the whole file back once all ranges are in, and compare its tree hash
    /// with the job's `SHA256TreeHash` (default `true`). Without it, the final check combines
    /// the tree hashes of the bytes as they were written; with it, what is on disk is checked
    /// too, at the cost of one more read of the file.
    pub reread_file: bool,
}

impl Default for DownloadOptions {
    fn default() -> DownloadOptions {
        DownloadOptions {
            range_size: match PartSize::new(16 << 20) {
                Ok(size) => size,
                Err(_) => PartSize::MIN,
            },
            ranges_in_flight: 4,
            reread_file: true,
        }
    }
}

impl DownloadOptions {
    /// Sets [`range_size`](DownloadOptions::range_size).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::DownloadOptions::default()
    ///     .range_size(glacier_tree_hash::PartSize::MIN);
    /// assert_eq!(options.range_size.bytes(), 1 << 20);
    /// ```
    pub fn range_size(mut self, range_size: PartSize) -> DownloadOptions {
        self.range_size = range_size;
        self
    }

    /// Sets [`ranges_in_flight`](DownloadOptions::ranges_in_flight); 0 counts as 1.
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::DownloadOptions::default().ranges_in_flight(0);
    /// assert_eq!(options.ranges_in_flight, 1);
    /// ```
    pub fn ranges_in_flight(mut self, ranges: usize) -> DownloadOptions {
        self.ranges_in_flight = ranges.max(1);
        self
    }

    /// Sets [`reread_file`](DownloadOptions::reread_file).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::DownloadOptions::default().reread_file(false);
    /// assert!(!options.reread_file);
    /// ```
    pub fn reread_file(mut self, reread: bool) -> DownloadOptions {
        self.reread_file = reread;
        self
    }

    /// The most downloaded bytes held in memory at once: `ranges_in_flight × range_size`.
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::DownloadOptions::default();
    /// assert_eq!(options.memory_bound(), 4 * (16 << 20));
    /// ```
    pub fn memory_bound(&self) -> u64 {
        let ranges = u64::try_from(self.ranges_in_flight.max(1)).unwrap_or(u64::MAX);
        self.range_size.bytes().saturating_mul(ranges)
    }
}

/// A job's output, written and verified.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedArchive {
    /// The output's tree hash: the job's `SHA256TreeHash`, which the file matches.
    pub tree_hash: TreeHash,
    /// The output's size in bytes.
    pub size: u64,
    /// The GetJobOutput requests this call made that were verified and written.
    pub ranges_downloaded: u64,
    /// The ranges an earlier, interrupted call had written, found intact on disk.
    pub ranges_resumed: u64,
}

/// The state file beside `out`: `OUT.glacier-download`.
///
/// ```
/// use std::path::Path;
///
/// let state = glacier_tree_hash_aws::state_file_path(Path::new("/tmp/archive.tar"));
/// assert_eq!(state, Path::new("/tmp/archive.tar.glacier-download"));
/// ```
pub fn state_file_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".glacier-download");
    PathBuf::from(name)
}

/// Downloads the output of the completed archive-retrieval job `job_id` to the file `out`, and
/// verifies all of it.
///
/// DescribeJob gives the output's size and `SHA256TreeHash`. The output is fetched with
/// GetJobOutput in ranges of [`range_size`](DownloadOptions::range_size) (1 MiB × 2^k, so each
/// range is tree-hash aligned and Glacier sends its `x-amz-sha256-tree-hash`),
/// [`ranges_in_flight`](DownloadOptions::ranges_in_flight) at a time. Each range is hashed
/// when it arrives; one whose tree hash differs from Glacier's is an error
/// ([`DownloadError::RangeMismatch`], naming the range) and is not written. A verified range is
/// written, synced, and then recorded with its tree hash in a state file beside `out` (see
/// [`state_file_path`]). Finally the ranges' tree hashes are combined and compared with the
/// job's `SHA256TreeHash`, and (unless [`reread_file`](DownloadOptions::reread_file) is off) the
/// file is read back and its tree hash compared too; only then is the state file removed and
/// the download reported done.
///
/// After an interruption or an error, calling this again with the same job and `out` resumes:
/// the ranges the state file records are read back from disk and re-hashed, and only the
/// ranges missing or no longer intact are fetched. A state file for another job, size or range
/// size is ignored and the download starts over.
///
/// Jobs without a `SHA256TreeHash` (a retrieval of a range that is not tree-hash aligned)
/// cannot be verified and are refused ([`DownloadError::Response`]).
///
/// ```no_run
/// use glacier_tree_hash_aws::{download_archive, DownloadOptions};
///
/// # async fn run(client: aws_sdk_glacier::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let done = download_archive(&client, "my-vault", "JOB-ID", "restored.tar", &DownloadOptions::default())
///     .await?;
/// println!("{} bytes, tree hash {}", done.size, done.tree_hash);
/// # Ok(())
/// # }
/// ```
pub async fn download_archive(
    client: &Client,
    vault: &str,
    job_id: &str,
    out: impl AsRef<Path>,
    options: &DownloadOptions,
) -> Result<DownloadedArchive, DownloadError> {
    let out = out.as_ref();
    let job = describe(client, vault, job_id).await?;
    let range_size = options.range_size;
    let state_path = state_file_path(out);
    let header = state_header(job_id, job.size, range_size, job.tree_hash);

    // Ranges an earlier call verified and wrote, if they are still intact.
    let (out_path, check_path, check_header) = (out.to_owned(), state_path.clone(), header.clone());
    let resumed = blocking(out, move || {
        let recorded = read_state(&check_path, &check_header);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&out_path)?;
        file.set_len(job.size)?;
        let mut intact = BTreeMap::new();
        for (start, (end, hash)) in recorded {
            if end <= job.size && read_hash(&mut file, start..end)? == hash {
                intact.insert(start, (end, hash));
            }
        }
        // Start the state file afresh with what is known to be on disk.
        let mut state = File::create(&check_path)?;
        state.write_all(check_header.as_bytes())?;
        for (start, (end, hash)) in &intact {
            writeln!(state, "{start} {end} {hash}")?;
        }
        state.sync_data()?;
        Ok(intact)
    })
    .await?;
    let ranges_resumed = u64::try_from(resumed.len()).unwrap_or(u64::MAX);

    let mut done = resumed;
    let missing: Vec<Range<u64>> = part_ranges(range_size, job.size)
        .into_iter()
        .filter(|range| !done.contains_key(&range.start))
        .collect();
    let fetch = Arc::new(Fetch {
        client: client.clone(),
        vault: vault.to_owned(),
        job_id: job_id.to_owned(),
        out: out.to_owned(),
        size: job.size,
    });
    let mut state = OpenOptions::new()
        .append(true)
        .open(&state_path)
        .map_err(|e| DownloadError::io(&state_path, e))?;
    let mut tasks = JoinSet::new();
    let mut missing = missing.into_iter();
    let mut ranges_downloaded = 0;
    loop {
        while tasks.len() < options.ranges_in_flight.max(1) {
            let Some(range) = missing.next() else { break };
            let fetch = Arc::clone(&fetch);
            tasks.spawn(async move { fetch.range(range).await });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (range, hash) = joined.map_err(|source| DownloadError::Task { source })??;
        // The bytes are on disk and synced: now record them.
        writeln!(state, "{} {} {hash}", range.start, range.end)
            .and_then(|()| state.flush())
            .map_err(|e| DownloadError::io(&state_path, e))?;
        done.insert(range.start, (range.end, hash));
        ranges_downloaded += 1;
    }
    drop(state);

    let hashes: Vec<TreeHash> = done.values().map(|&(_, hash)| hash).collect();
    let actual = combine(&hashes);
    if actual != job.tree_hash {
        // Every range matched Glacier's hash for it, so no one range is to blame: start over.
        let _ = std::fs::remove_file(&state_path);
        return Err(DownloadError::ArchiveMismatch {
            job_id: job_id.to_owned(),
            expected: job.tree_hash,
            actual,
        });
    }
    if options.reread_file {
        let path = out.to_owned();
        let on_disk = blocking(out, move || glacier_tree_hash::tree_hash_file(&path)).await?;
        if on_disk != job.tree_hash {
            // The ranges were right when written; the file changed since. Start over.
            let _ = std::fs::remove_file(&state_path);
            return Err(DownloadError::FileMismatch {
                path: out.to_owned(),
                expected: job.tree_hash,
                actual: on_disk,
            });
        }
    }
    std::fs::remove_file(&state_path).map_err(|e| DownloadError::io(&state_path, e))?;
    Ok(DownloadedArchive {
        tree_hash: actual,
        size: job.size,
        ranges_downloaded,
        ranges_resumed,
    })
}

/// What DescribeJob says about the job's output.
#[derive(Clone, Copy, Debug)]
struct JobOutput {
    size: u64,
    tree_hash: TreeHash,
}

async fn describe(client: &Client, vault: &str, job_id: &str) -> Result<JobOutput, DownloadError> {
    let job = client
        .describe_job()
        .vault_name(vault)
        .job_id(job_id)
        .send()
        .await
        .map_err(|e| DownloadError::Service {
            operation: "DescribeJob",
            job_id: job_id.to_owned(),
            range: None,
            source: Box::new(e),
        })?;
    let problem = |problem: String| DownloadError::Response {
        operation: "DescribeJob",
        job_id: job_id.to_owned(),
        problem,
    };
    let ready = job.completed()
        && job.status_code() == Some(&StatusCode::Succeeded)
        && job.action() == Some(&ActionCode::ArchiveRetrieval);
    if !ready {
        return Err(DownloadError::JobNotReady {
            job_id: job_id.to_owned(),
            status: format!(
                "action {:?}, status {:?}, completed {}",
                job.action().map(ActionCode::as_str),
                job.status_code().map(StatusCode::as_str),
                job.completed()
            ),
        });
    }
    // The output is the retrieved range if there is one, else the whole archive.
    let size = match job.retrieval_byte_range() {
        Some(text) => {
            let range = text
                .split_once('-')
                .and_then(|(first, last)| {
                    Some((first.parse::<u64>().ok()?, last.parse::<u64>().ok()?))
                })
                .filter(|(first, last)| first <= last)
                .ok_or_else(|| problem(format!("RetrievalByteRange {text:?} is unreadable")))?;
            range.1 - range.0 + 1
        }
        None => {
            let bytes = job
                .archive_size_in_bytes()
                .ok_or_else(|| problem("no ArchiveSizeInBytes".into()))?;
            u64::try_from(bytes)
                .map_err(|_| problem(format!("ArchiveSizeInBytes {bytes} is negative")))?
        }
    };
    let text = job.sha256_tree_hash().ok_or_else(|| {
        problem("no SHA256TreeHash: the retrieved range is not tree-hash aligned, so it cannot be verified".into())
    })?;
    let tree_hash =
        TreeHash::from_hex(text).map_err(|e| problem(format!("SHA256TreeHash {text:?}: {e}")))?;
    Ok(JobOutput { size, tree_hash })
}

/// What every GetJobOutput request needs.
#[derive(Debug)]
struct Fetch {
    client: Client,
    vault: String,
    job_id: String,
    out: PathBuf,
    size: u64,
}

impl Fetch {
    /// Fetches `range`, verifies it against the tree hash Glacier sends, writes and syncs it.
    async fn range(&self, range: Range<u64>) -> Result<(Range<u64>, TreeHash), DownloadError> {
        if !is_tree_hash_aligned(range.clone(), self.size) {
            // Cannot happen with 1 MiB × 2^k ranges; refuse rather than write unverified bytes.
            return Err(DownloadError::RangeWithoutChecksum { range });
        }
        let service = |e: Box<dyn std::error::Error + Send + Sync>| DownloadError::Service {
            operation: "GetJobOutput",
            job_id: self.job_id.clone(),
            range: Some(range.clone()),
            source: e,
        };
        let output = self
            .client
            .get_job_output()
            .vault_name(&self.vault)
            .job_id(&self.job_id)
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
            .map_err(|e| service(Box::new(e)))?;
        let expected = match output.checksum() {
            Some(text) => TreeHash::from_hex(text).map_err(|e| DownloadError::Response {
                operation: "GetJobOutput",
                job_id: self.job_id.clone(),
                problem: format!("x-amz-sha256-tree-hash {text:?} for bytes {range:?}: {e}"),
            })?,
            None => return Err(DownloadError::RangeWithoutChecksum { range }),
        };
        // Keep the body's segments as they arrive (joining them would copy the range), and stop
        // at once if more arrives than was asked for.
        let length = range.end - range.start;
        let mut body = output.body;
        let mut segments = Vec::new();
        let mut received = 0u64;
        while let Some(segment) = body.try_next().await.map_err(|e| service(Box::new(e)))? {
            received = received.saturating_add(u64::try_from(segment.len()).unwrap_or(u64::MAX));
            if received > length {
                return Err(DownloadError::RangeLength { range, received });
            }
            segments.push(segment);
        }
        if received != length {
            return Err(DownloadError::RangeLength { range, received });
        }
        let out = self.out.clone();
        let start = range.start;
        let actual = blocking(&self.out, move || {
            let mut hasher = TreeHasher::new();
            for segment in &segments {
                hasher.update(segment);
            }
            let actual = hasher.finalize();
            if actual == expected {
                let mut file = OpenOptions::new().write(true).open(&out)?;
                file.seek(SeekFrom::Start(start))?;
                for segment in &segments {
                    file.write_all(segment)?;
                }
                file.sync_data()?;
            }
            Ok(actual)
        })
        .await?;
        if actual != expected {
            return Err(DownloadError::RangeMismatch {
                range,
                expected,
                actual,
            });
        }
        Ok((range, actual))
    }
}

/// Runs file work off the async threads; errors name `path`.
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, DownloadError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| DownloadError::io(path, e)),
        Err(source) => Err(DownloadError::Task { source }),
    }
}

/// The first line of a state file: what the recorded ranges belong to.
fn state_header(job_id: &str, size: u64, range_size: PartSize, tree_hash: TreeHash) -> String {
    format!(
        "glacier-tree-hash-aws download 1 job={job_id} size={size} range-size={} tree-hash={tree_hash}\n",
        range_size.bytes()
    )
}

/// The ranges a state file records (start → end and tree hash), if its header is `header`;
/// none if it is absent, belongs to something else, or cannot be read.
fn read_state(path: &Path, header: &str) -> BTreeMap<u64, (u64, TreeHash)> {
    let mut ranges = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return ranges;
    };
    let Some(body) = text.strip_prefix(header) else {
        return ranges;
    };
    for line in body.lines() {
        let mut fields = line.split(' ');
        let parsed = (|| {
            let start = fields.next()?.parse::<u64>().ok()?;
            let end = fields.next()?.parse::<u64>().ok()?;
            let hash = TreeHash::from_hex(fields.next()?).ok()?;
            (start < end && fields.next().is_none()).then_some((start, end, hash))
        })();
        if let Some((start, end, hash)) = parsed {
            ranges.insert(start, (end, hash));
        }
    }
    ranges
}

/// The tree hash of bytes `range` of `file`, read in pieces.
fn read_hash(file: &mut File, range: Range<u64>) -> std::io::Result<TreeHash> {
    file.seek(SeekFrom::Start(range.start))?;
    let mut hasher = TreeHasher::new();
    hasher.update_reader(Read::by_ref(file).take(range.end - range.start))?;
    if hasher.count() != range.end - range.start {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use glacier_tree_hash::tree_hash;

    #[test]
    fn state_file_round_trip_and_foreign_headers() {
        let dir = std::env::temp_dir().join(format!("gth-aws-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state");
        let hash = tree_hash(b"range");
        let header = state_header("job", 10 << 20, PartSize::MIN, hash);
        let text = format!("{header}0 1048576 {hash}\nnot a line\n1048576 5 {hash}\n");
        std::fs::write(&path, text).unwrap();
        let ranges = read_state(&path, &header);
        assert_eq!(ranges.len(), 1, "only the well-formed line is kept");
        assert_eq!(ranges[&0], (1 << 20, hash));
        let other = state_header("another-job", 10 << 20, PartSize::MIN, hash);
        assert!(read_state(&path, &other).is_empty());
        assert!(read_state(&dir.join("absent"), &header).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
