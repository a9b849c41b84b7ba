//! Readers, writers and files (feature `std`): exact chunking whatever the read sizes, and with
//! feature `rayon`, reading that overlaps hashing on all cores.

use crate::{TreeHash, TreeHasher};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// The buffer `update_reader` reads through: 64 KiB, on the stack.
const SERIAL_BUFFER_SIZE: usize = 64 << 10;

/// The size of each of the two read-ahead buffers of `calculate_tree_hash` with feature `rayon`:
/// 2 MiB per thread of the current pool, so each block gives every thread two chunks, and at
/// most 32 MiB. Bigger buffers are slower, not faster: every page of a fresh buffer costs a
/// page fault and a zeroing, more per byte than the copy out of the page cache (perf at
/// 16 MiB with 2 × 8 MiB buffers: 26% of cycles against 6%).
#[cfg(feature = "rayon")]
pub(crate) fn read_ahead_buffer_size() -> usize {
    (2 * crate::CHUNK_SIZE)
        .saturating_mul(rayon::current_num_threads())
        .min(32 << 20)
}

/// The tree hash of everything `reader` yields until end of file.
///
/// Chunks are cut at byte offsets, not at read calls: a pipe or socket that returns a few bytes
/// per `read` gives the same hash as a file. `ErrorKind::Interrupted` is retried; any other error
/// is returned as it is, and no hash of the bytes read so far is ever given. The reader needs no
/// `BufRead`, `Seek` or `Send`: it is read on the calling thread, through buffers of this
/// function's own. An empty reader gives SHA-256 of nothing.
///
/// With feature `rayon` (default) this is [`TreeHasher::update_reader_rayon`] with two buffers
/// of 2 MiB per thread of the current rayon pool, at most 32 MiB each (8 MiB in all on 2
/// cores): one is filled while the other is hashed on all cores. Input of 1 MiB or less is
/// hashed without them, on the calling thread. Without `rayon` it is
/// [`TreeHasher::update_reader`]: one 64 KiB buffer, one thread.
///
/// ```
/// use glacier_tree_hash::{calculate_tree_hash, tree_hash};
///
/// let data = vec![42u8; 3 << 20];
/// assert_eq!(calculate_tree_hash(&data[..])?, tree_hash(&data));
///
/// // A file: `calculate_tree_hash(std::fs::File::open(path)?)`, or `tree_hash_file(path)`.
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn calculate_tree_hash<R: Read>(reader: R) -> io::Result<TreeHash> {
    let mut hasher = TreeHasher::new();
    crate::consume::consume_reader(reader, &mut hasher)?;
    Ok(hasher.finalize())
}

/// The tree hash of the file at `path`, by the fastest safe path.
///
/// With feature `rayon` on Unix, a regular file is read with positional reads (`pread`) straight
/// from the threads that hash it, one batch of the leaf engine at a time (16 chunks with a
/// 16-lane kernel): all cores, no read-ahead thread, one buffer of up to a batch per thread,
/// 64 MiB in all at most (plus 1 MiB per thread beyond 64), freed on return. Anything else (a
/// pipe, a device, another platform, no `rayon`) goes through [`calculate_tree_hash`].
///
/// The length is taken when the file is opened. If the file shrinks while it is hashed, the
/// result is an `UnexpectedEof` error; bytes appended meanwhile are not hashed; bytes rewritten
/// meanwhile may be hashed old or new. Hash files that nobody is writing.
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
    #[cfg(all(unix, feature = "rayon"))]
    {
        let metadata = file.metadata()?;
        if metadata.is_file() {
            return positional::tree_hash_regular_file(&file, metadata.len());
        }
    }
    calculate_tree_hash(file)
}

