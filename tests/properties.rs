//! Property tests against the naive reference: lengths weighted on k MiB - 1, k MiB, k MiB + 1,
//! random update splits, byte-at-a-time input, and the hasher's bookkeeping.

mod support;

use glacier_tree_hash::{Hasher, TreeHash, TreeHasher, tree_hash};
use proptest::prelude::*;
use support::{MIB, feed_in_pieces, reference_tree_hash, splitmix64_bytes};

/// Up to 64 MiB, most of the weight near whole MiB counts, where leaf boundaries fall.
fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => (0usize..=64, -1isize..=1).prop_map(|(k, d)| (k * MIB).saturating_add_signed(d)),
        1 => 0usize..=64 * MIB,
        1 => 0usize..=5000,
    ]
}

/// A length, the seed of its bytes, and sorted split points within it.
fn input_with_splits() -> impl Strategy<Value = (usize, u64, Vec<usize>)> {
    (length(), any::<u64>()).prop_flat_map(|(len, seed)| {
        let points = prop::collection::vec(0..=len, 0..12).prop_map(|mut points| {
            points.sort_unstable();
            points
        });
        (Just(len), Just(seed), points)
    })
}

fn reference(data: &[u8]) -> TreeHash {
    TreeHash::from(reference_tree_hash(data))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_split_gives_the_reference_hash((len, seed, points) in input_with_splits()) {
        let data = splitmix64_bytes(seed, len);
        let expected = reference(&data);
        prop_assert_eq!(tree_hash(&data), expected);

        let mut hasher = TreeHasher::new();
        let mut fed = 0u64;
        feed_in_pieces(&data, &points, |piece| {
            hasher.update(piece);
            fed += piece.len() as u64;
            assert_eq!(hasher.count(), fed);
        });
        prop_assert_eq!(hasher.finalize(), expected);
        prop_assert_eq!(hasher.finalize(), expected, "a second finalize differs");
    }

    /// The first split point ends a serial prefix (mid-leaf, or at any chunk count); the
    /// rest goes to `update_rayon` in several calls.
    #[cfg(feature = "rayon")]
    #[test]
    fn update_rayon_after_any_serial_prefix((len, seed, points) in input_with_splits()) {
        let data = splitmix64_bytes(seed, len);
        let mut hasher = TreeHasher::new();
        let (prefix, calls) = points.split_first().map_or((0, &[][..]), |(p, rest)| (*p, rest));
        hasher.update(&data[..prefix]);
        let relative: Vec<usize> = calls.iter().map(|point| point - prefix).collect();
        feed_in_pieces(&data[prefix..], &relative, |piece| {
            hasher.update_rayon(piece);
        });
        let mut serial = TreeHasher::new();
        serial.update(&data);
        prop_assert_eq!(hasher.finalize(), serial.finalize());
        prop_assert_eq!(hasher.finalize(), reference(&data));
        prop_assert_eq!(hasher.count(), len as u64);
    }

    #[test]
    fn finalize_between_updates_sees_each_prefix((len, seed, points) in input_with_splits()) {
        let data = splitmix64_bytes(seed, len.min(6 * MIB));
        let mut hasher = TreeHasher::new();
        let mut start = 0;
        for &point in points.iter().filter(|&&p| p <= data.len()) {
            hasher.update(&data[start..point]);
            prop_assert_eq!(hasher.finalize(), reference(&data[..point]));
            start = point;
        }
        hasher.update(&data[start..]);
        prop_assert_eq!(hasher.finalize(), reference(&data));
    }

    #[test]
    fn byte_at_a_time_on_short_inputs(len in 0usize..3000, seed in any::<u64>()) {
        let data = splitmix64_bytes(seed, len);
        let mut hasher = TreeHasher::new();
        for byte in &data {
            hasher.update(core::slice::from_ref(byte));
        }
        prop_assert_eq!(hasher.finalize(), reference(&data));
        prop_assert_eq!(hasher.count(), len as u64);
    }

    #[test]
    fn reset_forgets_everything((len, seed, _points) in input_with_splits(), next in 0usize..(3 * MIB)) {
        let data = splitmix64_bytes(seed, len.min(4 * MIB));
        let after = splitmix64_bytes(!seed, next);
        let mut used = TreeHasher::new();
        used.update(&data).reset();
        prop_assert_eq!(used.count(), 0);
        prop_assert_eq!(used.finalize(), reference(b""));
        prop_assert_eq!(used.update(&after).finalize(), reference(&after));
    }

    #[test]
    fn clones_continue_independently(len in 0usize..(3 * MIB), seed in any::<u64>()) {
        let data = splitmix64_bytes(seed, len);
        let mut hasher = TreeHasher::new();
        hasher.update(&data[..len / 2]);
        let mut twin = hasher.clone();
        twin.update(&data[len / 2..]);
        prop_assert_eq!(hasher.finalize(), reference(&data[..len / 2]));
        prop_assert_eq!(twin.finalize(), reference(&data));
    }
}

#[test]
fn byte_at_a_time_across_a_leaf_boundary() {
    let data = splitmix64_bytes(11, MIB + 2);
    let mut hasher = TreeHasher::new();
    for byte in &data {
        hasher.update(core::slice::from_ref(byte));
    }
    assert_eq!(hasher.finalize(), reference(&data));
}
