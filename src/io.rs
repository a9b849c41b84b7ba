//! Readers, files and writers for [`TreeHasher`] (feature `std`), and the file checks every
//! hasher shares: a hash only of what the file really holds, from one open file.

use crate::join::{Join, SerialJoin, Update};
use crate::read::{self, FileAt};
use crate::{TreeHash, TreeHasher};
use core::ops::{Bound, RangeBounds};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// The tree hash of everything `reader` yields until its end (the first `Ok(0)`), on the
/// calling thread: botocore's `calculate_tree_hash`, without its short-read bug.
///
/// Chunks are cut at byte offsets, not at read calls: a pipe or socket that returns a few bytes
/// per `read` gives the same hash as a file. `ErrorKind::Interrupted` is retried; any other error
/// is returned as it is, and no hash of the bytes read so far is ever given. The reader needs no
/// `BufRead`, `Seek` or `Send`. An empty reader gives SHA-256 of nothing. Memory: a 64 KiB
/// buffer on the stack, and past the first MiB one heap buffer of one leaf-engine batch (16 MiB
/// with a 16-lane kernel; none with `sha2`), so whole leaves are hashed many at a time. For all cores, use [`TreeHasher::update_reader_rayon`].
///
/// # Errors
/// The first error of `reader` other than `Interrupted`.
///
/// ```
/// use glacier_tree_hash::{calculate_tree_hash, tree_hash};
///
/// let data = vec![42u8; 3 << 20];
/// assert_eq!(calculate_tree_hash(&data[..])?, tree_hash(&data));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn calculate_tree_hash<R: Read>(reader: R) -> io::Result<TreeHash> {
    Ok(TreeHasher::new().update_reader(reader)?.finalize())
}

/// The tree hash of the file at `path`, on the calling thread: [`TreeHasher::update_file`] of
/// the whole file. For all cores, open the file and use [`TreeHasher::update_file_rayon`].
///
/// # Errors
/// Those of opening the file, and of [`TreeHasher::update_file`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("archive.bin");
/// std::fs::write(&path, vec![1u8; (3 << 20) + 7])?;
/// let hash = glacier_tree_hash::tree_hash_file(&path)?;
/// assert_eq!(hash, glacier_tree_hash::tree_hash(&std::fs::read(&path)?));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn tree_hash_file(path: impl AsRef<Path>) -> io::Result<TreeHash> {
    let file = File::open(path)?;
    Ok(TreeHasher::new().update_file(&file, ..)?.finalize())
}

impl TreeHasher {
    /// Adds everything `reader` yields until its end, on the calling thread, with the guarantees
    /// and the memory of [`calculate_tree_hash`].
    ///
    /// # Errors
    /// The first error of `reader` other than `Interrupted`; the hasher then holds an unspecified
    /// prefix of the input ([`reset`](TreeHasher::reset) it before reuse).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te").update_reader(&b"st"[..])?;
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update_reader<R: Read>(&mut self, reader: R) -> io::Result<&mut TreeHasher> {
        read::update_reader(self, reader)?;
        Ok(self)
    }

