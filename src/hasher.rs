//! [`TreeHasher`]: one 1 MiB leaf in progress plus the [`SubtreeStack`], in about 2.2 KiB.

use crate::join::{Join, SerialJoin, Update};
use crate::tree::{parent, sha256, SubtreeStack};
use crate::TreeHash;
use core::convert::Infallible;
use core::fmt;
// `Digest` is not imported: with feature `digest` its by-value `finalize` would shadow ours.
use sha2::Sha256;

/// The leaf size of every Glacier tree hash: 1 MiB (1,048,576 bytes).
pub const CHUNK_SIZE: usize = 1 << 20;

/// The tree hash of `data`, the body of an UploadArchive request or an UploadMultipartPart.
///
/// On the calling thread; for all cores, [`TreeHasher::update_rayon`].
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
/// on the bytes, never on how they were split across calls to [`update`](TreeHasher::update).
///
/// ```
/// use glacier_tree_hash::{tree_hash, TreeHasher};
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
    /// SHA-256 of the leaf in progress.
    leaf: Sha256,
    /// Bytes in the leaf in progress; always below [`CHUNK_SIZE`]: a full leaf goes on the stack.
    leaf_len: usize,
    /// Roots of the complete subtrees of full leaves.
    stack: SubtreeStack,
}

impl TreeHasher {
    /// A hasher that has seen no bytes.
    ///
    /// ```
    /// let hasher = glacier_tree_hash::TreeHasher::new();
    /// assert_eq!(hasher.finalize(), glacier_tree_hash::tree_hash(b""));
    /// ```
    #[must_use]
    pub fn new() -> TreeHasher {
        TreeHasher {
            leaf: <Sha256 as sha2::Digest>::new(),
            leaf_len: 0,
            stack: SubtreeStack::new(),
        }
    }

    /// Adds `data` after the bytes seen so far, on the calling thread.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let hash = TreeHasher::new().update(b"te").update(b"st").finalize();
    /// assert_eq!(hash, tree_hash(b"test"));
    /// ```
    pub fn update(&mut self, data: &[u8]) -> &mut TreeHasher {
        self.update_with::<SerialJoin>(data)
    }

    /// Adds `data` like [`update`](TreeHasher::update), hashing whole 1 MiB chunks on all the
    /// threads of the current rayon pool (feature `rayon`).
    ///
    /// A partial leaf left by earlier calls is finished on the calling thread first; then the
    /// largest runs of 2^j chunks that form complete subtrees are split in halves with
    /// `rayon::join` down to single chunks, and their roots go on the same stack `update` uses.
    /// So the hash is the same as `update`'s for every split of the input. Input of one chunk or
    /// less never leaves the calling thread. The thread count is rayon's: `RAYON_NUM_THREADS`,
    /// or the pool of a surrounding `ThreadPool::install`.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let data = vec![1u8; (9 << 20) + 5];
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(&data[..1234]).update_rayon(&data[1234..]);
    /// assert_eq!(hasher.finalize(), tree_hash(&data));
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_rayon(&mut self, data: &[u8]) -> &mut TreeHasher {
        self.update_with::<crate::join::RayonJoin>(data)
    }

    /// The bytes that would complete the leaf in progress; 0 at a leaf boundary.
    #[cfg(feature = "std")]
    pub(crate) fn leaf_room(&self) -> usize {
        (CHUNK_SIZE - self.leaf_len) % CHUNK_SIZE
    }

    /// The one update path: fill the leaf in progress, push whole chunks as aligned subtrees
    /// (hashed under `J`), keep the tail as the new leaf in progress.
    pub(crate) fn update_with<J: Join>(&mut self, mut data: &[u8]) -> &mut TreeHasher {
        if self.leaf_len > 0 {
            data = self.fill_leaf(data);
        }
        let (chunks, tail) = data.split_at(data.len() - data.len() % CHUNK_SIZE);
        let leaf = |index: u64| {
            let start = index as usize * CHUNK_SIZE;
            Ok::<_, Infallible>(sha256(&chunks[start..start + CHUNK_SIZE]))
        };
        let Ok(()) = self.push_chunks::<J, _>((chunks.len() / CHUNK_SIZE) as u64, &leaf);
        self.fill_leaf(tail);
        self
    }

