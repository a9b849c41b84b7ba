//! Arbitrary ranges and archive sizes anywhere in u64, checked against the definitions.
#![no_main]

use glacier_tree_hash::{is_mib_aligned, is_tree_hash_aligned, tree_hash_aligned_cover};
use libfuzzer_sys::fuzz_target;

const MIB: u128 = 1 << 20;

/// `start` a multiple of 2^j MiB and `end == min(start + 2^j MiB, size)`, for some j, in u128.
fn aligned(start: u64, end: u64, size: u64) -> bool {
    let (start, end, size) = (u128::from(start), u128::from(end), u128::from(size));
    start < end
        && end <= size
        && (0..=44).any(|j| {
            let block = MIB << j;
            start % block == 0 && end == (start + block).min(size)
        })
}

fuzz_target!(|input: (u64, u64, u64, u8)| {
    let (a, b, size, shape) = input;
    // Some inputs snapped to MiB boundaries, where aligned ranges live.
    let snap = |x: u64| if shape & 1 == 1 { x - x % (1 << 20) } else { x };
    let size = if shape & 4 == 4 {
        size % (1 << 34)
    } else {
        size
    };
    let (start, end) = (
        snap(a.min(b)),
        if shape & 2 == 2 { size } else { snap(a.max(b)) },
    );
    let range = start..end;
    assert_eq!(
        is_tree_hash_aligned(range.clone(), size),
        aligned(start, end, size)
    );
    assert_eq!(
        is_mib_aligned(range.clone(), size),
        start < end
            && end <= size
            && start % (1 << 20) == 0
            && (end % (1 << 20) == 0 || end == size)
    );
    match tree_hash_aligned_cover(range.clone(), size) {
        None => assert!(start >= end || end > size),
        Some(cover) => {
            assert!(aligned(cover.start, cover.end, size), "{cover:?}");
            assert!(cover.start <= start && end <= cover.end);
            // Minimal: the block one size down that starts at or before `start` does not
            // hold the range.
            let length = u128::from(cover.end - cover.start);
            if length > MIB {
                let block = (length - 1).next_power_of_two() / 2;
                let below = u128::from(start) - u128::from(start) % block;
                assert!(
                    below + block < u128::from(end),
                    "{range:?} fits in a smaller node"
                );
            }
        }
    }
});
