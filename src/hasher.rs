//! [`TreeHasher`]: one 1 MiB leaf in progress plus the [`SubtreeStack`], in about 2.2 KiB.
//!
//! The machinery is [`Tree`], generic over its leaf size `LEAF`: `TreeHasher` is a
//! `Tree<LEAF>`, and tests and fuzz targets use leaves of a few bytes (through
//! [`SmallLeafTreeHasher`]) to reach many tree shapes, batch edges and partial lanes fast.
//!
//! Invariants:
//! - `leaf_len < LEAF`: a full leaf is pushed at once. Only whole leaves are ever pushed, in
//!   order, each subtree root at a leaf count that is a multiple of its size.
//! - Whole leaves present in one `update` call are hashed by the leaf engine
//!   ([`crate::leaves`]) in groups of up to `leaves::batch()`: the subtree recursion stops at
//!   that many leaves (fewer under rayon when the call is too small to give every thread a full
//!   batch), hashes them in one call, and pairs them up to the subtree's root. The leaf in
//!   progress (bytes split across calls) is hashed incrementally with `sha2`; `update` does not
//!   gather whole leaves across calls.
//! - The result depends only on the bytes, never on the split into calls, the join, the batch
//!   size or the engine.

use crate::Hasher;
use crate::TreeHash;
use crate::join::{Join, SerialJoin};
use crate::leaves::{self, MAX_LANES};
use crate::tree::{SubtreeStack, parent, sha256};
use crate::update::sealed::Sealed;
use core::convert::Infallible;
use core::fmt;
#[cfg(feature = "std")]
use {crate::positional::Stop, core::ops::Range, std::fs::File};
// `Digest` is not imported: with feature `digest` its by-value `finalize` would shadow ours.
use sha2::Sha256;

/// The leaf size of every Glacier tree hash: 1 MiB (1,048,576 bytes). Leaves are the unit of
/// the tree, of part sizes and of range alignment; a `u64`, as every size in the API is.
///
/// ```
/// assert_eq!(glacier_tree_hash::LEAF_SIZE, 1_048_576);
/// ```
pub const LEAF_SIZE: u64 = 1 << 20;

/// [`LEAF_SIZE`] as a `usize`, for lengths of slices.
pub(crate) const LEAF: usize = 1 << 20;

/// The tree hash of `data`, the body of an UploadArchive request or an UploadMultipartPart.
///
/// On the calling thread; for all cores, [`Hasher::update_rayon`].
/// Empty input gives SHA-256 of nothing, `e3b0c442…b855`, as Glacier and the AWS SDKs do.
///
/// ```
/// let hash = glacier_tree_hash::tree_hash(b"test");
/// assert_eq!(
///     hash.to_string(),
///     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
/// );
/// ```
#[must_use]
pub fn tree_hash(data: &[u8]) -> TreeHash {
    TreeHasher::new().update(data).finalize()
}

/// An incremental tree hasher: feed it bytes in pieces of any size, read the hash at any time.
///
/// The state is one SHA-256 for the 1 MiB leaf in progress and one subtree root per 1-bit of
/// the number of complete leaves (at most 64), about 2.2 KiB whatever the input size. It never
/// allocates and never copies input beyond SHA-256's own 64-byte block. The result depends only
/// on the bytes, never on how they were split across calls to [`update`](Hasher::update).
/// Its methods are those of the [`Hasher`] trait, and [`reset`](TreeHasher::reset).
///
/// The whole 1 MiB leaves present in one call are hashed together by the leaf engine (see
/// [`leaf_backend`](crate::leaf_backend)), so large calls are faster per byte than many small
/// ones: feed it blocks of several MiB where you can.
///
/// ```
/// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
///
/// let data = vec![0x5a; 3 << 20];
/// let mut hasher = TreeHasher::new();
/// for piece in data.chunks(1000) {
///     hasher.update(piece);
/// }
/// assert_eq!(hasher.count(), data.len() as u64);
/// assert_eq!(hasher.finalize(), tree_hash(&data));
/// ```
#[derive(Clone)]
pub struct TreeHasher {
    /// The tree over 1 MiB leaves.
    pub(crate) tree: Tree<LEAF>,
}

impl TreeHasher {
    /// A hasher that has seen no bytes.
    ///
    /// ```
    /// use glacier_tree_hash::Hasher;
    /// let hasher = glacier_tree_hash::TreeHasher::new();
    /// assert_eq!(hasher.finalize(), glacier_tree_hash::tree_hash(b""));
    /// ```
    #[must_use]
    pub fn new() -> TreeHasher {
        TreeHasher { tree: Tree::new() }
    }