    /// Adds as much of `data` to the leaf in progress as it takes, pushes the leaf if that
    /// fills it, and returns the rest.
    fn fill_leaf<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let (head, rest) = data.split_at(data.len().min(CHUNK_SIZE - self.leaf_len));
        sha2::Digest::update(&mut self.leaf, head);
        self.leaf_len += head.len();
        if self.leaf_len == CHUNK_SIZE {
            let leaf = TreeHash::from(<[u8; 32]>::from(sha2::Digest::finalize_reset(
                &mut self.leaf,
            )));
            self.stack.push(leaf, 0);
            self.leaf_len = 0;
        }
        rest
    }

    /// Pushes `count` whole chunks, the hash of chunk `i` (counted from 0 in this call) being
    /// `leaf(i)`, as the largest subtrees that start at the current leaf count and fit. Up to
    /// [`BATCH`] subtrees are hashed together (so in parallel under `RayonJoin`, even when the
    /// chunks start at an odd leaf count), then pushed in order. Only when no leaf is in
    /// progress. On an error the hasher holds some prefix of the chunks.
    pub(crate) fn push_chunks<J, E>(
        &mut self,
        count: u64,
        leaf: &(impl Fn(u64) -> Result<TreeHash, E> + Sync),
    ) -> Result<(), E>
    where
        J: Join,
        E: Send,
    {
        debug_assert!(count == 0 || self.leaf_len == 0);
        let mut done = 0;
        while done < count {
            let mut subtrees = [Subtree { first: 0, level: 0 }; BATCH];
            let mut len = 0;
            let mut leaves = self.stack.leaves();
            while len < BATCH && done < count {
                let level = leaves.trailing_zeros().min((count - done).ilog2());
                subtrees[len] = Subtree { first: done, level };
                len += 1;
                done += 1 << level;
                leaves += 1 << level;
            }
            let mut roots = [TreeHash::from([0; 32]); BATCH];
            subtree_roots::<J, E>(&subtrees[..len], &mut roots[..len], leaf)?;
            for (root, subtree) in roots.iter().zip(&subtrees[..len]) {
                self.stack.push(*root, subtree.level);
            }
        }
        Ok(())
    }

    /// The tree hash of the bytes so far. It does not change the hasher: call it as often as
    /// you like, and keep updating afterwards.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te");
    /// assert_eq!(hasher.finalize(), tree_hash(b"te"));
    /// assert_eq!(hasher.finalize(), tree_hash(b"te"));
    /// hasher.update(b"st");
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// ```
    #[must_use]
    pub fn finalize(&self) -> TreeHash {
        let last_leaf = (self.leaf_len > 0)
            .then(|| TreeHash::from(<[u8; 32]>::from(sha2::Digest::finalize(self.leaf.clone()))));
        self.stack
            .root_with(last_leaf)
            .unwrap_or_else(|| sha256(b""))
    }

    /// The number of bytes hashed so far.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::TreeHasher::new();
    /// hasher.update(&[0; 1500]).update(&[1; 500]);
    /// assert_eq!(hasher.count(), 2000);
    /// ```
    #[must_use]
    pub fn count(&self) -> u64 {
        // A u64 of whole chunks times 2^20 fits: no input reaches 2^44 chunks.
        (self.stack.leaves() << 20) + self.leaf_len as u64
    }

    /// Forgets every byte seen, as if new.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
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

/// How many subtrees [`TreeHasher::push_chunks`] hashes at once, on a small fixed stack. A
/// read-ahead block that starts mid-tree splits into a handful; longer runs go in batches.
const BATCH: usize = 8;

/// The `2^level` chunks from `first`, counted from the start of one `push_chunks` call.
#[derive(Clone, Copy)]
struct Subtree {
    first: u64,
    level: u32,
}

