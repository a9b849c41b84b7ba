//! Verified, resumable downloads of archive-retrieval job output.

use crate::blocking;
use crate::error::{DownloadError, Problem};
use crate::{part_ranges, service, OwnRetries};
use aws_sdk_glacier::types::{ActionCode, StatusCode};
use aws_sdk_glacier::Client;
use glacier_tree_hash::{combine, is_tree_hash_aligned, Hasher, PartSize, TreeHash, TreeHasher};
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
    /// Whether a file already at the output path may be replaced (default `false`: it is an
    /// error, found before any request). Either way it is replaced only by a verified output.
    pub overwrite: bool,
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
            overwrite: false,
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

    /// Sets [`overwrite`](DownloadOptions::overwrite).
    ///
    /// ```
    /// let options = glacier_tree_hash_aws::DownloadOptions::default().overwrite(true);
    /// assert!(options.overwrite);
    /// ```
    pub fn overwrite(mut self, overwrite: bool) -> DownloadOptions {
        self.overwrite = overwrite;
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
    /// The GetJobOutput ranges this call verified and wrote.
    pub ranges_downloaded: u64,
    /// The ranges an earlier, interrupted call had written, found intact on disk.
    pub ranges_resumed: u64,
}

/// The state file beside `out`: `OUT.glacier-download`. It records the verified ranges of the
/// partial file (see [`partial_file_path`]) and is replaced atomically after each range.
///
/// ```
/// use std::path::Path;
///
/// let state = glacier_tree_hash_aws::state_file_path(Path::new("/tmp/archive.tar"));
/// assert_eq!(state, Path::new("/tmp/archive.tar.glacier-download"));
/// ```
pub fn state_file_path(out: &Path) -> PathBuf {
    with_suffix(out, ".glacier-download")
}

