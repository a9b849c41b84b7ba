//! The subtree stack on sequences of leaf hashes, through `combine`: cheap enough to cover
//! every tree shape up to 1,000 leaves and random ones up to 100,000.

mod support;

use glacier_tree_hash::{TreeHash, combine};
use support::{SplitMix64, reference_reduce, sha256};

fn leaves(count: usize, seed: u64) -> Vec<[u8; 32]> {
    (0..count as u64)
        .map(|i| sha256(&[seed.to_le_bytes(), i.to_le_bytes()].concat()))
        .collect()
}

fn check(count: usize, seed: u64) {
    let raw = leaves(count, seed);
    let hashes: Vec<TreeHash> = raw.iter().copied().map(TreeHash::from).collect();
    assert_eq!(
        combine(&hashes),
        TreeHash::from(reference_reduce(raw)),
        "{count} leaves"
    );
}

#[test]
fn every_leaf_count_up_to_1000() {
    for count in 0..=1000 {
        check(count, count as u64);
    }
}

#[test]
fn random_leaf_counts_up_to_100_000() {
    let mut rng = SplitMix64(2026);
    for round in 0..12 {
        check(1 + rng.below(100_000) as usize, round);
    }
    for count in [65_535, 65_536, 65_537, 99_999, 100_000] {
        check(count, 99);
    }
}

#[test]
fn combine_of_one_hash_is_that_hash_and_of_none_is_the_empty_hash() {
    let one = TreeHash::from(sha256(b"leaf"));
    assert_eq!(combine(&[one]), one);
    assert_eq!(combine(&[]), TreeHash::from(sha256(b"")));
}
