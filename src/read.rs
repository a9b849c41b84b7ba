//! The read loops (feature `std`), shared by every reader, file and async entry point.
//!
//! Invariants: chunks are cut on byte offsets, never on read calls; `Interrupted` is retried;
//! every other error is returned as it is; the first `Ok(0)` is the end of the input, and
//! nothing is read after it.

use crate::join::{SerialJoin, Update};
use std::fs::File;
use std::io::{self, Read};

/// The buffer of the serial read loop: 64 KiB, on the stack.
const SERIAL_BUFFER_SIZE: usize = 64 << 10;

/// A reader and whether it has reported its end.
pub(crate) struct Source<R> {
    reader: R,
    ended: bool,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(reader: R) -> Source<R> {
        Source {
            reader,
            ended: false,
        }
    }

    /// Whether a read has returned `Ok(0)`.
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// Reads until `buffer` is full or the end; returns the bytes read. Once the end is seen,
    /// returns 0 without calling the reader again.
    pub(crate) fn fill(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buffer.len() && !self.ended {
            let room = buffer.len() - filled;
            match self.reader.read(&mut buffer[filled..]) {
                Ok(0) => self.ended = true,
                Ok(n) if n <= room => filled += n,
                // It broke `Read`'s contract: the bytes it claims were never written here.
                Ok(n) => return Err(claimed_too_much(n, room)),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(filled)
    }
}

/// Passes up to `limit` bytes of `source`, in order, to `hasher` through a 64 KiB stack buffer,
/// on the calling thread; returns how many (fewer than `limit` only at the end). Stops early
/// when the hasher refuses more input.
pub(crate) fn stream<H: Update>(
    source: &mut Source<impl Read>,
    limit: u64,
    hasher: &mut H,
) -> io::Result<u64> {
    let mut buffer = [0u8; SERIAL_BUFFER_SIZE];
    let mut taken = 0;
    while taken < limit {
        let want = buffer
            .len()
            .min(usize::try_from(limit - taken).unwrap_or(usize::MAX));
        let n = source.fill(&mut buffer[..want])?;
        if n == 0 {
            break;
        }
        hasher.update_with::<SerialJoin>(&buffer[..n]);
        accepts_more(hasher)?;
        taken += n as u64;
    }
    Ok(taken)
}

/// The error for a reader that claims `n` bytes read into a buffer of `room`: no hash of bytes
/// it never wrote.
pub(crate) fn claimed_too_much(n: usize, room: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the reader claimed {n} bytes read into a buffer of {room}"),
    )
}

/// An `InvalidInput` error wrapping [`TooManyParts`](crate::TooManyParts) once the hasher has
/// refused more input.
pub(crate) fn accepts_more(hasher: &impl Update) -> io::Result<()> {
    match hasher.too_many_parts() {
        Some(error) => Err(io::Error::new(io::ErrorKind::InvalidInput, error)),
        None => Ok(()),
    }
}

/// Everything `reader` yields, to `hasher`, on the calling thread.
///
/// The first 1 MiB goes through [`stream`]'s stack buffer. After it, when the leaf engine
/// hashes batches of leaves, blocks of one batch ([`serial_buffer_size`]: 16 MiB with a 16-lane
/// kernel) are read into one heap buffer and hashed together; with `sha2`, the stack buffer
/// goes on.
pub(crate) fn update_reader<H: Update>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    let mut source = Source::new(reader);
    let chunk = crate::CHUNK_SIZE as u64;
    let buffer_size = serial_buffer_size();
    if buffer_size <= crate::CHUNK_SIZE {
        return stream(&mut source, u64::MAX, hasher).map(drop);
    }
    // Fewer than `chunk` bytes means the end was reached.
    if stream(&mut source, chunk, hasher)? < chunk || source.ended() {
        return Ok(());
    }
    let mut buffer = Vec::new();
    loop {
        // Allocated once one byte says there is more; zeroed pages cost nothing until a read
        // fills them.
        let n = if buffer.is_empty() {
            let mut first = [0u8; 1];
            match source.fill(&mut first)? {
                0 => return Ok(()),
                _ => {
                    buffer = vec![0u8; buffer_size];
                    buffer[0] = first[0];
                    1 + source.fill(&mut buffer[1..])?
                }
            }
        } else {
            source.fill(&mut buffer)?
        };
        if n == 0 {
            return Ok(());
        }
        hasher.update_with::<SerialJoin>(&buffer[..n]);
        accepts_more(hasher)?;
    }
}

