//! Hashing an input: one open `File` each, on a thread pool built only when an input is big
//! enough to use it, with as many threads as it can use.

use crate::args::Args;
use crate::mapped;
use crate::platform;
use crate::progress::{self, Progress};
use glacier_tree_hash::{
    ChecksumHasher, Checksums, Hasher, MultipartHasher, MultipartSummary, PartSize, TreeHash,
    TreeHasher,
};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Bound;
use std::time::Duration;

/// Input of at most this many bytes is hashed on the calling thread, with no thread pool, by
/// reads; a regular file with more is hashed from memory maps (unless `--no-mmap`), which cost
/// less CPU time from 2 MiB up (README: the tool's measurements).
const SERIAL_LIMIT: u64 = 1 << 20;

/// What to compute for an input.
#[derive(Clone, Copy, Debug)]
pub enum What {
    /// The tree hash.
    Tree,
    /// The tree hash and the linear SHA-256.
    Both,
    /// Every part's checksums and the archive's tree hash.
    Parts(PartSize),
}

/// What was computed for an input.
pub enum Hashed {
    Tree(TreeHash),
    Both { checksums: Checksums, size: u64 },
    Parts(MultipartSummary),
}

/// Hashes inputs, keeping the thread pool between them.
pub struct Hashing {
    /// The most threads a pool may have.
    max_threads: usize,
    /// The pool so far, and its thread count.
    pool: Option<(usize, rayon::ThreadPool)>,
    /// Whether a progress bar may be drawn at all (terminal, no --no-progress).
    progress: bool,
    /// Whether regular files are hashed from memory maps (no --no-mmap).
    map: bool,
}

impl Hashing {
    pub fn new(args: &Args) -> Hashing {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let requested = args
            .threads
            .map(|n| n as usize)
            .or_else(|| {
                std::env::var("RAYON_NUM_THREADS")
                    .ok()
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .filter(|&n| n > 0)
            })
            .unwrap_or(cores);
        Hashing {
            max_threads: requested.clamp(1, cores),
            pool: None,
            progress: progress::enabled(args.no_progress),
            map: !args.no_mmap,
        }
    }

    /// A pool with at least `wanted` threads (capped at `max_threads`), built on first need.
    fn pool(&mut self, wanted: u64) -> io::Result<&rayon::ThreadPool> {
        let wanted = usize::try_from(wanted)
            .unwrap_or(usize::MAX)
            .clamp(1, self.max_threads);
        let reuse = matches!(&self.pool, Some((threads, _)) if *threads >= wanted);
        if !reuse {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(wanted)
                .build()
                .map_err(|error| io::Error::other(format!("cannot start threads: {error}")))?;
            self.pool = Some((wanted, pool));
        }
        match &self.pool {
            Some((_, pool)) => Ok(pool),
            None => Err(io::Error::other("no thread pool")),
        }
    }

    /// Opens `name` (standard input for `-`) once and hashes it.
    pub fn hash_named(&mut self, name: &OsStr, what: What) -> io::Result<Hashed> {
        let file = if name == "-" {
            platform::stdin_file()?
        } else {
            File::open(name)?
        };
        self.hash_file(&file, name, what)
    }

    /// Hashes the open `file` from its cursor (`pos..`), whatever kind of file it is.
    fn hash_file(&mut self, file: &File, name: &OsStr, what: What) -> io::Result<Hashed> {
        // Standard input that is a regular file is hashed from its offset, and left at the end
        // of what was hashed, as sha256sum leaves it: `(read x; glacier-tree-hash) < f` hashes
        // the rest of `f`, and `glacier-tree-hash - -  < f` hashes it, then nothing.
        let stdin_start = if name == "-" && file.metadata()?.is_file() {
            let mut cursor = file;
            Some(cursor.stream_position()?)
        } else {
            None
        };
        let start = stdin_start.unwrap_or(0);
        let (hashed, size) = match what {
            What::Tree => {
                let hasher = self.run(TreeHasher::new(), file, name, start, what)?;
                (Hashed::Tree(hasher.finalize()), hasher.count())
            }
            What::Both => {
                let hasher = self.run(ChecksumHasher::new(), file, name, start, what)?;
                let size = hasher.count();
                let checksums = hasher.finalize();
                (Hashed::Both { checksums, size }, size)
            }
            What::Parts(part_size) => {
                let hasher = self.run(MultipartHasher::new(part_size), file, name, start, what)?;
                let summary = hasher
                    .finalize()
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
                let size = summary.archive_size;
                if size == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "empty input: Glacier refuses a multipart upload of 0 bytes \
                         (send it with UploadArchive)",
                    ));
                }
                (Hashed::Parts(summary), size)
            }
        };
        if let Some(start) = stdin_start {
            let mut cursor = file;
            cursor.seek(SeekFrom::Start(start.saturating_add(size)))?;
        }
        Ok(hashed)
    }

    /// Adds `file` to `hasher`: a regular file from `start`, anything else through its cursor.
    fn run<H: Hasher>(
        &mut self,
        mut hasher: H,
        file: &File,
        name: &OsStr,
        start: u64,
        what: What,
    ) -> io::Result<H> {
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "Is a directory",
            ));
        }
        if metadata.is_file() {
            let len = metadata.len();
            let remaining = len.saturating_sub(start);
            if let What::Parts(size) = what {
                // Refused before the first read, whichever path reads it.
                size.check_archive_size(remaining)
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
            }
            if remaining <= SERIAL_LIMIT {
                hasher.update_file(file, (Bound::Included(start), Bound::Unbounded))?;
                return Ok(hasher);
            }
            let chunks = remaining.div_ceil(SERIAL_LIMIT);
            let draw = progress::draws(self.progress, remaining);
            let map = self.map;
            let pool = self.pool(chunks)?;
            let threads = pool.current_num_threads();
            pool.install(|| {
                let bar = draw.then(|| Progress::new(name, Some(remaining), 0, Duration::ZERO));
                // From maps as far as the file maps, then by reads: the rest of what it
                // reported if a window could not be mapped, and whatever follows its size.
                let mut hash = || {
                    let at = if map {
                        mapped::hash_in_place(&mut hasher, file, start, len, |done| {
                            bar.iter().for_each(|bar| bar.set(done));
                        })?
                    } else {
                        start
                    };
                    match &bar {
                        Some(bar) => {
                            let segment = progress::segment_for(threads);
                            progress::by_segments(bar, segment, at, len, |range| {
                                hasher.update_file_rayon(file, range).map(drop)
                            })
                        }
                        None => hasher
                            .update_file_rayon(file, (Bound::Included(at), Bound::Unbounded))
                            .map(drop),
                    }
                };
                let result = hash();
                bar.iter().for_each(Progress::clear);
                result
            })?;
            return Ok(hasher);
        }
        // A pipe, FIFO, terminal or device: read through the cursor, the first MiB and a byte
        // here, so that a short stream needs no thread pool.
        let mut reader = file;
        let mut head = Vec::new();
        (&mut reader)
            .take(SERIAL_LIMIT + 1)
            .read_to_end(&mut head)?;
        if head.len() as u64 <= SERIAL_LIMIT {
            // `read_to_end` stopped at the first `Ok(0)`: that is the end of the input.
            hasher.update(&head);
            return Ok(hasher);
        }
        let enabled = self.progress;
        let pool = self.pool(u64::MAX)?;
        pool.install(|| {
            let mut counted =
                progress::Counting::new(io::Cursor::new(head).chain(reader), name, enabled);
            let result = hasher.update_reader_rayon(&mut counted).map(drop);
            counted.clear();
            result
        })?;
        Ok(hasher)
    }
}
