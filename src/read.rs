//! The read loops for readers (feature `std`), shared by every reader and file entry point:
//! one serial loop, one read-ahead loop, and the tree hasher's read-ahead loop, whose blocks
//! are hashed by pool jobs of their own.
//!
//! Invariants: chunks are cut on byte offsets, never on read calls; `Interrupted` is retried;
//! every other error is returned as it is; the first `Ok(0)` is the end of the input, and
//! nothing is read after it.

use crate::Hasher;
#[cfg(feature = "rayon")]
use crate::TreeHash;
use crate::join::{Join, SerialJoin};
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

/// Passes up to `limit` bytes of `source`, in order, to `hasher` through a buffer of 64 KiB or
/// `limit` bytes if fewer (zeroing 64 KiB for a 4 KiB file costed a fifth of hashing it), on
/// the calling thread; returns how many (fewer than `limit` only at the end). Stops early when
/// the hasher refuses more input.
pub(crate) fn stream<H: Hasher>(
    source: &mut Source<impl Read>,
    limit: u64,
    hasher: &mut H,
) -> io::Result<u64> {
    let size = usize::try_from(limit).map_or(SERIAL_BUFFER_SIZE, |limit| {
        limit.clamp(1, SERIAL_BUFFER_SIZE)
    });
    let mut buffer = vec![0u8; size];
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
pub(crate) fn accepts_more(hasher: &impl Hasher) -> io::Result<()> {
    match hasher.too_many_parts_after(0) {
        Some(error) => Err(error.into()),
        None => Ok(()),
    }
}

/// Everything `reader` yields, to `hasher`, through the read loop of `J`: the serial one, or
/// the hasher's read-ahead.
pub(crate) fn read<J: Join, H: Hasher>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    #[cfg(feature = "rayon")]
    if J::PARALLEL {
        return hasher.read_ahead(reader);
    }
    read_serial(hasher, reader)
}

/// Everything `reader` yields, to `hasher`, on the calling thread.
///
/// The first 1 MiB goes through [`stream`]'s stack buffer. After it, when the leaf engine
/// hashes batches of leaves, blocks of one batch ([`serial_buffer_size`]: 16 MiB with a 16-lane
/// kernel) are read into one heap buffer and hashed together; with `sha2`, the stack buffer
/// goes on.
pub(crate) fn read_serial<H: Hasher>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    let mut source = Source::new(reader);
    let chunk = crate::LEAF_SIZE;
    let buffer_size = serial_buffer_size();
    if buffer_size <= crate::LEAF {
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
    crate::leaves::batch() * crate::LEAF
}

