//! The naive reference: the shape of botocore's `calculate_tree_hash`. Hash every 1 MiB chunk
//! into a list, then pair the list level by level, promoting an odd last hash, until one is
//! left. O(n) memory and nothing clever, so tests, benches and fuzz targets can trust it.

use sha2::{Digest, Sha256};

/// The leaf size.
pub const MIB: usize = 1 << 20;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The tree hash of `data`; SHA-256 of nothing for empty input.
pub fn reference_tree_hash(data: &[u8]) -> [u8; 32] {
    reference_tree_hash_with_leaf(data, MIB)
}

/// The same tree over leaves of `leaf` bytes instead of 1 MiB (for the crate's small-leaf
/// test hasher).
pub fn reference_tree_hash_with_leaf(data: &[u8], leaf: usize) -> [u8; 32] {
    if data.is_empty() {
        return sha256(b"");
    }
    reference_reduce(data.chunks(leaf).map(sha256).collect())
}

/// Pairs `level` level by level until one hash is left; an empty list gives SHA-256 of nothing.
pub fn reference_reduce(mut level: Vec<[u8; 32]>) -> [u8; 32] {
    if level.is_empty() {
        return sha256(b"");
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => sha256(&[left.as_slice(), right.as_slice()].concat()),
                [odd] => *odd,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}
