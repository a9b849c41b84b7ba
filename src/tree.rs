//! The tree: the only place where two hashes are paired.
//!
//! Glacier's tree (pair hashes level by level, promote an odd last one) has the same root as
//! the recursive shape `root(n) = parent(root(first k), root(rest))` with `k` the largest power
//! of two below `n`. So every run of 2^j leaves that starts at a multiple of 2^j is a complete
//! subtree, and a left-to-right pass needs only the roots of the complete subtrees seen so far:
//! one per 1-bit of the leaf count, largest first. [`SubtreeStack`] keeps exactly those.

use crate::TreeHash;
use sha2::{Digest, Sha256};

/// The parent of two nodes: SHA-256 of the 64 bytes `left || right`.
pub(crate) fn parent(left: &TreeHash, right: &TreeHash) -> TreeHash {
    let mut sha = Sha256::new();
    sha.update(left.as_bytes());
    sha.update(right.as_bytes());
    TreeHash::from(<[u8; 32]>::from(sha.finalize()))
}

/// SHA-256 of `bytes`: a leaf, and the tree hash of empty input.
pub(crate) fn sha256(bytes: &[u8]) -> TreeHash {
    TreeHash::from(<[u8; 32]>::from(Sha256::digest(bytes)))
}

/// The roots of the complete subtrees seen so far, left to right, in 2 KiB.
///
/// Invariant: after every push, `roots[i]` is the root of the subtree for the `i`-th 1-bit of
/// `leaves` counted from the most significant, so `len == leaves.count_ones()`.
#[derive(Clone)]
pub(crate) struct SubtreeStack {
    roots: [TreeHash; 64],
    len: usize,
    leaves: u64,
}

impl SubtreeStack {
    pub(crate) const fn new() -> SubtreeStack {
        SubtreeStack {
            roots: [TreeHash::ZERO; 64],
            len: 0,
            leaves: 0,
        }
    }

    /// The number of leaves under the roots pushed so far.
    pub(crate) const fn leaves(&self) -> u64 {
        self.leaves
    }

    /// Appends the root of a complete subtree of `2^level` leaves. The caller guarantees that
    /// the leaves so far are a multiple of `2^level` (true for `level == 0`) and that the total
    /// stays below 2^64 leaves.
    pub(crate) fn push(&mut self, root: TreeHash, level: u32) {
        debug_assert!(self.leaves.trailing_zeros() >= level);
        self.roots[self.len] = root;
        self.len += 1;
        self.leaves += 1 << level;
        // Adding 2^level carries into the higher bits exactly as many merges as there are
        // now more roots than 1-bits.
        while self.len > self.leaves.count_ones() as usize {
            self.len -= 1;
            let right = self.roots[self.len];
            self.roots[self.len - 1] = parent(&self.roots[self.len - 1], &right);
        }
    }

    /// The root of the whole tree, with `last` (if any) as its final leaf; `None` when the tree
    /// has no leaves. Folds the roots right to left; the stack itself is left as it was.
    pub(crate) fn root_with(&self, last: Option<TreeHash>) -> Option<TreeHash> {
        let roots = &self.roots[..self.len];
        let (mut root, rest) = match last {
            Some(leaf) => (leaf, roots),
            None => roots.split_last().map(|(top, rest)| (*top, rest))?,
        };
        for left in rest.iter().rev() {
            root = parent(left, &root);
        }
        Some(root)
    }
}

/// The tree hash over `hashes` taken as in-order leaves: the archive checksum from the tree
/// hashes of its parts, or of its 1 MiB chunks.
///
/// The precondition for parts: every part is 1 MiB × 2^k bytes for the same k, except the last
/// one, which may be shorter. Then each part's tree is a complete subtree of the archive's tree,
/// and this gives exactly the archive's tree hash, which is what CompleteMultipartUpload's
/// `checksum` must be. With other part sizes it gives a different (wrong) value, and so does
/// every pairing of hashes: Glacier only accepts power-of-two part sizes for this reason.
///
/// An empty slice gives the hash of empty input, SHA-256 of nothing. One hash gives itself.
///
/// ```
/// use glacier_tree_hash::{combine, tree_hash};
///
/// const MIB: usize = 1 << 20;
/// let archive = vec![7u8; 5 * MIB + 100];
/// // Parts of 2 MiB: two full ones and a short last one.
/// let parts: Vec<_> = archive.chunks(2 * MIB).map(tree_hash).collect();
/// assert_eq!(combine(&parts), tree_hash(&archive));
///
/// // 3 MiB is not 1 MiB × 2^k: combining such parts gives a wrong archive hash.
/// let parts: Vec<_> = archive.chunks(3 * MIB).map(tree_hash).collect();
/// assert_ne!(combine(&parts), tree_hash(&archive));
///
/// assert_eq!(combine(&[]), tree_hash(b""));
/// ```
#[must_use]
pub fn combine(hashes: &[TreeHash]) -> TreeHash {
    let mut stack = SubtreeStack::new();
    for hash in hashes {
        stack.push(*hash, 0);
    }
    stack.root_with(None).unwrap_or_else(|| sha256(b""))
}