/// Everything `reader` yields, to `hasher`, hashed on all threads of the current rayon pool
/// while the calling thread reads one block ahead.
///
/// The first 1 MiB goes through [`stream`], with no buffer and no other thread, so small inputs
/// never touch the pool. After it, two buffers of up to [`read_ahead_buffer_size`]: the calling
/// thread fills one while the other is hashed with `RayonJoin`. Blocks start at 4 MiB and double
/// up to the buffer size, so that a short input is read and hashed in a few overlapping steps
/// instead of one read then one hash, and each is lengthened (within the buffer size) to end
/// where the input so far is a multiple of a leaf-engine batch: every block after the first few
/// is whole batches, split evenly between the threads. A buffer too small for the next block is
/// replaced by a fresh zeroed one (its pages cost nothing until the read fills them), never
/// grown by writing zeros into it. If the calling thread is itself one of the pool's, waiting
/// at the end of the scope runs pool jobs, so a pool of one thread cannot deadlock.
#[cfg(feature = "rayon")]
pub(crate) fn read_ahead<H: Hasher>(hasher: &mut H, reader: impl Read) -> io::Result<()> {
    use crate::join::RayonJoin;

    let mut source = Source::new(reader);
    let Some(first) = next_byte_after(&mut source, crate::LEAF_SIZE, hasher)? else {
        return Ok(());
    };
    let buffer_size = read_ahead_buffer_size();
    let mut block_size = (4 << 20).min(buffer_size);
    let mut read = hasher.count();
    let mut current = vec![0u8; block_size];
    current[0] = first;
    let mut current_len = 1 + source.fill(&mut current[1..])?;
    let mut next = Vec::new();
    while current_len > 0 {
        read += current_len as u64;
        block_size = (2 * block_size).min(buffer_size);
        let len = aligned_block(read, block_size, buffer_size);
        if next.len() < len && !source.ended() {
            next = vec![0u8; len];
        }
        let len = len.min(next.len());
        let next_block = &mut next[..len];
        let block = &current[..current_len];
        let hashing = &mut *hasher;
        let next_len = rayon::in_place_scope(|scope| {
            scope.spawn(move |_| hashing.update_with::<RayonJoin>(block));
            source.fill(next_block)
        })?;
        accepts_more(hasher)?;
        core::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    Ok(())
}

/// Everything `reader` yields, to a tree hasher, on all threads of the current rayon pool: the
/// calling thread reads, and each block it reads is hashed by a pool job of its own.
///
/// The first 1 MiB (or the rest of the leaf in progress) goes through [`stream`], so small
/// inputs never touch the pool. After it, blocks of up to one leaf-engine batch (from 4 MiB,
/// doubling, so a short input is read and hashed in overlapping steps): a job hashes the whole
/// leaves of its block in one engine call and sends their digests back; the calling thread
/// pushes them in order and hashes a last partial leaf itself. Unlike [`read_ahead`],
/// blocks do not wait for each other: while the calling thread reads one, earlier ones are
/// hashed on every thread of the pool. Memory: at most [`read_ahead_blocks`] blocks. If the
/// calling thread is one of the pool's, it runs pool jobs while it waits for a block to come
/// back, so a pool of one thread cannot deadlock.
#[cfg(feature = "rayon")]
pub(crate) fn read_ahead_tree(hasher: &mut crate::TreeHasher, reader: impl Read) -> io::Result<()> {
    use crate::LEAF;
    use std::collections::BTreeMap;
    use std::sync::mpsc;

    let mut source = Source::new(reader);
    let head = match hasher.leaf_room() {
        0 => LEAF,
        room => room,
    };
    let Some(first) = next_byte_after(&mut source, head as u64, hasher)? else {
        return Ok(());
    };
    let batch = tree_block_size();
    let most_blocks = read_ahead_blocks();
    let (done, returned) = mpsc::channel::<Block>();
    // Digests back from their jobs, by block number, until every block before is pushed.
    let mut back = BTreeMap::<u64, Vec<TreeHash>>::new();
    let mut pushed = 0;
    let mut free = Vec::<Vec<u8>>::new();
    let mut tail = Vec::new();
    let mut spawned = 0;
    let read = rayon::in_place_scope(|scope| -> io::Result<()> {
        let mut block_size = (4 << 20).min(batch);
        for number in 0.. {
            let mut buffer = match free.pop() {
                Some(buffer) => buffer,
                None if number < most_blocks => Vec::new(),
                None => {
                    let buffer = take_back(wait_for(&returned)?, &mut back)?;
                    push_in_order(hasher, &mut back, &mut pushed);
                    buffer
                }
            };
            if buffer.len() < block_size {
                // Zeroed pages cost nothing until the read fills them.
                buffer = vec![0u8; block_size];
            }
            let n = if number == 0 {
                buffer[0] = first;
                1 + source.fill(&mut buffer[1..block_size])?
            } else {
                source.fill(&mut buffer[..block_size])?
            };
            let whole = n - n % LEAF;
            tail.extend_from_slice(&buffer[whole..n]);
            if whole > 0 {
                spawned += 1;
                let reply = Reply {
                    block: Block {
                        number,
                        digests: None,
                        buffer,
                    },
                    to: done.clone(),
                };
                scope.spawn(move |_| {
                    let mut digests = vec![TreeHash::ZERO; whole / LEAF];
                    let bytes = &reply.block.buffer[..whole];
                    crate::leaves::hash_leaves(bytes, LEAF, &mut digests);
                    reply.send(digests);
                });
            }
            if n < block_size {
                return Ok(());
            }
            while let Ok(block) = returned.try_recv() {
                free.push(take_back(block, &mut back)?);
            }
            push_in_order(hasher, &mut back, &mut pushed);
            block_size = (2 * block_size).min(batch);
        }
        Ok(())
    });
    // Every job has finished (a panic would have been passed on): the rest is in the channel.
    drop(done);
    for block in returned {
        back.extend(block.digests.map(|digests| (block.number, digests)));
    }
    push_in_order(hasher, &mut back, &mut pushed);
    read?;
    if pushed != spawned {
        return Err(job_failed());
    }
    hasher.update(&tail);
    Ok(())
}

/// The leaf digests of one block of [`read_ahead_tree`] (none if its job panicked),
/// and its buffer for the next read.
#[cfg(feature = "rayon")]
struct Block {
    number: u64,
    digests: Option<Vec<TreeHash>>,
    buffer: Vec<u8>,
}

/// A [`Block`] that sends itself back when dropped, so a job that panics still answers and the
/// reading thread never waits for it forever.
#[cfg(feature = "rayon")]
struct Reply {
    block: Block,
    to: std::sync::mpsc::Sender<Block>,
}

#[cfg(feature = "rayon")]
impl Reply {
    /// Sends the block back with its digests.
    fn send(mut self, digests: Vec<TreeHash>) {
        self.block.digests = Some(digests);
    }
}

#[cfg(feature = "rayon")]
impl Drop for Reply {
    fn drop(&mut self) {
        let block = Block {
            number: self.block.number,
            digests: self.block.digests.take(),
            buffer: core::mem::take(&mut self.block.buffer),
        };
        // The receiver lives until every job has finished.
        let _ = self.to.send(block);
    }
}

/// Files the digests of a block back from its job under its number; returns its buffer.
#[cfg(feature = "rayon")]
fn take_back(
    block: Block,
    back: &mut std::collections::BTreeMap<u64, Vec<TreeHash>>,
) -> io::Result<Vec<u8>> {
    let digests = block.digests.ok_or_else(job_failed)?;
    back.insert(block.number, digests);
    Ok(block.buffer)
}

/// The error for a block whose digests never came back: never a hash without them.
#[cfg(feature = "rayon")]
fn job_failed() -> io::Error {
    io::Error::other("a hashing job ended without its digests")
}

/// The next block back from a job. A thread of the pool runs pool jobs meanwhile (the one it
/// waits for may be queued behind it); any other thread sleeps.
#[cfg(feature = "rayon")]
fn wait_for(returned: &std::sync::mpsc::Receiver<Block>) -> io::Result<Block> {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        if let Ok(block) = returned.try_recv() {
            return Ok(block);
        }
        let sleep = match rayon::yield_now() {
            Some(rayon::Yield::Executed) => continue,
            Some(rayon::Yield::Idle) => std::time::Duration::from_millis(1),
            None => std::time::Duration::MAX,
        };
        match returned.recv_timeout(sleep) {
            Ok(block) => return Ok(block),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err(job_failed()),
        }
    }
}