    /// The bytes that would complete the leaf in progress; 0 at a leaf boundary.
    #[cfg(feature = "std")]
    pub(crate) fn leaf_room(&self) -> usize {
        (LEAF - self.tree.leaf_len) % LEAF
    }

    /// Forgets every byte seen, as if new.
    ///
    /// ```
    /// use glacier_tree_hash::{Hasher, tree_hash, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"something else");
    /// hasher.reset();
    /// assert_eq!(hasher.count(), 0);
    /// assert_eq!(hasher.update(b"bar").finalize(), tree_hash(b"bar"));
    /// ```
    pub fn reset(&mut self) -> &mut TreeHasher {
        *self = TreeHasher::new();
        self
    }
}

/// The tree hash machinery over leaves of `LEAF` bytes: the leaf in progress and the stack.
#[derive(Clone)]
pub(crate) struct Tree<const LEAF: usize> {
    /// SHA-256 of the leaf in progress.
    leaf: Sha256,
    /// Bytes in the leaf in progress; always below `LEAF`: a full leaf goes on the stack.
    leaf_len: usize,
    /// Roots of the complete subtrees of full leaves.
    stack: SubtreeStack,
}

impl<const LEAF: usize> Tree<LEAF> {
    fn new() -> Tree<LEAF> {
        const { assert!(LEAF > 0, "leaves have at least one byte") };
        Tree {
            leaf: <Sha256 as sha2::Digest>::new(),
            leaf_len: 0,
            stack: SubtreeStack::new(),
        }
    }

    fn update_with<J: Join>(&mut self, data: &[u8]) {
        self.update_for_threads::<J>(data, None);
    }

    /// `update_with`, with tasks sized as for `threads` threads (whatever `J` runs on), or for
    /// `J`'s own, asked only when there are whole leaves: a call without any never touches a
    /// thread pool.
    fn update_for_threads<J: Join>(&mut self, mut data: &[u8], threads: Option<usize>) {
        if self.leaf_len > 0 {
            data = self.fill_leaf(data);
        }
        let (chunks, tail) = data.split_at(data.len() - data.len() % LEAF);
        let hash = |first: u64, out: &mut [TreeHash]| {
            let start = first as usize * LEAF;
            leaves::hash_leaves(&chunks[start..start + out.len() * LEAF], LEAF, out);
            Ok::<_, Infallible>(())
        };
        let count = (chunks.len() / LEAF) as u64;
        if count > 0 {
            let threads = threads.unwrap_or_else(J::threads);
            let task = task_leaves(count, leaves::batch(), threads);
            let Ok(()) = self.push_leaves::<J, _>(count, Some(task), &hash);
        }
        self.fill_leaf(tail);
    }

    /// Adds as much of `data` to the leaf in progress as it takes, pushes the leaf if that
    /// fills it, and returns the rest.
    fn fill_leaf<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let (head, rest) = data.split_at(data.len().min(LEAF - self.leaf_len));
        sha2::Digest::update(&mut self.leaf, head);
        self.leaf_len += head.len();
        if self.leaf_len == LEAF {
            let leaf = TreeHash::from(<[u8; 32]>::from(sha2::Digest::finalize_reset(
                &mut self.leaf,
            )));
            self.stack.push(leaf, 0);
            self.leaf_len = 0;
        }
        rest
    }

    /// Pushes `count` whole leaves as the largest subtrees that start at the current leaf count
    /// and fit; `leaves(first, out)` must write the hashes of the `out.len()` leaves from leaf
    /// `first` (counted from 0 in this call) into `out`. It is called with up to
    /// `leaves::batch()` leaves at a time, in parallel under `RayonJoin`. Only when no leaf is
    /// in progress. On an error the hasher holds some prefix of the leaves.
    ///
    /// Tasks are of `task` leaves (a power of two, at most [`MAX_LANES`]), or by default sized
    /// for `J`'s threads. Up to [`SUBTREES`] subtrees are planned at a time; neighbours that
    /// together hold no more than a task's worth of leaves are hashed in one engine call, larger
    /// ones are split in halves under `J` down to a task each.
    pub(crate) fn push_leaves<J, E>(
        &mut self,
        count: u64,
        task: Option<usize>,
        leaves: &(impl Fn(u64, &mut [TreeHash]) -> Result<(), E> + Sync),
    ) -> Result<(), E>
    where
        J: Join,
        E: Send,
    {
        if count == 0 {
            return Ok(());
        }
        let task = task.unwrap_or_else(|| task_leaves(count, leaves::batch(), J::threads()));
        debug_assert!(count == 0 || self.leaf_len == 0);
        debug_assert!(task.is_power_of_two() && task <= MAX_LANES);
        let mut done = 0;
        while done < count {
            let mut subtrees = [Subtree { first: 0, level: 0 }; SUBTREES];
            let mut len = 0;
            let mut pushed = self.stack.leaves();
            while len < SUBTREES && done < count {
                let level = pushed.trailing_zeros().min((count - done).ilog2());
                subtrees[len] = Subtree { first: done, level };
                len += 1;
                done += 1 << level;
                pushed += 1 << level;
            }
            let mut roots = [TreeHash::ZERO; SUBTREES];
            subtree_roots::<J, E>(&subtrees[..len], &mut roots[..len], task, leaves)?;
            for (root, subtree) in roots.iter().zip(&subtrees[..len]) {
                self.stack.push(*root, subtree.level);
            }
        }
        Ok(())
    }

    fn finalize(&self) -> TreeHash {
        let last_leaf = (self.leaf_len > 0)
            .then(|| TreeHash::from(<[u8; 32]>::from(sha2::Digest::finalize(self.leaf.clone()))));
        self.stack
            .root_with(last_leaf)
            .unwrap_or_else(|| sha256(b""))
    }

    fn count(&self) -> u64 {
        // Whole leaves times their size fit a u64: no input reaches 2^64 bytes.
        self.stack.leaves() * LEAF as u64 + self.leaf_len as u64
    }
}