impl TreeHasher {
    /// Adds everything `reader` yields until end of file, on the calling thread, with the
    /// guarantees of [`calculate_tree_hash`]: any read sizes, `Interrupted` retried, other errors
    /// returned (the hasher then holds an unspecified prefix of the input;
    /// [`reset`](TreeHasher::reset) it before reuse). Memory: one 64 KiB buffer on the stack.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te").update_reader(&b"st"[..])?;
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn update_reader<R: Read>(&mut self, mut reader: R) -> io::Result<&mut TreeHasher> {
        stream(&mut reader, u64::MAX, &mut |block| {
            self.update(block);
        })?;
        Ok(self)
    }

    /// Adds everything `reader` yields like [`update_reader`](TreeHasher::update_reader), and
    /// hashes on all cores while it reads (feature `rayon`).
    ///
    /// The first 1 MiB goes through the serial path, so small inputs cost what they cost
    /// serially. After it, two buffers of `buffer_size` bytes (at least 1 MiB; smaller values
    /// are raised to it): the calling thread fills one, to the brim whatever the read sizes,
    /// while the other is hashed with [`update_rayon`](TreeHasher::update_rayon) in the current
    /// rayon pool. So the memory is at most `2 × buffer_size` plus a 64 KiB stack buffer,
    /// whatever the input size, and the reader needs no `Send`.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let data = vec![9u8; (5 << 20) + 3];
    /// let mut hasher = TreeHasher::new();
    /// // 2 × 1 MiB of buffers.
    /// hasher.update_reader_rayon(&data[..], 1 << 20)?;
    /// assert_eq!(hasher.finalize(), tree_hash(&data));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_reader_rayon<R: Read>(
        &mut self,
        reader: R,
        buffer_size: usize,
    ) -> io::Result<&mut TreeHasher> {
        read_ahead(reader, buffer_size, &mut |block| {
            self.update_rayon(block);
        })?;
        Ok(self)
    }
}

/// Passes up to `limit` bytes of `reader`, in order, to `consume` through a 64 KiB stack buffer;
/// returns how many (fewer than `limit` only at end of file).
pub(crate) fn stream(
    reader: &mut impl Read,
    limit: u64,
    consume: &mut dyn FnMut(&[u8]),
) -> io::Result<u64> {
    let mut buffer = [0u8; SERIAL_BUFFER_SIZE];
    let mut taken = 0;
    while taken < limit {
        let want = buffer
            .len()
            .min(usize::try_from(limit - taken).unwrap_or(usize::MAX));
        // `min`: a reader that claims more than it was given cannot make this panic.
        match read_retrying(reader, &mut buffer[..want])?.min(want) {
            0 => break,
            n => {
                consume(&buffer[..n]);
                taken += n as u64;
            }
        }
    }
    Ok(taken)
}