/// The partial file beside `out`, `OUT.glacier-partial`: where the ranges are written until the
/// whole output is verified and renamed to `out`.
///
/// ```
/// use std::path::Path;
///
/// let partial = glacier_tree_hash_aws::partial_file_path(Path::new("/tmp/archive.tar"));
/// assert_eq!(partial, Path::new("/tmp/archive.tar.glacier-partial"));
/// ```
pub fn partial_file_path(out: &Path) -> PathBuf {
    with_suffix(out, ".glacier-partial")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Downloads the output of the completed archive-retrieval job `job_id` to the file `out`, and
/// verifies all of it.
///
/// DescribeJob gives the output's size and `SHA256TreeHash`. The output is fetched with
/// GetJobOutput in ranges of [`range_size`](DownloadOptions::range_size) (1 MiB × 2^k, so each
/// range is tree-hash aligned and Glacier sends its `x-amz-sha256-tree-hash`),
/// [`ranges_in_flight`](DownloadOptions::ranges_in_flight) at a time, into the partial file
/// beside `out` ([`partial_file_path`]). Each range is hashed when it arrives; a range whose
/// body is cut short, stalls longer than the client's read timeout, or whose tree hash differs
/// from Glacier's is not written but fetched again, with the client's attempts and backoff (see
/// [`NetworkPolicy`](crate::NetworkPolicy)); after the last attempt the download ends with
/// [`Problem::Range`](crate::Problem::Range), naming the range. A verified range is written and
/// synced, and then recorded with its tree hash in the state file ([`state_file_path`]), which
/// is replaced atomically (written under a temporary name, synced, renamed). Finally the
/// ranges' tree hashes are combined and compared with the job's `SHA256TreeHash`, and (unless
/// [`reread_file`](DownloadOptions::reread_file) is off) the partial file is read back and
/// its tree hash compared too; only then is it renamed to `out` and the state file removed.
///
/// A file already at `out` is an error unless [`overwrite`](DownloadOptions::overwrite) is
/// set, and is never touched before the new output is verified.
///
/// After an interruption or an error (a kill included), calling this again with the same `out`
/// resumes: the ranges the state file records are read back from the partial file and
/// re-hashed, and only the ranges missing or no longer intact are fetched. The state file is
/// tied to the output (its size, tree hash and the range size), not to the job, so a new job
/// for the same archive, after the first one expired, resumes too. A state file that is
/// unreadable or belongs to another output or range size is refused
/// ([`Problem::StateFile`](crate::Problem::StateFile)), never trusted nor overwritten.
///
/// Jobs without a `SHA256TreeHash` (a retrieval of a range that is not tree-hash aligned)
/// cannot be verified and are refused ([`Problem::Response`](crate::Problem::Response)).
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
    let in_job = |problem: Problem| problem.in_job(job_id);
    refuse_existing(out, options).map_err(in_job)?;
    let job = describe(client, vault, job_id).await.map_err(in_job)?;
    let range_size = options.range_size;
    let state_path = state_file_path(out);
    let partial_path = partial_file_path(out);
    let header = state_header(job.size, range_size, job.tree_hash);

    // Ranges an earlier call verified and wrote, if they are still intact.
    let recorded = read_state(&state_path, &header).map_err(in_job)?;
    let (check_path, check_state, check_header) =
        (partial_path.clone(), state_path.clone(), header.clone());
    let resumed = blocking(&partial_path, move || {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(recorded.is_empty())
            .open(&check_path)?;
        file.set_len(job.size)?;
        let mut intact = BTreeMap::new();
        for (start, (end, hash)) in recorded {
            if end <= job.size && read_hash(&mut file, start..end)? == hash {
                intact.insert(start, (end, hash));
            }
        }
        // Record only what is known to be on disk.
        write_state(&check_state, &check_header, &intact)?;
        Ok(intact)
    })
    .await
    .map_err(in_job)?;
    let ranges_resumed = u64::try_from(resumed.len()).unwrap_or(u64::MAX);

    let mut done = resumed;
    let missing: Vec<Range<u64>> = part_ranges(range_size, job.size)
        .into_iter()
        .filter(|range| !done.contains_key(&range.start))
        .collect();
    let fetch = Arc::new(Fetch {
        client: client.clone(),
        retries: OwnRetries::of(client),
        vault: vault.to_owned(),
        job_id: job_id.to_owned(),
        partial: partial_path.clone(),
        size: job.size,
    });
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
        let (range, hash) = joined
            .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
            .map_err(in_job)?;
        // The bytes are on disk and synced: now record them.
        done.insert(range.start, (range.end, hash));
        let (path, header, ranges) = (state_path.clone(), header.clone(), done.clone());
        blocking(&state_path, move || write_state(&path, &header, &ranges))
            .await
            .map_err(in_job)?;
        ranges_downloaded += 1;
    }

    let hashes: Vec<TreeHash> = done.values().map(|&(_, hash)| hash).collect();
    let actual = combine(&hashes);
    if actual != job.tree_hash {
        // Every range matched Glacier's hash for it, so no one range is to blame: start over.
        let _ = std::fs::remove_file(&state_path);
        return Err(in_job(Problem::Mismatch {
            what: "the output (its ranges' tree hashes combined)".into(),
            expected: job.tree_hash,
            actual,
        }));
    }
    if options.reread_file {
        let path = partial_path.clone();
        let on_disk = blocking(&partial_path, move || {
            let file = std::fs::File::open(&path)?;
            Ok(TreeHasher::new().update_file(&file, ..)?.finalize())
        })
        .await
        .map_err(in_job)?;
        if on_disk != job.tree_hash {
            // The ranges were right when written; the file changed since. Start over.
            let _ = std::fs::remove_file(&state_path);
            return Err(in_job(Problem::Mismatch {
                what: format!("{}, read back,", partial_path.display()),
                expected: job.tree_hash,
                actual: on_disk,
            }));
        }
    }
    refuse_existing(out, options).map_err(in_job)?;
    let (from, to, state) = (partial_path.clone(), out.to_owned(), state_path.clone());
    blocking(out, move || {
        std::fs::rename(&from, &to)?;
        sync_parent(&to)?;
        std::fs::remove_file(&state)?;
        sync_parent(&state)
    })
    .await
    .map_err(in_job)?;
    Ok(DownloadedArchive {
        tree_hash: actual,
        size: job.size,
        ranges_downloaded,
        ranges_resumed,
    })
}

/// An error if a file is at `out` and overwriting it was not asked for.
fn refuse_existing(out: &Path, options: &DownloadOptions) -> Result<(), Problem> {
    if options.overwrite || std::fs::symlink_metadata(out).is_err() {
        return Ok(());
    }
    let source = std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "a file is already at the output path; choose another output or allow overwriting it",
    );
    Err(Problem::Io {
        path: out.to_owned(),
        range: None,
        source,
    })
}