/// How many subtrees [`Tree::push_leaves`] plans at once, on a small fixed stack. A read-ahead
/// block that starts mid-tree splits into a handful; longer runs go in rounds.
const SUBTREES: usize = 8;

/// The leaves one task hashes in one engine call: the engine's batch, or, when `count` leaves
/// cannot give each of `threads` threads a full batch, the largest power of two that gives
/// each thread at least one task (so small parallel calls still use every thread).
fn task_leaves(count: u64, batch: usize, threads: usize) -> usize {
    let share = count / threads.max(1) as u64;
    if threads <= 1 || share >= batch as u64 {
        batch
    } else if share <= 1 {
        1
    } else {
        1 << share.ilog2()
    }
}

/// The `2^level` chunks from `first`, counted from the start of one `push_leaves` call.
#[derive(Clone, Copy)]
struct Subtree {
    first: u64,
    level: u32,
}

/// The root of each subtree into `roots`. Consecutive subtrees of at most `task` leaves in all
/// are hashed in one call of `leaves`; longer lists are split where their chunks are halved, so
/// both sides of each join carry about the same work.
fn subtree_roots<J, E>(
    subtrees: &[Subtree],
    roots: &mut [TreeHash],
    task: usize,
    leaves: &(impl Fn(u64, &mut [TreeHash]) -> Result<(), E> + Sync),
) -> Result<(), E>
where
    J: Join,
    E: Send,
{
    let chunks = |subtrees: &[Subtree]| subtrees.iter().map(|s| 1u64 << s.level).sum::<u64>();
    let total = chunks(subtrees);
    if total <= task as u64 {
        // Subtrees from the plan are consecutive: one engine call for all their leaves.
        let mut hashes = [TreeHash::ZERO; MAX_LANES];
        leaves(subtrees[0].first, &mut hashes[..total as usize])?;
        let mut start = 0;
        for (root, subtree) in roots.iter_mut().zip(subtrees) {
            let end = start + (1 << subtree.level);
            *root = complete_root(&mut hashes[start..end]);
            start = end;
        }
        return Ok(());
    }
    if let [subtree] = subtrees {
        roots[0] = subtree_root::<J, E>(subtree.first, 1 << subtree.level, task, leaves)?;
        return Ok(());
    }
    let mut middle = 1;
    while middle + 1 < subtrees.len() && 2 * chunks(&subtrees[..=middle]) <= total {
        middle += 1;
    }
    let (left_subtrees, right_subtrees) = subtrees.split_at(middle);
    let (left_roots, right_roots) = roots.split_at_mut(middle);
    if !J::PARALLEL {
        // In order, stopping at the first error: a file that ends early costs nothing more.
        subtree_roots::<J, E>(left_subtrees, left_roots, task, leaves)?;
        return subtree_roots::<J, E>(right_subtrees, right_roots, task, leaves);
    }
    let (left, right) = J::join(
        || subtree_roots::<J, E>(left_subtrees, left_roots, task, leaves),
        || subtree_roots::<J, E>(right_subtrees, right_roots, task, leaves),
    );
    left.and(right)
}