/// The root of each subtree into `roots`, the list split where its chunks are halved so both
/// sides of each join carry about the same work.
fn subtree_roots<J, E>(
    subtrees: &[Subtree],
    roots: &mut [TreeHash],
    leaf: &(impl Fn(u64) -> Result<TreeHash, E> + Sync),
) -> Result<(), E>
where
    J: Join,
    E: Send,
{
    if let [subtree] = subtrees {
        roots[0] = subtree_root::<J, E>(subtree.first, 1 << subtree.level, leaf)?;
        return Ok(());
    }
    let chunks = |subtrees: &[Subtree]| subtrees.iter().map(|s| 1u64 << s.level).sum::<u64>();
    let total = chunks(subtrees);
    let mut middle = 1;
    while middle + 1 < subtrees.len() && 2 * chunks(&subtrees[..=middle]) <= total {
        middle += 1;
    }
    let (left_subtrees, right_subtrees) = subtrees.split_at(middle);
    let (left_roots, right_roots) = roots.split_at_mut(middle);
    let (left, right) = J::join(
        || subtree_roots::<J, E>(left_subtrees, left_roots, leaf),
        || subtree_roots::<J, E>(right_subtrees, right_roots, leaf),
    );
    left.and(right)
}

/// The root of the complete subtree over the `count` (a power of two) chunks from `first`.
fn subtree_root<J, E>(
    first: u64,
    count: u64,
    leaf: &(impl Fn(u64) -> Result<TreeHash, E> + Sync),
) -> Result<TreeHash, E>
where
    J: Join,
    E: Send,
{
    if count == 1 {
        return leaf(first);
    }
    let half = count / 2;
    let (left, right) = J::join(
        || subtree_root::<J, E>(first, half, leaf),
        || subtree_root::<J, E>(first + half, half, leaf),
    );
    Ok(parent(&left?, &right?))
}

impl Update for TreeHasher {
    fn update_with<J: Join>(&mut self, data: &[u8]) {
        TreeHasher::update_with::<J>(self, data);
    }

    fn count(&self) -> u64 {
        TreeHasher::count(self)
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
        hasher.update(&[3; CHUNK_SIZE - 1]);
        assert_eq!(
            (hasher.stack.leaves(), hasher.leaf_len),
            (0, CHUNK_SIZE - 1)
        );
        hasher.update(&[3]);
        assert_eq!((hasher.stack.leaves(), hasher.leaf_len), (1, 0));
        assert_eq!(hasher.finalize(), sha256(&[3; CHUNK_SIZE]));
    }

    #[test]
    fn whole_chunks_go_on_the_stack_as_aligned_subtrees() {
        let data = vec![9u8; 7 * CHUNK_SIZE];
        let mut hasher = TreeHasher::new();
        hasher
            .update(&data[..CHUNK_SIZE])
            .update(&data[CHUNK_SIZE..]);
        // Seven leaves of one value: subtrees of 4, 2 and 1 leaves, folded right to left.
        assert_eq!(hasher.stack.leaves(), 7);
        assert_eq!(hasher.finalize(), {
            let leaf = sha256(&data[..CHUNK_SIZE]);
            let two = parent(&leaf, &leaf);
            let four = parent(&two, &two);
            parent(&four, &parent(&two, &leaf))
        });
    }

    /// Runs of chunks that split into more subtrees than one batch holds, from every leaf count
    /// up to 300, serially and in parallel: the same stack as pushing one leaf at a time.
    #[test]
    fn push_chunks_in_batches_equals_one_leaf_at_a_time() {
        let leaf = |index: u64| Ok::<_, Infallible>(sha256(&index.to_le_bytes()));
        for start in 0..300u64 {
            for count in [1, 7, 8, 9, 254, 255, 300] {
                let mut prefix = TreeHasher::new();
                for index in 0..start {
                    prefix.stack.push(leaf(index).unwrap(), 0);
                }
                let mut one_at_a_time = prefix.clone();
                for index in start..start + count {
                    one_at_a_time.stack.push(leaf(index).unwrap(), 0);
                }
                let shifted = |index: u64| leaf(start + index);
                let mut serial = prefix.clone();
                let Ok(()) = serial.push_chunks::<SerialJoin, _>(count, &shifted);
                assert_eq!(
                    serial.finalize(),
                    one_at_a_time.finalize(),
                    "{start} + {count}"
                );
                #[cfg(feature = "rayon")]
                {
                    let mut parallel = prefix.clone();
                    let Ok(()) = parallel.push_chunks::<crate::join::RayonJoin, _>(count, &shifted);
                    assert_eq!(
                        parallel.finalize(),
                        one_at_a_time.finalize(),
                        "{start} + {count}"
                    );
                }
            }
        }
    }
}