/// The block of the serial read loop past the first 1 MiB: one batch of the leaf engine.
fn serial_buffer_size() -> usize {
    crate::leaves::batch() * crate::CHUNK_SIZE
}

/// Everything `reader` yields, to `hasher`, hashed on all threads of the current rayon pool
/// while the calling thread reads one block ahead.
///
/// The first 1 MiB goes through [`stream`], with no buffer and no other thread, so small inputs
/// never touch the pool. After it, two buffers that grow from 4 MiB, doubling each block, to
/// [`read_ahead_buffer_size`]: the calling thread fills one to the brim while the other is
/// hashed with `RayonJoin`. If the calling thread is
/// itself one of the pool's, waiting at the end of the scope runs pool jobs, so a pool of one
/// thread cannot deadlock.
#[cfg(feature = "rayon")]
pub(crate) fn update_reader_rayon<H: Update>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    use crate::join::RayonJoin;

    let mut source = Source::new(reader);
    let chunk = crate::CHUNK_SIZE as u64;
    if stream(&mut source, chunk, hasher)? < chunk || source.ended() {
        return Ok(());
    }
    // Allocate the buffers only once there is more: one byte tells.
    let mut first = [0u8; 1];
    if source.fill(&mut first)? == 0 {
        return Ok(());
    }
    // Blocks start small and double up to the full size, so that a short input is read and
    // hashed in a few overlapping steps instead of one read then one hash. A buffer too small
    // for the next block is replaced by a fresh zeroed one (its pages cost nothing until the
    // read fills them), never grown by writing zeros into it.
    let buffer_size = read_ahead_buffer_size();
    let mut block_size = (4 << 20).min(buffer_size);
    let mut current = vec![0u8; block_size];
    current[0] = first[0];
    let mut current_len = 1 + source.fill(&mut current[1..])?;
    let mut next = Vec::new();
    while current_len > 0 {
        block_size = (2 * block_size).min(buffer_size);
        if next.len() < block_size && !source.ended() {
            next = vec![0u8; block_size];
        }
        let block = &current[..current_len];
        let hashing = &mut *hasher;
        let next_len = rayon::in_place_scope(|scope| {
            scope.spawn(move |_| hashing.update_with::<RayonJoin>(block));
            source.fill(&mut next)
        })?;
        accepts_more(hasher)?;
        core::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    Ok(())
}

/// The largest read-ahead block of
/// [`TreeHasher::update_reader_rayon`](crate::TreeHasher::update_reader_rayon): per thread of
/// the current pool, one batch of the leaf engine (16 MiB with a 16-lane kernel) or 2 MiB with
/// `sha2`, so each block gives every thread whole batches; at most 64 MiB. Not bigger: every
/// page of a fresh buffer costs a page fault and a zeroing, more per byte than the copy out of
/// the page cache (perf at 16 MiB with 2 × 8 MiB buffers and `sha2`: 26% of cycles against 6%).
#[cfg(feature = "rayon")]
#[must_use]
pub fn read_ahead_buffer_size() -> usize {
    serial_buffer_size()
        .max(2 * crate::CHUNK_SIZE)
        .saturating_mul(rayon::current_num_threads())
        .min(64 << 20)
}

/// Reads the bytes of `file` from `offset` up to `end` (or its end of file), without moving
/// its cursor where the platform allows (positional reads on Unix and Windows).
pub(crate) struct FileAt<'a> {
    pub(crate) file: &'a File,
    pub(crate) offset: u64,
    pub(crate) end: Option<u64>,
}

impl Read for FileAt<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let left = self
            .end
            .map_or(u64::MAX, |end| end.saturating_sub(self.offset));
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buffer[..want], self.offset)?.min(want);
        self.offset += n as u64;
        Ok(n)
    }
}

/// One positional read of `file` at `offset`.
#[cfg(unix)]
pub(crate) fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

/// One positional read of `file` at `offset` (this moves the cursor on Windows).
#[cfg(windows)]
pub(crate) fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

/// One read of `file` at `offset`, through its cursor, where there are no positional reads.
#[cfg(not(any(unix, windows)))]
pub(crate) fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::Seek;
    let mut file = file;
    file.seek(io::SeekFrom::Start(offset))?;
    file.read(buffer)
}