    /// Adds everything `reader` yields like [`update_reader`](TreeHasher::update_reader), and
    /// hashes on all threads of the current rayon pool while the calling thread reads ahead
    /// (feature `rayon`).
    ///
    /// The first 1 MiB goes through the serial path and never touches the pool, so small inputs
    /// cost what they cost serially. After it, the calling thread reads blocks of up to one
    /// leaf-engine batch (16 MiB with a 16-lane kernel, 1 MiB with `sha2`; from 4 MiB, doubling)
    /// and each block is hashed by a pool job of its own, so several are hashed at once while
    /// the next is read. Memory: at most two blocks more than the pool has threads, and at most
    /// 128 MiB (64 MiB on 2 threads with a 16-lane kernel). The reader needs no
    /// `Send`. A reader is copied out by one thread, so this is slower than
    /// [`update_file_rayon`](TreeHasher::update_file_rayon), where every thread reads its own
    /// part of a file.
    ///
    /// # Errors
    /// As [`update_reader`](TreeHasher::update_reader).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let data = vec![9u8; (5 << 20) + 3];
    /// let mut hasher = TreeHasher::new();
    /// hasher.update_reader_rayon(&data[..])?;
    /// assert_eq!(hasher.finalize(), tree_hash(&data));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_reader_rayon<R: Read>(&mut self, reader: R) -> io::Result<&mut TreeHasher> {
        read::update_tree_reader_rayon(self, reader)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` (`..` for all of it), on the calling thread, from the
    /// one open file: nothing is opened again, so a FIFO or a device is read once.
    ///
    /// A regular file or a block device is read with positional reads (its cursor does not move
    /// on Unix) and checked against what it really holds: the hash is of every byte up to the
    /// first read that returns nothing, whatever size the file reports. A `/proc` file that
    /// reports 0 bytes, or a sysfs file that reports 4096, gives the hash of its real content; a
    /// file that grows while it is hashed gives the hash of everything up to its end when read.
    /// A pipe, FIFO, socket or terminal is read through its cursor to its end; only `..` is a
    /// range of it.
    ///
    /// # Errors
    /// - `UnexpectedEof` if the file shrinks below the size it had when hashing started, if a
    ///   bounded range reaches past the end of the file, and if a range starts past its end;
    /// - `InvalidInput` for a range that ends before it starts, and for a range other than `..`
    ///   of a pipe, FIFO, socket or terminal; `IsADirectory` for a directory;
    /// - any read error other than `Interrupted` (such as the operating system's refusal of an
    ///   offset past what it supports).
    ///
    /// On an error the hasher holds an unspecified prefix of the input.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-uf-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![5u8; (2 << 20) + 9];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// assert_eq!(TreeHasher::new().update_file(&file, ..)?.finalize(), tree_hash(&data));
    /// // One part's bytes, for its x-amz-sha256-tree-hash:
    /// let part = TreeHasher::new().update_file(&file, (1 << 20)..(2 << 20))?.finalize();
    /// assert_eq!(part, tree_hash(&data[1 << 20..2 << 20]));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update_file(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut TreeHasher> {
        update_tree_from_file::<SerialJoin>(self, file, FileRange::of(&range)?, Via::Reads)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_file`](TreeHasher::update_file), on all
    /// threads of the current rayon pool (feature `rayon`): for a regular file each thread reads
    /// the chunks it hashes with positional reads, so the copy out of the page cache is shared
    /// too. Anything else goes through [`update_reader_rayon`](TreeHasher::update_reader_rayon).
    /// Input of 1 MiB or less stays on the calling thread.
    ///
    /// # Errors
    /// As [`update_file`](TreeHasher::update_file).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-ufr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![6u8; (9 << 20) + 1];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// assert_eq!(TreeHasher::new().update_file_rayon(&file, ..)?.finalize(), tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_file_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut TreeHasher> {
        update_tree_from_file::<crate::join::RayonJoin>(
            self,
            file,
            FileRange::of(&range)?,
            Via::Reads,
        )?;
        Ok(self)
    }
}