/// Passes everything `reader` yields, in order, to `consume`, reading one block ahead: the
/// calling thread fills one of two `buffer_size` buffers while `consume` runs on the other in
/// the current rayon pool. The first 1 MiB goes through [`stream`], with no buffer and no other
/// thread. Blocks are full (`buffer_size`, at least 1 MiB) but for the first MiB and the last.
#[cfg(feature = "rayon")]
pub(crate) fn read_ahead<R: Read>(
    mut reader: R,
    buffer_size: usize,
    consume: &mut (dyn FnMut(&[u8]) + Send),
) -> io::Result<()> {
    let chunk = crate::CHUNK_SIZE as u64;
    if stream(&mut reader, chunk, consume)? < chunk {
        return Ok(());
    }
    // Allocate the buffers only once there is more: one byte tells.
    let mut first = [0u8; 1];
    if read_retrying(&mut reader, &mut first)? == 0 {
        return Ok(());
    }
    let buffer_size = buffer_size.max(crate::CHUNK_SIZE);
    let mut current = vec![0u8; buffer_size];
    current[0] = first[0];
    let mut current_len = 1 + fill(&mut reader, &mut current[1..])?;
    let mut next = vec![0u8; buffer_size];
    while current_len > 0 {
        // Consume `current` in the pool while this thread fills `next`. If this thread is itself
        // one of the pool's, waiting at the end of the scope runs pool jobs, so a pool of one
        // thread cannot deadlock.
        let consume = &mut *consume;
        let block = &current[..current_len];
        let next_len = rayon::in_place_scope(|scope| {
            scope.spawn(move |_| consume(block));
            fill(&mut reader, &mut next)
        })?;
        core::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    Ok(())
}

/// One `read`, retried while it is `Interrupted`.
fn read_retrying(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Reads until `buffer` is full or the reader is at its end; returns the bytes read.
#[cfg(feature = "rayon")]
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let room = buffer.len() - filled;
        match read_retrying(reader, &mut buffer[filled..])?.min(room) {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Regular files on Unix: each pool thread reads the chunks it hashes with `pread`.
///
/// Each task of the tree recursion covers up to one batch of the leaf engine (see
/// `crate::leaves`): it reads its chunks with one `read_exact_at` per group of at most
/// `read_chunks()` chunks into a buffer taken from a small pool, and
/// hashes the group with one engine call. Buffers go back to the pool after each task and are
/// freed when the file is done, so at most one buffer per pool thread exists at a time:
/// memory is at most `threads × read_chunks() MiB`, which is at most 64 MiB plus 1 MiB per
/// thread beyond 64 (32 MiB on 2 threads with a 16-lane engine; 2 MiB with `sha2`).
#[cfg(all(unix, feature = "rayon"))]
mod positional {
    use crate::join::RayonJoin;
    use crate::{TreeHash, TreeHasher, CHUNK_SIZE};
    use std::fs::File;
    use std::io;
    use std::os::unix::fs::FileExt;
    use std::sync::{Mutex, PoisonError};

    /// The bytes of read buffers all threads may hold at once, before the floor of one chunk
    /// per thread.
    const BUFFER_BUDGET: usize = 64 << 20;

    /// The chunks one thread reads at once: the engine's batch, fewer when the pool is so large
    /// that a batch per thread would exceed [`BUFFER_BUDGET`], at least one.
    pub(super) fn read_chunks() -> usize {
        let share = BUFFER_BUDGET / CHUNK_SIZE / rayon::current_num_threads().max(1);
        crate::leaves::batch().min(share).max(1)
    }

    /// The tree hash of the first `len` bytes of `file`.
    pub(super) fn tree_hash_regular_file(file: &File, len: u64) -> io::Result<TreeHash> {
        let chunk = CHUNK_SIZE as u64;
        let whole_chunks = len / chunk;
        let read_at = |buffer: &mut [u8], offset: u64| {
            file.read_exact_at(buffer, offset)
                .map_err(|error| changed_size(error, len))
        };
        let group = read_chunks();
        let buffers = Mutex::new(Vec::<Vec<u8>>::new());
        let hash_chunks = |first: u64, out: &mut [TreeHash]| -> io::Result<()> {
            let taken = buffers.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let mut buffer = taken.unwrap_or_default();
            let mut result = Ok(());
            for (i, digests) in out.chunks_mut(group).enumerate() {
                let bytes = digests.len() * CHUNK_SIZE;
                if buffer.len() < bytes {
                    buffer.resize(bytes, 0);
                }
                let offset = (first + (i * group) as u64) * chunk;
                result = read_at(&mut buffer[..bytes], offset);
                if result.is_err() {
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
        let mut hasher = TreeHasher::new();
        hasher.push_chunks::<RayonJoin, io::Error>(whole_chunks, &hash_chunks)?;
        drop(buffers);
        let mut tail = vec![0u8; (len % chunk) as usize];
        read_at(&mut tail, whole_chunks * chunk)?;
        Ok(hasher.update(&tail).finalize())
    }

    /// A file that ends early has shrunk since its length was taken: say so.
    fn changed_size(error: io::Error, len: u64) -> io::Error {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file shrank below its length of {len} bytes while it was hashed"),
            )
        } else {
            error
        }
    }
}

/// Writing to a `TreeHasher` is [`update`](TreeHasher::update): it takes every byte and never
/// fails, so `io::copy(&mut reader, &mut hasher)` works.
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
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Write for TreeHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