/// The root of the complete subtree over the `count` (a power of two) chunks from `first`:
/// halves under `J` down to `task` chunks, which are hashed in one call and paired up.
fn subtree_root<J, E>(
    first: u64,
    count: u64,
    task: usize,
    leaves: &(impl Fn(u64, &mut [TreeHash]) -> Result<(), E> + Sync),
) -> Result<TreeHash, E>
where
    J: Join,
    E: Send,
{
    if count <= task as u64 {
        let mut hashes = [TreeHash::ZERO; MAX_LANES];
        let hashes = &mut hashes[..count as usize];
        leaves(first, hashes)?;
        return Ok(complete_root(hashes));
    }
    let half = count / 2;
    if !J::PARALLEL {
        let left = subtree_root::<J, E>(first, half, task, leaves)?;
        let right = subtree_root::<J, E>(first + half, half, task, leaves)?;
        return Ok(parent(&left, &right));
    }
    let (left, right) = J::join(
        || subtree_root::<J, E>(first, half, task, leaves),
        || subtree_root::<J, E>(first + half, half, task, leaves),
    );
    Ok(parent(&left?, &right?))
}

impl Sealed for TreeHasher {
    fn update_with<J: Join>(&mut self, data: &[u8]) {
        self.tree.update_with::<J>(data);
    }

    /// Each block read ahead is hashed by a pool job of its own.
    #[cfg(feature = "rayon")]
    fn read_ahead(&mut self, reader: impl std::io::Read) -> std::io::Result<()> {
        crate::read::read_ahead_tree(self, reader)
    }

    /// Whole leaves read by the thread that hashes them.
    #[cfg(feature = "std")]
    fn positional<J: Join>(&mut self, file: &File, range: Range<u64>) -> Result<u64, Stop> {
        crate::positional::leaves::<J>(self, file, range)
    }
}

impl Hasher for TreeHasher {
    type Output = TreeHash;

    fn finalize(&self) -> TreeHash {
        self.tree.finalize()
    }

    fn count(&self) -> u64 {
        self.tree.count()
    }
}

/// The root of a complete subtree over `hashes` (a power of two of them), paired in place.
fn complete_root(hashes: &mut [TreeHash]) -> TreeHash {
    debug_assert!(hashes.len().is_power_of_two());
    let mut len = hashes.len();
    while len > 1 {
        len /= 2;
        for i in 0..len {
            hashes[i] = parent(&hashes[2 * i], &hashes[2 * i + 1]);
        }
    }
    hashes[0]
}

/// A tree hasher over leaves of `LEAF` bytes instead of 1 MiB, for property tests and fuzz
/// targets: the same machinery as [`TreeHasher`] (the leaf engine, its batches and partial
/// lanes, the subtree stack, the serial and rayon schedules) on inputs small enough to run
/// millions of times. Not part of the API: it may change in any release.
///
/// ```
/// use glacier_tree_hash::__internal::SmallLeafTreeHasher;
///
/// let mut hasher = SmallLeafTreeHasher::<1024>::new();
/// hasher.update(&[1; 500]).update(&[1; 1548]);
/// // Two leaves of 1 KiB: the parent of their hashes.
/// assert_eq!(hasher.count(), 2048);
/// # let _ = hasher.finalize();
/// ```
#[doc(hidden)]
#[derive(Clone)]
pub struct SmallLeafTreeHasher<const LEAF: usize> {
    tree: Tree<LEAF>,
}

#[doc(hidden)]
impl<const LEAF: usize> SmallLeafTreeHasher<LEAF> {
    /// A hasher that has seen no bytes.
    #[must_use]
    pub fn new() -> Self {
        SmallLeafTreeHasher { tree: Tree::new() }
    }

    /// [`TreeHasher::update`] with leaves of `LEAF` bytes.
    pub fn update(&mut self, data: &[u8]) -> &mut Self {
        self.tree.update_with::<SerialJoin>(data);
        self
    }

    /// [`TreeHasher::update_rayon`] with leaves of `LEAF` bytes.
    #[cfg(feature = "rayon")]
    pub fn update_rayon(&mut self, data: &[u8]) -> &mut Self {
        self.tree.update_with::<crate::join::RayonJoin>(data);
        self
    }

    /// [`TreeHasher::update`] with its batches cut into tasks as `update_rayon` cuts them on
    /// `threads` threads, all run on the calling thread: the task sizes of any pool, without a
    /// pool's cost per call.
    pub fn update_as_on_threads(&mut self, data: &[u8], threads: usize) -> &mut Self {
        self.tree
            .update_for_threads::<SerialJoin>(data, Some(threads));
        self
    }

    /// [`TreeHasher::finalize`].
    #[must_use]
    pub fn finalize(&self) -> TreeHash {
        self.tree.finalize()
    }

