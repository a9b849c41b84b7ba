//! What "a file and a byte range of it" means, once (feature `std`): [`FileRange`], what kind
//! of file it is, where its bytes must end, positional reads ([`FileAt`]); and [`update`], the
//! one path of every file entry point, under which a hasher's positional hook runs.
//!
//! Invariant: the hash is of what the file really holds in the range, from one open file; a
//! range that starts past the end, a bounded range that reaches past it, and a file that
//! shrinks while it is hashed are `UnexpectedEof` errors, never a hash.

use crate::Hasher;
use crate::join::Join;
use crate::positional::Stop;
use core::ops::{Bound, RangeBounds};
use std::fs::File;
use std::io::{self, Read};

/// A byte range of a file: from `start` to `end`, or to its end of file.
#[derive(Clone, Copy, Debug)]
pub struct FileRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl FileRange {
    /// `range` as offsets: `InvalidInput` if it ends before it starts, `UnexpectedEof` if it
    /// starts or ends past the last byte any file can have (`u64::MAX - 1`).
    pub fn of(range: &impl RangeBounds<u64>) -> io::Result<FileRange> {
        let start = match range.start_bound() {
            Bound::Included(&start) => Some(start),
            Bound::Excluded(&start) => start.checked_add(1),
            Bound::Unbounded => Some(0),
        };
        let end = match range.end_bound() {
            Bound::Included(&end) => end.checked_add(1).map(Some),
            Bound::Excluded(&end) => Some(Some(end)),
            Bound::Unbounded => Some(None),
        };
        match (start, end) {
            (Some(start), Some(end)) if end.is_none_or(|end| start <= end) => {
                Ok(FileRange { start, end })
            }
            (Some(_), Some(_)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the byte range of the file ends before it starts",
            )),
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the byte range reaches past byte 2^64 - 2, past the end of any file",
            )),
        }
    }

    fn is_whole(&self) -> bool {
        self.start == 0 && self.end.is_none()
    }
}

/// What a file is, for reading it.
pub enum FileKind {
    /// A regular file that reports `len` bytes, or a block device (0).
    Regular { len: u64 },
    /// A pipe, FIFO, socket, terminal or character device: read through the cursor.
    Stream,
}