/// What DescribeJob says about the job's output.
#[derive(Clone, Copy, Debug)]
struct JobOutput {
    size: u64,
    tree_hash: TreeHash,
}

async fn describe(client: &Client, vault: &str, job_id: &str) -> Result<JobOutput, Problem> {
    let job = client
        .describe_job()
        .vault_name(vault)
        .job_id(job_id)
        .send()
        .await
        .map_err(|e| service("DescribeJob", None, e))?;
    let problem = |problem: String| Problem::Response {
        operation: "DescribeJob",
        problem,
    };
    let ready = job.completed()
        && job.status_code() == Some(&StatusCode::Succeeded)
        && job.action() == Some(&ActionCode::ArchiveRetrieval);
    if !ready {
        return Err(problem(format!(
            "not a completed archive retrieval (action {:?}, status {:?}, completed {}); wait for the job to complete",
            job.action().map(ActionCode::as_str),
            job.status_code().map(StatusCode::as_str),
            job.completed()
        )));
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
    retries: OwnRetries,
    vault: String,
    job_id: String,
    partial: PathBuf,
    size: u64,
}

impl Fetch {
    /// Fetches `range` until it arrives whole with the tree hash Glacier sends, at most the
    /// client's attempts; writes and syncs it.
    async fn range(&self, range: Range<u64>) -> Result<(Range<u64>, TreeHash), Problem> {
        if !is_tree_hash_aligned(range.clone(), self.size) {
            // Cannot happen with 1 MiB × 2^k ranges; refuse rather than write unverified bytes.
            let problem = "not tree-hash aligned, so Glacier sends no tree hash".into();
            return Err(Problem::Range {
                range,
                attempts: 0,
                problem,
            });
        }
        let mut attempt = 1;
        loop {
            match self.attempt(&range).await? {
                Ok(hash) => return Ok((range, hash)),
                Err(_) if attempt < self.retries.max_attempts => {
                    self.retries.wait(attempt).await;
                    attempt += 1;
                }
                Err(problem) => {
                    return Err(Problem::Range {
                        range,
                        attempts: attempt,
                        problem,
                    })
                }
            }
        }
    }

    /// One GetJobOutput of `range`: the range's tree hash once written, `Ok(Err(..))` for a
    /// fault worth another attempt (the SDK retries requests, not bodies), `Err` for the rest.
    async fn attempt(&self, range: &Range<u64>) -> Result<Result<TreeHash, String>, Problem> {
        let output = self
            .client
            .get_job_output()
            .vault_name(&self.vault)
            .job_id(&self.job_id)
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
            .map_err(|e| service("GetJobOutput", Some(range.clone()), e))?;
        let expected = match output.checksum().map(TreeHash::from_hex) {
            Some(Ok(hash)) => hash,
            Some(Err(e)) => return Ok(Err(format!("x-amz-sha256-tree-hash unreadable: {e}"))),
            None => {
                return Ok(Err(
                    "no x-amz-sha256-tree-hash, so it cannot be verified".into()
                ))
            }
        };
        // Keep the body's segments as they arrive (joining them would copy the range), and stop
        // at once if more arrives than was asked for or the body stalls.
        let length = range.end - range.start;
        let mut body = output.body;
        let mut segments = Vec::new();
        let mut received = 0u64;
        loop {
            let next = tokio::time::timeout(self.retries.read_timeout, body.try_next()).await;
            let segment = match next {
                Ok(Ok(Some(segment))) => segment,
                Ok(Ok(None)) => break,
                Ok(Err(e)) => return Ok(Err(format!("body cut short at {received} bytes: {e}"))),
                Err(_) => return Ok(Err(format!("body stalled at {received} bytes"))),
            };
            received = received.saturating_add(u64::try_from(segment.len()).unwrap_or(u64::MAX));
            if received > length {
                return Ok(Err(format!("more than the {length} bytes asked for")));
            }
            segments.push(segment);
        }
        if received != length {
            return Ok(Err(format!("body ended at {received} of {length} bytes")));
        }
        let (partial, start) = (self.partial.clone(), range.start);
        let actual = blocking(&self.partial, move || {
            let mut hasher = TreeHasher::new();
            for segment in &segments {
                hasher.update(segment);
            }
            let actual = hasher.finalize();
            if actual == expected {
                let mut file = OpenOptions::new().write(true).open(&partial)?;
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
            return Ok(Err(format!(
                "the bytes have tree hash {actual}, Glacier sent {expected}"
            )));
        }
        Ok(Ok(actual))
    }
}

/// The first line of a state file: what the recorded ranges belong to.
fn state_header(size: u64, range_size: PartSize, tree_hash: TreeHash) -> String {
    format!(
        "glacier-tree-hash-aws download 2 size={size} range-size={} tree-hash={tree_hash}\n",
        range_size.bytes()
    )
}

/// The ranges the state file records (start → end and tree hash); none if there is no state
/// file. A state file with another header or a line that is not `START END TREE-HASH` of a
/// non-empty range is refused.
fn read_state(path: &Path, header: &str) -> Result<BTreeMap<u64, (u64, TreeHash)>, Problem> {
    let refuse = |problem: String| Problem::StateFile {
        path: path.to_owned(),
        problem,
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| refuse("not UTF-8 text".into()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            let path = path.to_owned();
            return Err(Problem::Io {
                path,
                range: None,
                source,
            });
        }
    };
    let Some(body) = text.strip_prefix(header) else {
        let first = text.lines().next().unwrap_or_default();
        return Err(refuse(format!(
            "it belongs to another download ({first:?}; this one is {:?})",
            header.trim_end()
        )));
    };
    let mut ranges = BTreeMap::new();
    for (number, line) in body.lines().enumerate() {
        let mut fields = line.split(' ');
        let parsed = (|| {
            let start = fields.next()?.parse::<u64>().ok()?;
            let end = fields.next()?.parse::<u64>().ok()?;
            let hash = TreeHash::from_hex(fields.next()?).ok()?;
            (start < end && fields.next().is_none()).then_some((start, end, hash))
        })();
        let (start, end, hash) =
            parsed.ok_or_else(|| refuse(format!("line {} is unreadable: {line:?}", number + 2)))?;
        ranges.insert(start, (end, hash));
    }
    Ok(ranges)
}

/// Replaces the state file atomically: writes `STATE.tmp`, syncs it, renames it over the state
/// file and syncs the directory, so a kill leaves the old state or the new one, never a mix.
fn write_state(
    path: &Path,
    header: &str,
    ranges: &BTreeMap<u64, (u64, TreeHash)>,
) -> std::io::Result<()> {
    let mut text = header.to_owned();
    for (start, (end, hash)) in ranges {
        text.push_str(&format!("{start} {end} {hash}\n"));
    }
    let temporary = with_suffix(path, ".tmp");
    let mut file = File::create(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    sync_parent(path)
}

/// Syncs the directory holding `path`, so a rename or removal in it is on disk.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => File::open(parent)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
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
    fn state_file_round_trip_refuses_corrupt_and_foreign_files() {
        let dir = std::env::temp_dir().join(format!("gth-aws-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state");
        let hash = tree_hash(b"range");
        let header = state_header(10 << 20, PartSize::MIN, hash);
        assert!(
            read_state(&path, &header).unwrap().is_empty(),
            "no state file"
        );

        let ranges = BTreeMap::from([(0, (1 << 20, hash)), (3 << 20, (4 << 20, hash))]);
        write_state(&path, &header, &ranges).unwrap();
        assert_eq!(read_state(&path, &header).unwrap(), ranges);
        assert!(
            !with_suffix(&path, ".tmp").exists(),
            "the temporary was renamed"
        );

        let other = state_header(10 << 20, PartSize::MIN, tree_hash(b"another archive"));
        let refused = read_state(&path, &other).unwrap_err().to_string();
        assert!(refused.contains("belongs to another download"), "{refused}");

        let text = format!("{header}0 1048576 {hash}\nnot a line\n");
        std::fs::write(&path, text).unwrap();
        let refused = read_state(&path, &header).unwrap_err().to_string();
        assert!(refused.contains("line 3 is unreadable"), "{refused}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert!(matches!(
            read_state(&path, &header),
            Err(Problem::StateFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