/// Memory-mapped files (feature `mmap`).
#[cfg(feature = "mmap")]
#[cfg_attr(docsrs, doc(cfg(feature = "mmap")))]
impl TreeHasher {
    /// Adds the bytes of `file` in `range` like [`update_file`](TreeHasher::update_file), on the
    /// calling thread, but hashes a regular file of at least 1 MiB in place from a read-only
    /// memory map instead of copying it out of the page cache (feature `mmap`).
    ///
    /// **Hazard**: if the file is truncated while it is hashed (by any process, this one
    /// included), or a page of it cannot be read (an I/O error of the disk or of a network file
    /// system), the process gets `SIGBUS` and dies, where
    /// [`update_file`](TreeHasher::update_file) returns an error. Use this only for files that
    /// nothing shortens meanwhile, on storage that does not fail. Everything else
    /// about the file is as with `update_file`: a file that cannot be mapped, a small one, a
    /// pipe or a device is read; bytes past the size the file reported are read and hashed.
    ///
    /// # Errors
    /// As [`update_file`](TreeHasher::update_file), except for a file that shrinks and a read
    /// that fails while mapped (above).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-um-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![7u8; (3 << 20) + 5];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// assert_eq!(TreeHasher::new().update_mmap(&file, ..)?.finalize(), tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update_mmap(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut TreeHasher> {
        update_tree_from_file::<SerialJoin>(self, file, FileRange::of(&range)?, Via::Map)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_mmap`](TreeHasher::update_mmap), on
    /// all threads of the current rayon pool (features `mmap` and `rayon`): the fastest way to
    /// hash a file, with the same **hazard** (a file truncated meanwhile is `SIGBUS`, not an
    /// error). A file that is not mapped goes through
    /// [`update_file_rayon`](TreeHasher::update_file_rayon).
    ///
    /// # Errors
    /// As [`update_file_rayon`](TreeHasher::update_file_rayon), except for a file that shrinks
    /// and a read that fails while mapped.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-umr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![8u8; (9 << 20) + 2];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// let hash = TreeHasher::new().update_mmap_rayon(&file, ..)?.finalize();
    /// assert_eq!(hash, tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "mmap", feature = "rayon"))))]
    pub fn update_mmap_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut TreeHasher> {
        let range = FileRange::of(&range)?;
        update_tree_from_file::<crate::join::RayonJoin>(self, file, range, Via::Map)?;
        Ok(self)
    }
}

/// A byte range of a file: from `start` to `end`, or to its end of file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileRange {
    pub(crate) start: u64,
    pub(crate) end: Option<u64>,
}

impl FileRange {
    /// `range` as offsets; an error if it ends before it starts.
    pub(crate) fn of(range: &impl RangeBounds<u64>) -> io::Result<FileRange> {
        let start = match range.start_bound() {
            Bound::Included(&start) => Some(start),
            Bound::Excluded(&start) => start.checked_add(1),
            Bound::Unbounded => Some(0),
        };
        let end = match range.end_bound() {
            // Up to the last byte a file can have: to its end.
            Bound::Included(&u64::MAX) => Some(None),
            Bound::Included(&end) => end.checked_add(1).map(Some),
            Bound::Excluded(&end) => Some(Some(end)),
            Bound::Unbounded => Some(None),
        };
        match (start, end) {
            (Some(start), Some(end)) if end.is_none_or(|end| start <= end) => {
                Ok(FileRange { start, end })
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the byte range of the file ends before it starts",
            )),
        }
    }

    /// The number of bytes in the range of a file of `len` bytes.
    pub(crate) fn len_in(&self, len: u64) -> u64 {
        self.end.unwrap_or(len).saturating_sub(self.start)
    }

    fn is_whole(&self) -> bool {
        self.start == 0 && self.end.is_none()
    }
}

/// What a file is, for reading it.
pub(crate) enum FileKind {
    /// A regular file that reports `len` bytes.
    Regular { len: u64 },
    /// A pipe, FIFO, socket, terminal or device: read through the cursor.
    Stream,
}

/// The kind of `file`, refusing a directory and a range of a stream.
pub(crate) fn kind_of(file: &File, range: FileRange) -> io::Result<FileKind> {
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if metadata.is_file() {
        return Ok(FileKind::Regular {
            len: metadata.len(),
        });
    }
    // A block device (a disk, a loop device) reads at offsets like a regular file, but reports
    // no size: read it by offsets to its end, never through its cursor. Pipes, FIFOs, sockets
    // and terminals refuse a read at an offset (ESPIPE), even of no bytes.
    if read::read_at(file, &mut [], 0).is_ok() {
        return Ok(FileKind::Regular { len: 0 });
    }
    if !range.is_whole() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "only a file that reads at offsets has byte ranges; this one can only be read whole",
        ));
    }
    Ok(FileKind::Stream)
}

/// The bytes of `file` in `range`, to any hasher, through the read loop of `J` (the calling
/// thread, or the read-ahead pipeline). After a regular file ends early, it is an error if the
/// range was bounded or the file has shrunk; otherwise the file held less than it reported, and
/// what it held is the input.
pub(crate) fn update_from_file<J: Join, H: Update>(
    hasher: &mut H,
    file: &File,
    range: FileRange,
) -> io::Result<()> {
    let len = match kind_of(file, range)? {
        FileKind::Stream => return read_all::<J, H>(hasher, file),
        FileKind::Regular { len } => len,
    };
    let before = hasher.count();
    read_all::<J, H>(
        hasher,
        FileAt {
            file,
            offset: range.start,
            end: range.end,
        },
    )?;
    let end = range.start + (hasher.count() - before);
    check_end(file, range, len, end)
}

/// After a regular file of `len` bytes when hashing started yielded bytes up to `end`: an error
/// if that is short of a bounded range, or if the file has shrunk since.
pub(crate) fn check_end(file: &File, range: FileRange, len: u64, end: u64) -> io::Result<()> {
    if let Some(range_end) = range.end {
        if end < range_end {
            let start = range.start;
            let message = if end == start {
                format!("the file has no byte {start}, where the range {start}..{range_end} starts")
            } else {
                format!(
                    "the file ends at byte {end}, before the end of the range {start}..{range_end}"
                )
            };
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, message));
        }
        return Ok(());
    }
    if end < len {
        let now = file.metadata()?.len();
        if now < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file shrank from {len} to {now} bytes while it was hashed"),
            ));
        }
    }
    // Nothing from `start` on: an error unless the file really ends right there.
    if end == range.start && range.start > 0 {
        let mut byte = [0u8; 1];
        if !matches!(read::read_at(file, &mut byte, range.start - 1), Ok(1)) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the file ends before byte {}, where the range starts",
                    range.start
                ),
            ));
        }
    }
    Ok(())
}

/// Everything `reader` yields, to `hasher`, through the read loop of `J`.
fn read_all<J: Join, H: Update>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    #[cfg(feature = "rayon")]
    if J::PARALLEL {
        return read::update_reader_rayon(hasher, reader);
    }
    read::update_reader(hasher, reader)
}

/// The bytes of `file` in `range`, to a tree hasher. A regular file goes through positional
/// reads of whole chunks under `J` (on Unix), then the end is confirmed by a read that returns
/// nothing: bytes past the size the file reported are hashed too. A file that ends before its
/// reported size without having shrunk (sysfs) is hashed again from `range.start` by streaming.
fn update_tree_from_file<J: Join>(
    hasher: &mut TreeHasher,
    file: &File,
    range: FileRange,
    via: Via,
) -> io::Result<()> {
    let len = match kind_of(file, range)? {
        #[cfg(feature = "rayon")]
        FileKind::Stream if J::PARALLEL => return read::update_tree_reader_rayon(hasher, file),
        FileKind::Stream => return read::update_reader(hasher, file),
        FileKind::Regular { len } => len,
    };
    // Positional reads only up to the size the file reports; what lies past it (a range that
    // reaches further, a file that grew, a /proc file that reports 0) is streamed after.
    let reported_end = range.end.map_or(len, |end| end.min(len));
    if reported_end <= range.start || !POSITIONAL {
        return update_from_file::<J, _>(hasher, file, range);
    }
    let within = range.start..reported_end;
    #[cfg(feature = "mmap")]
    if via == Via::Map && crate::mmap::update::<J>(hasher, file, within.clone()) {
        return update_past_reported_end::<J>(hasher, file, range, len, reported_end);
    }
    #[cfg(not(feature = "mmap"))]
    let Via::Reads = via;
    let before = hasher.clone();
    match positional::update::<J>(hasher, file, within) {
        Ok(()) => {}
        Err(positional::Stop::Io(error)) => return Err(error),
        Err(positional::Stop::EndAt(end)) => {
            check_end(file, range, len, end)?;
            // The file holds less than it reports and has not shrunk: hash what it holds.
            *hasher = before;
            return update_from_file::<J, _>(hasher, file, range);
        }
    }
    update_past_reported_end::<J>(hasher, file, range, len, reported_end)
}

/// After the bytes of a regular file of `len` bytes in `range` up to `reported_end` (the end
/// of the range or the size the file reported): the bytes past its reported size, if the range
/// reaches there.
fn update_past_reported_end<J: Join>(
    hasher: &mut TreeHasher,
    file: &File,
    range: FileRange,
    len: u64,
    reported_end: u64,
) -> io::Result<()> {
    if range.end == Some(reported_end) {
        return Ok(());
    }
    // Past the reported size: usually nothing, which one read of one byte confirms.
    let mut byte = [0u8; 1];
    let more = loop {
        match read::read_at(file, &mut byte, reported_end) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            result => break result?,
        }
    };
    if more == 0 {
        return check_end(file, range, len, reported_end);
    }
    hasher.update(&byte);
    let rest = FileRange {
        start: reported_end + 1,
        end: range.end,
    };
    update_from_file::<J, _>(hasher, file, rest)
}

/// How the bytes of a regular file within its reported size get to the hasher.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Positional reads, each batch by the thread that hashes it.
    Reads,
    /// Hashed in place from a memory map (feature `mmap`), or read where it cannot be mapped.
    #[cfg(feature = "mmap")]
    Map,
}

/// Whether positional reads are safe from several threads at once: on Unix and Windows they
/// are (`pread`, `ReadFile` with an offset); elsewhere they share the file's cursor.
pub(crate) const POSITIONAL: bool = cfg!(any(unix, windows));

/// Whole chunks of a regular file, each read by the thread that hashes it.
///
/// Each task of the tree recursion covers up to one batch of the leaf engine (16 chunks with a
/// 16-lane kernel): it reads its chunks into a buffer taken from a small shared pool and hashes
/// them in one engine call. Buffers go back to the pool after each task and are freed on
/// return, so at most one exists per thread: at most `threads × read_chunks()` MiB, which is
/// at most 64 MiB plus 1 MiB per thread beyond 64 (32 MiB on 2 threads with a 16-lane engine,
/// 16 MiB on the calling thread alone; 1 MiB per thread with `sha2`).
pub(crate) mod positional {
    use crate::join::Join;
    use crate::read::{FileAt, Source};
    use crate::{CHUNK_SIZE, TreeHash, TreeHasher};
    use core::ops::Range;
    use std::fs::File;
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, PoisonError};

    /// The bytes of read buffers all threads may hold at once, before the floor of one chunk
    /// per thread.
    const BUFFER_BUDGET: usize = 64 << 20;

    /// The chunks one thread reads at once: the engine's batch, fewer when there are so many
    /// threads that a batch each would exceed [`BUFFER_BUDGET`], at least one.
    pub(crate) fn read_chunks(threads: usize) -> usize {
        let share = BUFFER_BUDGET / CHUNK_SIZE / threads.max(1);
        crate::leaves::batch().min(share).max(1)
    }

    /// Why positional hashing stopped.
    pub(super) enum Stop {
        /// The file ended at this offset, before the end of the range.
        EndAt(u64),
        /// A read failed.
        Io(io::Error),
    }

    /// Adds the bytes of `file` in `range` to `hasher`: the rest of its leaf in progress and the
    /// short tail on the calling thread, the whole chunks between them under `J`.
    pub(super) fn update<J: Join>(
        hasher: &mut TreeHasher,
        file: &File,
        range: Range<u64>,
    ) -> Result<(), Stop> {
        let head_len = (hasher.leaf_room() as u64).min(range.end - range.start);
        let chunks_start = range.start + head_len;
        read_exactly(hasher, file, range.start..chunks_start)?;
        let chunk = CHUNK_SIZE as u64;
        let whole_chunks = (range.end - chunks_start) / chunk;
        let chunks_end = chunks_start + whole_chunks * chunk;
        if whole_chunks > 0 {
            let group = read_chunks(J::threads());
            let buffers = Mutex::new(Vec::<Vec<u8>>::new());
            // Once one task finds the end or an error, the others stop without reading; the
            // stop kept is an error if any, else the earliest end.
            let stopped = AtomicBool::new(false);
            let first_stop = Mutex::new(None::<Stop>);
            let hash_chunks = |first: u64, out: &mut [TreeHash]| -> Result<(), ()> {
                if stopped.load(Ordering::Relaxed) {
                    return Err(());
                }
                let taken = buffers.lock().unwrap_or_else(PoisonError::into_inner).pop();
                let mut buffer = taken.unwrap_or_default();
                let mut result = Ok(());
                for (i, digests) in out.chunks_mut(group).enumerate() {
                    let bytes = digests.len() * CHUNK_SIZE;
                    if buffer.len() < bytes {
                        buffer.resize(bytes, 0);
                    }
                    let offset = chunks_start + (first + (i * group) as u64) * chunk;
                    if let Err(stop) = read_chunks_at(file, &mut buffer[..bytes], offset) {
                        stopped.store(true, Ordering::Relaxed);
                        let mut kept = first_stop.lock().unwrap_or_else(PoisonError::into_inner);
                        *kept = Some(match kept.take() {
                            Some(Stop::EndAt(end)) => match stop {
                                Stop::EndAt(other) => Stop::EndAt(end.min(other)),
                                io => io,
                            },
                            Some(io) => io,
                            None => stop,
                        });
                        result = Err(());
                        break;
                    }
                    crate::leaves::hash_leaves(&buffer[..bytes], CHUNK_SIZE, digests);
                }
                buffers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(buffer);
                result
            };
            if hasher
                .push_chunks::<J, ()>(whole_chunks, &hash_chunks)
                .is_err()
            {
                let kept = first_stop
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner);
                // A task that stopped recorded why before any other returned.
                return Err(kept.unwrap_or(Stop::EndAt(chunks_start)));
            }
        }
        read_exactly(hasher, file, chunks_end..range.end)
    }

    /// Fills `buffer` from `offset` through the one read loop, or says where the file ended.
    fn read_chunks_at(file: &File, buffer: &mut [u8], offset: u64) -> Result<(), Stop> {
        let reader = FileAt {
            file,
            offset,
            end: None,
        };
        let n = Source::new(reader).fill(buffer).map_err(Stop::Io)?;
        if n < buffer.len() {
            return Err(Stop::EndAt(offset + n as u64));
        }
        Ok(())
    }

    /// Adds the bytes of `range` (less than one chunk) on the calling thread, or says where the
    /// file ended.
    fn read_exactly(hasher: &mut TreeHasher, file: &File, range: Range<u64>) -> Result<(), Stop> {
        let mut source = Source::new(FileAt {
            file,
            offset: range.start,
            end: Some(range.end),
        });
        let mut buffer = vec![0u8; (range.end - range.start).min(64 << 10) as usize];
        let mut offset = range.start;
        while offset < range.end {
            let n = source.fill(&mut buffer).map_err(Stop::Io)?;
            if n == 0 {
                return Err(Stop::EndAt(offset));
            }
            hasher.update(&buffer[..n]);
            offset += n as u64;
        }
        Ok(())
    }
}

/// Writing to a `TreeHasher` is [`update`](TreeHasher::update): it takes every byte and never
/// fails, so `io::copy(&mut reader, &mut hasher)` works. `io::copy` hands over a few KiB at a
/// time, so no call holds a whole leaf and each leaf is hashed on its own (the hasher keeps no
/// buffer). [`update_reader`](TreeHasher::update_reader) reads whole batches of leaves and
/// hashes them together: with a 16-lane engine, 1.8 times as fast in memory.
///
/// ```
/// use glacier_tree_hash::{tree_hash, TreeHasher};
/// use std::io::Write;
///
/// let mut hasher = TreeHasher::new();
/// write!(hasher, "te")?;
/// hasher.write_all(b"st")?;
/// assert_eq!(hasher.finalize(), tree_hash(b"test"));
/// # Ok::<(), std::io::Error>(())
/// ```
impl Write for TreeHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
