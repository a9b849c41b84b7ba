//! `combine` over any sequence of hashes against the naive level-by-level reduction.
#![no_main]

use glacier_tree_hash_reference as reference;

use glacier_tree_hash::{combine, TreeHash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // Each input byte seeds one leaf; the first two bytes (if any) repeat the list to reach
    // leaf counts in the thousands.
    let repeat = match bytes {
        [a, b, ..] => 1 + usize::from(u16::from_le_bytes([*a, *b]) % 64),
        _ => 1,
    };
    let leaves: Vec<[u8; 32]> = (0..repeat)
        .flat_map(|round| {
            bytes
                .iter()
                .map(move |b| reference::sha256(&[*b, round as u8]))
        })
        .collect();
    let hashes: Vec<TreeHash> = leaves.iter().copied().map(TreeHash::from).collect();
    assert_eq!(
        combine(&hashes),
        TreeHash::from(reference::reference_reduce(leaves))
    );
});