/// The kind of `file`, refusing a directory and a range of a stream.
pub fn kind_of(file: &File, range: FileRange) -> io::Result<FileKind> {
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
    if read_at(file, &mut [], 0).is_ok() {
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

/// How the bytes of a regular file within its reported size get to the hasher.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Reads: the hasher's positional hook, then the read loop.
    Reads,
    /// Hashed in place from a memory map (feature `mmap`), or read where it cannot be mapped.
    #[cfg(feature = "mmap")]
    Map,
}

/// Whether positional reads are safe from several threads at once: on Unix and Windows they
/// are (`pread`, `ReadFile` with an offset); elsewhere they share the file's cursor.
pub const POSITIONAL: bool = cfg!(any(unix, windows));

/// The bytes of `file` in `range`, to `hasher`, under the schedule `J`: the one path of every
/// file entry point.
///
/// A stream goes through the hasher's read loop. A regular file's bytes within its reported
/// size go through a map (`via`) or the hasher's positional hook, the rest (all of them, for a
/// hasher without a hook; bytes past the reported size) through the read loop, up to the first
/// read that returns nothing; then one check of where they ended, against the caller's range.
/// A file that ends before its reported size without having shrunk (sysfs) is hashed again
/// from `range.start` through the read loop: the one restore-and-re-stream fallback.
pub fn update<J: Join, H: Hasher>(
    hasher: &mut H,
    file: &File,
    range: FileRange,
    via: Via,
) -> io::Result<()> {
    let len = match kind_of(file, range)? {
        FileKind::Stream => return crate::read::read::<J, H>(hasher, file),
        FileKind::Regular { len } => len,
    };
    let reported_end = range.end.map_or(len, |end| end.min(len));
    // The bytes the file says it holds in the range (a range past its end is an error later).
    if let Some(error) = hasher.too_many_parts_after(reported_end.saturating_sub(range.start)) {
        return Err(error.into());
    }
    let mut reached = range.start;
    if POSITIONAL && range.start < reported_end {
        let before = hasher.clone();
        reached = match within_reported_size::<J, H>(hasher, file, range.start..reported_end, via) {
            Ok(reached) => reached,
            Err(Stop::Io(error)) => return Err(error),
            Err(Stop::EndAt(end)) => {
                check_end(file, range, len, end)?;
                // It holds less than it reports and has not shrunk: hash what it holds.
                *hasher = before;
                range.start
            }
        };
    }
    // Past what was read: usually nothing, which one read of one byte confirms (the read loop
    // would first zero its 64 KiB buffer, a fifth of the cost of a 4 KiB file).
    let end = match range.end {
        Some(range_end) if reached == range_end => reached,
        _ => match byte_at(file, reached)? {
            None => reached,
            Some(byte) => {
                hasher.update(&[byte]);
                read_through::<J, H>(hasher, file, reached + 1, range.end)?
            }
        },
    };
    check_end(file, range, len, end)
}

/// The bytes of `within` (inside the reported size) from a map, or as far as the hasher's
/// positional hook takes them; returns the offset reached.
fn within_reported_size<J: Join, H: Hasher>(
    hasher: &mut H,
    file: &File,
    within: core::ops::Range<u64>,
    via: Via,
) -> Result<u64, Stop> {
    #[cfg(feature = "mmap")]
    if via == Via::Map && crate::mmap::update::<J, H>(hasher, file, within.clone()) {
        return Ok(within.end);
    }
    #[cfg(not(feature = "mmap"))]
    let Via::Reads = via;
    hasher.positional::<J>(file, within)
}

/// Adds the bytes of `file` from `start` up to `end` (or its end of file) through the read loop
/// of `J`; returns the offset where they stopped.
pub fn read_through<J: Join, H: Hasher>(
    hasher: &mut H,
    file: &File,
    start: u64,
    end: Option<u64>,
) -> io::Result<u64> {
    let before = hasher.count();
    let reader = FileAt {
        file,
        offset: start,
        end,
    };
    crate::read::read::<J, H>(hasher, reader)?;
    Ok(start + (hasher.count() - before))
}

/// After a regular file of `len` bytes when hashing started yielded the bytes of `range` up to
/// `end`: an error if that is short of a bounded range, if the file has shrunk since, or if
/// the range starts past the end of the file.
pub fn check_end(file: &File, range: FileRange, len: u64, end: u64) -> io::Result<()> {
    let start = range.start;
    if let Some(range_end) = range.end
        && end < range_end
    {
        let message = if end == start {
            format!("the file has no byte {start}, where the range {start}..{range_end} starts")
        } else {
            format!("the file ends at byte {end}, before the end of the range {start}..{range_end}")
        };
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, message));
    }
    if range.end.is_none() && end < len {
        let now = file.metadata()?.len();
        if now < len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file shrank from {len} to {now} bytes while it was hashed"),
            ));
        }
    }
    // Nothing from `start` on (the range is empty or the file ends there): an error unless the
    // file really holds the byte before `start`.
    if end == start && start > 0 && !matches!(byte_at(file, start - 1), Ok(Some(_))) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file ends before byte {start}, where the range starts"),
        ));
    }
    Ok(())
}

/// The byte of `file` at `offset`, `Interrupted` retried; `None` past its end.
fn byte_at(file: &File, offset: u64) -> io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    loop {
        match read_at(file, &mut byte, offset) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
            Ok(0) => return Ok(None),
            Ok(_) => return Ok(Some(byte[0])),
        }
    }
}

/// Reads the bytes of `file` from `offset` up to `end` (or its end of file), without moving
/// its cursor where the platform allows (positional reads on Unix and Windows).
pub struct FileAt<'a> {
    pub file: &'a File,
    pub offset: u64,
    pub end: Option<u64>,
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
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

/// One positional read of `file` at `offset` (this moves the cursor on Windows).
#[cfg(windows)]
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

/// One read of `file` at `offset`, through its cursor, where there are no positional reads.
#[cfg(not(any(unix, windows)))]
pub fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::Seek;
    let mut file = file;
    file.seek(io::SeekFrom::Start(offset))?;
    file.read(buffer)
}
