//! The positional engine (feature `std`): a regular file's bytes read with positional reads by
//! the thread that hashes them, shared by the tree path (whole leaves, [`leaves`]) and the
//! multipart path (whole parts, [`parts`]).
//!
//! One [`Stop`] says why reading stopped (the earliest end of the file, or an error, which
//! wins); one [`BufferPool`] holds the read buffers, one per running task at most, freed on
//! return. Buffers of one pass: at most 64 MiB in all, plus 1 MiB per thread past 64 threads.

use crate::file::FileAt;
use crate::join::Join;
use crate::read::Source;
use crate::{Checksums, Hasher, LEAF_SIZE, MultipartHasher, PartSize, TreeHash, TreeHasher};
use core::ops::Range;
use std::fs::File;
use std::io;
use std::sync::{Mutex, PoisonError};

/// The bytes of read buffers all threads may hold at once, before the floor of one leaf per
/// thread.
const BUFFER_BUDGET: usize = 64 << 20;

/// The leaf size as a `usize`, for buffer lengths.
const LEAF: usize = LEAF_SIZE as usize;

/// Why positional hashing stopped.
pub enum Stop {
    /// The file ended at this offset, before the end of the range.
    EndAt(u64),
    /// A read failed.
    Io(io::Error),
}

impl Stop {
    /// The stop to keep of two: an error if either is one, else the earlier end.
    fn or(self, other: Stop) -> Stop {
        match (self, other) {
            (Stop::EndAt(a), Stop::EndAt(b)) => Stop::EndAt(a.min(b)),
            (Stop::Io(error), _) | (_, Stop::Io(error)) => Stop::Io(error),
        }
    }
}

/// Read buffers shared by the tasks of one pass: taken at the start of a task, given back at
/// its end, freed when the pool is dropped.
struct BufferPool(Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    fn new() -> BufferPool {
        BufferPool(Mutex::new(Vec::new()))
    }

    /// A buffer of at least `len` bytes: one given back, or a fresh zeroed one (its pages cost
    /// nothing until a read fills them).
    fn take(&self, len: usize) -> Vec<u8> {
        let taken = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match taken {
            Some(buffer) if buffer.len() >= len => buffer,
            _ => vec![0u8; len],
        }
    }

    fn give_back(&self, buffer: Vec<u8>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buffer);
    }
}

/// The leaves one thread reads at once: the engine's batch, fewer when there are so many
/// threads that a batch each would exceed [`BUFFER_BUDGET`], at least one.
fn read_leaves(threads: usize) -> usize {
    let share = BUFFER_BUDGET / LEAF / threads.max(1);
    crate::leaves::batch().min(share).max(1)
}

