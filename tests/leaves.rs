//! The leaf engine's batch path against the naive reference: random lengths and update splits
//! through `update` and `update_rayon`, with leaves of a few bytes (every tree shape, batch edge
//! and partial lane up to hundreds of leaves, fast) and of 1 MiB around the engine's lane widths,
//! and the positional file path.

#![cfg_attr(not(feature = "rayon"), allow(unused_imports, dead_code))]

mod support;

use glacier_tree_hash::__internal::SmallLeafTreeHasher;
use glacier_tree_hash::{Hasher, TreeHash, TreeHasher, leaf_backend, tree_hash};
use proptest::prelude::*;
use support::reference_tree_hash_with_leaf;
use support::{MIB, feed_in_pieces, reference_tree_hash, splitmix64_bytes};

/// A length in leaves (up to 300, weighted on multiples of 4, 8, 16 and 32 leaves ± 1) times
/// `leaf`, plus a partial leaf, the seed of its bytes, and sorted split points.
fn small_input(leaf: usize) -> impl Strategy<Value = (usize, u64, Vec<usize>)> {
    let leaves = prop_oneof![
        2 => (0usize..=10, prop::sample::select(vec![4usize, 8, 16, 32]), -1isize..=1)
            .prop_map(|(k, width, d)| (k * width).saturating_add_signed(d)),
        1 => 0usize..=300,
    ];
    (leaves, 0..leaf, any::<u64>()).prop_flat_map(move |(leaves, partial, seed)| {
        let len = leaves * leaf + partial;
        let points = prop::collection::vec(0..=len, 0..10).prop_map(|mut points| {
            points.sort_unstable();
            points
        });
        (Just(len), Just(seed), points)
    })
}

/// Serial, parallel and alternating updates of a small-leaf hasher against the reference.
fn check_small<const LEAF: usize>(len: usize, seed: u64, points: &[usize]) {
    let data = splitmix64_bytes(seed, len);
    let expected = TreeHash::from(reference_tree_hash_with_leaf(&data, LEAF));
    let mut serial = SmallLeafTreeHasher::<LEAF>::new();
    feed_in_pieces(&data, points, |piece| {
        serial.update(piece);
    });
    assert_eq!(
        serial.finalize(),
        expected,
        "update, {len} bytes at {points:?}"
    );
    for threads in [2, 3, 8] {
        let mut tasks = SmallLeafTreeHasher::<LEAF>::new();
        feed_in_pieces(&data, points, |piece| {
            tasks.update_as_on_threads(piece, threads);
        });
        assert_eq!(
            tasks.finalize(),
            expected,
            "tasks for {threads} threads at {points:?}"
        );
    }
    #[cfg(feature = "rayon")]
    {
        let mut mixed = SmallLeafTreeHasher::<LEAF>::new();
        let mut parallel = SmallLeafTreeHasher::<LEAF>::new();
        let mut i = 0;
        feed_in_pieces(&data, points, |piece| {
            parallel.update_rayon(piece);
            if i % 2 == 0 {
                mixed.update(piece);
            } else {
                mixed.update_rayon(piece);
            }
            i += 1;
        });
        assert_eq!(parallel.finalize(), expected, "update_rayon at {points:?}");
        assert_eq!(mixed.finalize(), expected, "alternating at {points:?}");
    }
    assert_eq!(serial.count(), len as u64);
    assert_eq!(
        SmallLeafTreeHasher::<LEAF>::new().update(&data).finalize(),
        expected,
        "one call, {len} bytes"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn one_byte_leaves((len, seed, points) in small_input(1)) {
        check_small::<1>(len, seed, &points);
    }

    #[test]
    fn leaves_of_seven_bytes((len, seed, points) in small_input(7)) {
        check_small::<7>(len, seed, &points);
    }

    /// 55, 56 and 64 bytes are SHA-256's padding edges: one block or two per leaf.
    #[test]
    fn leaves_at_padding_edges((len, seed, points) in small_input(64)) {
        check_small::<55>(len.min(300 * 55), seed, &[]);
        check_small::<56>(len.min(300 * 56), seed, &[]);
        check_small::<64>(len, seed, &points);
    }
}

/// Whole MiB counts around every lane width, ± 1 byte, up to 40 MiB.
fn mib_length() -> impl Strategy<Value = usize> {
    (0usize..=40, -1isize..=1).prop_map(|(k, d)| (k * MIB).saturating_add_signed(d))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// 1 MiB leaves: one call (a whole batch path), a serial prefix that leaves the batch path
    /// at an odd leaf count, and `update_rayon`.
    #[test]
    #[cfg(feature = "rayon")]
    fn mib_leaves_through_the_batch_path(len in mib_length(), seed in any::<u64>(), cut in 0usize..=20) {
        let data = splitmix64_bytes(seed, len);
        let expected = TreeHash::from(reference_tree_hash(&data));
        prop_assert_eq!(TreeHasher::new().update(&data).finalize(), expected);
        prop_assert_eq!(TreeHasher::new().update_rayon(&data).finalize(), expected);
        let cut = (cut * MIB).min(len);
        let mut hasher = TreeHasher::new();
        hasher.update(&data[..cut]).update(&data[cut..]);
        prop_assert_eq!(hasher.finalize(), expected);
        let mut hasher = TreeHasher::new();
        hasher.update(&data[..cut]).update_rayon(&data[cut..]);
        prop_assert_eq!(hasher.finalize(), expected);
    }
}

#[cfg(feature = "std")]
/// The positional file path (`update_file` on a regular file) reads batches of chunks: every
/// chunk count from 0 to 35, with and without a partial last chunk.
#[test]
fn files_of_every_chunk_count_around_the_batches() {
    let data = splitmix64_bytes(13, 35 * MIB + 1);
    for chunks in 0..=35 {
        for extra in [0, 1] {
            let bytes = &data[..chunks * MIB + extra];
            let file = support::TempFile::new(&format!("leaves-{chunks}-{extra}"), bytes);
            let expected = TreeHash::from(reference_tree_hash(bytes));
            assert_eq!(
                support::tree_hash_path(file.path()).unwrap(),
                expected,
                "{chunks} chunks + {extra}"
            );
        }
    }
}

#[cfg(feature = "rayon")]
/// The same results in a pool of one thread (tasks of a whole batch) and of three (tasks cut
/// to give each thread work).
#[test]
fn pools_of_any_size_agree() {
    let data = splitmix64_bytes(17, 37 * MIB + 5);
    let expected = TreeHash::from(reference_tree_hash(&data));
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            for start in [0, 1, 3, 5 * MIB + 7] {
                let mut hasher = TreeHasher::new();
                hasher.update(&data[..start]).update_rayon(&data[start..]);
                assert_eq!(
                    hasher.finalize(),
                    expected,
                    "{threads} threads, from {start}"
                );
            }
            let file = support::TempFile::new(&format!("pool-{threads}"), &data);
            assert_eq!(support::tree_hash_path(file.path()).unwrap(), expected);
        });
    }
    assert_eq!(tree_hash(&data), expected);
}

#[test]
fn the_backend_has_a_name() {
    assert!(!leaf_backend().is_empty());
}