/// Pushes the leaf digests of the blocks back from their jobs onto a tree hasher at a leaf
/// boundary, from block number `pushed` on, as far as they are consecutive.
#[cfg(feature = "rayon")]
fn push_in_order(
    hasher: &mut crate::TreeHasher,
    back: &mut std::collections::BTreeMap<u64, Vec<TreeHash>>,
    pushed: &mut u64,
) {
    while let Some(digests) = back.remove(pushed) {
        let copy = |first: u64, out: &mut [TreeHash]| {
            let first = first as usize;
            out.copy_from_slice(&digests[first..first + out.len()]);
            Ok::<(), core::convert::Infallible>(())
        };
        let Ok(()) = hasher
            .tree
            .push_leaves::<SerialJoin, _>(digests.len() as u64, None, &copy);
        *pushed += 1;
    }
}

/// The largest block of `Hasher::update_reader_rayon`: one batch of the leaf engine (16 MiB with
/// a 16-lane kernel), or one leaf with `sha2`.
#[cfg(feature = "rayon")]
#[must_use]
pub fn tree_block_size() -> usize {
    serial_buffer_size().max(crate::LEAF)
}

/// The most blocks `Hasher::update_reader_rayon` holds at once in the current pool: two more
/// than its threads, so every thread hashes one while the calling thread reads the next; at
/// most 128 MiB of them (8 of 16 MiB with a 16-lane kernel; 4, 64 MiB, on 2 threads).
#[cfg(feature = "rayon")]
#[must_use]
pub fn read_ahead_blocks() -> u64 {
    let most = ((128 << 20) / tree_block_size()).max(3);
    (rayon::current_num_threads() + 2).min(most) as u64
}

/// Passes the first `head` bytes of `source` to `hasher` through [`stream`], then reads the
/// byte after them: `None` at the end. The read-ahead pipelines allocate no buffer and touch no
/// pool until this says there is more.
#[cfg(feature = "rayon")]
fn next_byte_after<H: Hasher>(
    source: &mut Source<impl Read>,
    head: u64,
    hasher: &mut H,
) -> io::Result<Option<u8>> {
    if stream(source, head, hasher)? < head || source.ended() {
        return Ok(None);
    }
    let mut byte = [0u8; 1];
    Ok((source.fill(&mut byte)? == 1).then_some(byte[0]))
}

/// The length of the next block after `read` bytes: `block_size`, made longer (up to
/// `buffer_size`) so that it ends at a multiple of the leaf engine's batch.
#[cfg(feature = "rayon")]
fn aligned_block(read: u64, block_size: usize, buffer_size: usize) -> usize {
    let batch = serial_buffer_size() as u64;
    let end = (read + block_size as u64).next_multiple_of(batch);
    usize::try_from(end - read).map_or(block_size, |len| len.min(buffer_size))
}

/// The largest read-ahead block of
/// [`Hasher::update_reader_rayon`](crate::Hasher::update_reader_rayon): per thread of
/// the current pool, one batch of the leaf engine (16 MiB with a 16-lane kernel) or 2 MiB with
/// `sha2`, so each block gives every thread whole batches; at most 64 MiB. Not bigger: every
/// page of a fresh buffer costs a page fault and a zeroing, more per byte than the copy out of
/// the page cache (perf at 16 MiB with 2 × 8 MiB buffers and `sha2`: 26% of cycles against 6%).
#[cfg(feature = "rayon")]
#[must_use]
pub fn read_ahead_buffer_size() -> usize {
    serial_buffer_size()
        .max(2 * crate::LEAF)
        .saturating_mul(rayon::current_num_threads())
        .min(64 << 20)
}