    /// [`TreeHasher::count`].
    #[must_use]
    pub fn count(&self) -> u64 {
        self.tree.count()
    }
}

#[doc(hidden)]
impl<const LEAF: usize> Default for SmallLeafTreeHasher<LEAF> {
    fn default() -> Self {
        Self::new()
    }
}

impl Default for TreeHasher {
    fn default() -> TreeHasher {
        TreeHasher::new()
    }
}

impl fmt::Debug for TreeHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeHasher")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_small() {
        assert!(core::mem::size_of::<TreeHasher>() <= 2304);
    }

    #[test]
    fn a_full_leaf_goes_on_the_stack_at_once() {
        let mut hasher = TreeHasher::new();
        hasher.update(&[3; LEAF - 1]);
        assert_eq!(
            (hasher.tree.stack.leaves(), hasher.tree.leaf_len),
            (0, LEAF - 1)
        );
        hasher.update(&[3]);
        assert_eq!((hasher.tree.stack.leaves(), hasher.tree.leaf_len), (1, 0));
        assert_eq!(hasher.finalize(), sha256(&[3; LEAF]));
    }

    #[test]
    fn whole_chunks_go_on_the_stack_as_aligned_subtrees() {
        let data = vec![9u8; 7 * LEAF];
        let mut hasher = TreeHasher::new();
        hasher.update(&data[..LEAF]).update(&data[LEAF..]);
        // Seven leaves of one value: subtrees of 4, 2 and 1 leaves, folded right to left.
        assert_eq!(hasher.tree.stack.leaves(), 7);
        assert_eq!(hasher.finalize(), {
            let leaf = sha256(&data[..LEAF]);
            let two = parent(&leaf, &leaf);
            let four = parent(&two, &two);
            parent(&four, &parent(&two, &leaf))
        });
    }

    /// Runs of chunks that split into more subtrees than one round plans, from every leaf
    /// count up to 300, in tasks of every size, serially and in parallel: the same stack as
    /// pushing one leaf at a time, and every leaf hashed exactly once, in calls of at most a task.
    #[test]
    fn push_leaves_in_tasks_equals_one_leaf_at_a_time() {
        use core::sync::atomic::{AtomicU64, Ordering};
        let leaf = |index: u64| sha256(&index.to_le_bytes());
        for start in 0..300u64 {
            let mut prefix = TreeHasher::new();
            for index in 0..start {
                prefix.tree.stack.push(leaf(index), 0);
            }
            for count in [1, 7, 8, 9, 31, 33, 254, 255, 300] {
                let mut one_at_a_time = prefix.clone();
                for index in start..start + count {
                    one_at_a_time.tree.stack.push(leaf(index), 0);
                }
                let expected = one_at_a_time.finalize();
                for task in [1, 2, 4, 8, 16, 32] {
                    let hashed = AtomicU64::new(0);
                    let batch = |first: u64, out: &mut [TreeHash]| {
                        assert!(!out.is_empty() && out.len() <= task);
                        hashed.fetch_add(out.len() as u64, Ordering::Relaxed);
                        for (i, digest) in out.iter_mut().enumerate() {
                            *digest = leaf(start + first + i as u64);
                        }
                        Ok::<_, Infallible>(())
                    };
                    let mut serial = prefix.clone();
                    let Ok(()) =
                        serial
                            .tree
                            .push_leaves::<SerialJoin, _>(count, Some(task), &batch);
                    assert_eq!(serial.finalize(), expected, "{start} + {count}, {task}");
                    #[cfg(feature = "rayon")]
                    {
                        let mut parallel = prefix.clone();
                        let Ok(()) = parallel.tree.push_leaves::<crate::join::RayonJoin, _>(
                            count,
                            Some(task),
                            &batch,
                        );
                        assert_eq!(parallel.finalize(), expected, "{start} + {count}, {task}");
                    }
                    let runs = if cfg!(feature = "rayon") { 2 } else { 1 };
                    assert_eq!(hashed.into_inner(), runs * count);
                }
            }
        }
    }

    #[test]
    fn tasks_are_a_batch_or_a_share_of_the_threads() {
        assert_eq!(task_leaves(1000, 16, 1), 16);
        assert_eq!(task_leaves(1000, 16, 2), 16);
        assert_eq!(task_leaves(16, 16, 2), 8);
        assert_eq!(task_leaves(15, 16, 2), 4);
        assert_eq!(task_leaves(4, 16, 2), 2);
        assert_eq!(task_leaves(3, 16, 4), 1);
        assert_eq!(task_leaves(5, 16, 1), 16);
        assert_eq!(task_leaves(100, 1, 8), 1);
    }
}