/// Fills `buffer` from `offset` through the one read loop, or says where the file ended.
fn fill_at(file: &File, buffer: &mut [u8], offset: u64) -> Result<(), Stop> {
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

/// Adds the bytes of `file` in `range` to a tree hasher: the rest of its leaf in progress and
/// the short tail through the serial read loop, the whole leaves between them under `J`, each
/// task reading up to one leaf-engine batch into a buffer of the pool and hashing it in one
/// engine call. Returns `range.end`.
pub fn leaves<J: Join>(
    hasher: &mut TreeHasher,
    file: &File,
    range: Range<u64>,
) -> Result<u64, Stop> {
    let head_len = (hasher.leaf_room() as u64).min(range.end - range.start);
    let leaves_start = range.start + head_len;
    read_exactly(hasher, file, range.start..leaves_start)?;
    let whole_leaves = (range.end - leaves_start) / LEAF_SIZE;
    let leaves_end = leaves_start + whole_leaves * LEAF_SIZE;
    if whole_leaves > 0 {
        let group = read_leaves(J::threads());
        let buffers = BufferPool::new();
        // Once one task finds the end or an error, the others stop without reading.
        let stop = Mutex::new(None::<Stop>);
        let stopped = core::sync::atomic::AtomicBool::new(false);
        let hash_leaves = |first: u64, out: &mut [TreeHash]| -> Result<(), ()> {
            if stopped.load(core::sync::atomic::Ordering::Relaxed) {
                return Err(());
            }
            let mut buffer = buffers.take(group.min(out.len()) * LEAF);
            let mut result = Ok(());
            for (i, digests) in out.chunks_mut(group).enumerate() {
                let bytes = &mut buffer[..digests.len() * LEAF];
                let offset = leaves_start + (first + (i * group) as u64) * LEAF_SIZE;
                if let Err(new) = fill_at(file, bytes, offset) {
                    stopped.store(true, core::sync::atomic::Ordering::Relaxed);
                    let mut kept = stop.lock().unwrap_or_else(PoisonError::into_inner);
                    *kept = Some(match kept.take() {
                        Some(old) => old.or(new),
                        None => new,
                    });
                    result = Err(());
                    break;
                }
                crate::leaves::hash_leaves(bytes, LEAF, digests);
            }
            buffers.give_back(buffer);
            result
        };
        if hasher
            .tree
            .push_leaves::<J, ()>(whole_leaves, None, &hash_leaves)
            .is_err()
        {
            let kept = stop.into_inner().unwrap_or_else(PoisonError::into_inner);
            // A task that stopped recorded why before any other returned.
            return Err(kept.unwrap_or(Stop::EndAt(leaves_start)));
        }
    }
    read_exactly(hasher, file, leaves_end..range.end)?;
    Ok(range.end)
}

/// Adds the bytes of `range` (less than one leaf) on the calling thread, or says where the
/// file ended.
fn read_exactly(hasher: &mut TreeHasher, file: &File, range: Range<u64>) -> Result<(), Stop> {
    let mut source = Source::new(FileAt {
        file,
        offset: range.start,
        end: Some(range.end),
    });
    // At most the leaf in progress: through the read loop's first stage alone.
    let taken =
        crate::read::stream(&mut source, range.end - range.start, hasher).map_err(Stop::Io)?;
    let end = range.start + taken;
    if end < range.end {
        return Err(Stop::EndAt(end));
    }
    Ok(())
}

/// Adds the bytes of `file` in `range` to a multipart hasher, whole parts side by side: the
/// part in progress through the read loop of `J`, then the whole parts, each read by the thread
/// that hashes it; returns the offset reached (the bytes after the last whole part are left to
/// the read loop). Fewer than two whole parts gain nothing: then it adds nothing.
///
/// A part's SHA-256 is one stream that no two threads can share, so whole parts are the unit of
/// work: parts small enough that four or more fit in a thread's share of 64 MiB are read a
/// group at a time (groups cut so every thread gets one), the group's SHA-256s hashed in the
/// leaf engine's lanes; larger parts one per task, through a buffer of one leaf-engine batch.
pub fn parts<J: Join>(
    hasher: &mut MultipartHasher,
    file: &File,
    range: Range<u64>,
) -> Result<u64, Stop> {
    let part = hasher.part_size().bytes();
    let first = range.start.saturating_add(hasher.room_in_part());
    // Never past 10,000 parts, even if the file has grown since its size was checked: the
    // bytes after these go through the read loop, which stops at the limit.
    let parts_left = PartSize::MAX_PARTS.saturating_sub(hasher.closed_parts() + 1);
    let whole_parts = (range.end.saturating_sub(first) / part).min(parts_left);
    if whole_parts < 2 {
        return Ok(range.start);
    }
    let end = crate::file::read_through::<J, _>(hasher, file, range.start, Some(first))
        .map_err(Stop::Io)?;
    if end < first {
        return Err(Stop::EndAt(end));
    }
    // At most 10,000 parts.
    let mut hashed = vec![Checksums::of(b""); whole_parts as usize];
    let threads = J::threads();
    // Every thread gets parts, in groups as even as the count allows.
    let group = group(part, threads).min(hashed.len().div_ceil(threads));
    let buffer_size = if group > 1 {
        group * part as usize
    } else {
        (read_leaves(threads) * LEAF).min(usize::try_from(part).unwrap_or(usize::MAX))
    };
    let tasks = PartTasks {
        file,
        part,
        group,
        buffer_size,
        buffers: BufferPool::new(),
    };
    tasks.hash::<J>(first, &mut hashed)?;
    drop(tasks);
    for checksums in hashed {
        hasher.push_part(checksums);
    }
    Ok(first + whole_parts * part)
}

/// The most parts whose SHA-256s are hashed together in one engine call: as many as fit in a
/// thread's share of 64 MiB, at most [`MAX_LANES`](crate::leaves::MAX_LANES); 1 (a part at a
/// time) when fewer than four fit or the engine is `sha2`.
fn group(part: u64, threads: usize) -> usize {
    let share = (BUFFER_BUDGET / threads.max(1)).max(LEAF) as u64;
    let fits = usize::try_from(share / part).unwrap_or(usize::MAX);
    if crate::leaves::batch() < 4 || fits < 4 {
        return 1;
    }
    fits.min(crate::leaves::MAX_LANES)
}

/// What every task of [`parts`] shares: the file, the part size, how many parts a task takes,
/// and the buffers.
struct PartTasks<'a> {
    file: &'a File,
    part: u64,
    group: usize,
    buffer_size: usize,
    buffers: BufferPool,
}

impl PartTasks<'_> {
    /// The checksums of the parts from offset `first`, one per entry of `out`, split in halves
    /// under `J` down to a group per task.
    fn hash<J: Join>(&self, first: u64, out: &mut [Checksums]) -> Result<(), Stop> {
        if out.len() <= self.group {
            let mut buffer = self.buffers.take(self.buffer_size);
            let result = if self.group > 1 {
                self.hash_group(first, out, &mut buffer)
            } else {
                self.hash_part(first, &mut buffer).map(|c| out[0] = c)
            };
            self.buffers.give_back(buffer);
            return result;
        }
        // Halves of whole groups, so every task but the last gets a full one.
        let groups = out.len().div_ceil(self.group);
        let (left, right) = out.split_at_mut(groups / 2 * self.group);
        let middle = first + left.len() as u64 * self.part;
        let (left, right) = J::join(
            || self.hash::<J>(first, left),
            || self.hash::<J>(middle, right),
        );
        match (left, right) {
            (Err(left), Err(right)) => Err(left.or(right)),
            (Err(stop), _) | (_, Err(stop)) => Err(stop),
            (Ok(()), Ok(())) => Ok(()),
        }
    }

    /// The parts from `first`, read at once and hashed by
    /// [`group_checksums`](crate::multipart::group_checksums).
    fn hash_group(&self, first: u64, out: &mut [Checksums], buffer: &mut [u8]) -> Result<(), Stop> {
        let part = self.part as usize;
        let bytes = &mut buffer[..out.len() * part];
        fill_at(self.file, bytes, first)?;
        crate::multipart::group_checksums(bytes, part, out);
        Ok(())
    }

    /// Both checksums of the part of `file` from `start`, through `buffer`.
    fn hash_part(&self, start: u64, buffer: &mut [u8]) -> Result<Checksums, Stop> {
        let reader = FileAt {
            file: self.file,
            offset: start,
            end: Some(start + self.part),
        };
        let mut source = Source::new(reader);
        let mut hasher = crate::ChecksumHasher::new();
        loop {
            let n = source.fill(buffer).map_err(Stop::Io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        if hasher.count() < self.part {
            return Err(Stop::EndAt(start + hasher.count()));
        }
        Ok(hasher.finalize())
    }
}
