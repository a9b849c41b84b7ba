//! The leaf engine's batch path with leaves of a few bytes, against the naive reference: the
//! input picks a leaf size, a leaf count (mostly up to 70, sometimes up to 300: every batch
//! edge and partial lane of 4-, 8-, 16- and 32-lane kernels), a partial last leaf, the seed of
//! the bytes, split points, and for each piece `update`, `update` with the task sizes of a pool
//! of 1 to 4 threads, or (one input in 16) `update_rayon`. About 2,000 executions a second
//! on one core of the development machine (most of it SHA-256 of leaves and parents under the
//! sanitizers), where 1 MiB leaves manage a few.
#![no_main]

use glacier_tree_hash_reference as reference;

use glacier_tree_hash::__internal::SmallLeafTreeHasher;
use glacier_tree_hash::TreeHash;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use reference::reference_tree_hash_with_leaf;

fn run<const LEAF: usize>(u: &mut Unstructured) -> Result<()> {
    let leaves: usize = if u.ratio(1, 8)? {
        u.int_in_range(71..=300)?
    } else {
        u.int_in_range(0..=70)?
    };
    let partial: usize = u.int_in_range(0..=LEAF - 1)?;
    let len = leaves * LEAF + partial;
    let data = reference::splitmix64_bytes(u.arbitrary()?, len);
    let expected = TreeHash::from(reference_tree_hash_with_leaf(&data, LEAF));

    // Split points, each piece fed serially or in parallel as the input says.
    let mut cuts: Vec<usize> = (0..u.int_in_range(0..=8)?)
        .map(|_| u.int_in_range(0..=len))
        .collect::<Result<_>>()?;
    cuts.sort_unstable();
    cuts.push(len);
    // Mostly on the calling thread with tasks cut as for 1 to 4 threads (a pool's task sizes
    // without its cross-thread wake-ups, which cost far more than these inputs); one input in
    // 16 also goes through the real `update_rayon`.
    let real_pool = u.ratio(1, 16)?;
    let mut hasher = SmallLeafTreeHasher::<LEAF>::new();
    let mut start = 0;
    for &end in &cuts {
        let piece = &data[start..end];
        match u.int_in_range(0..=4u8)? {
            0 => hasher.update(piece),
            _ if real_pool => hasher.update_rayon(piece),
            threads => hasher.update_as_on_threads(piece, threads.into()),
        };
        start = end;
    }
    assert_eq!(
        hasher.finalize(),
        expected,
        "{LEAF}-byte leaves, {len} bytes, cuts {cuts:?}"
    );
    assert_eq!(hasher.count(), len as u64);

    // The whole input in one call: the longest runs of batches.
    let whole = SmallLeafTreeHasher::<LEAF>::new().update(&data).finalize();
    assert_eq!(
        whole, expected,
        "{LEAF}-byte leaves, {len} bytes in one call"
    );
    Ok(())
}

fuzz_target!(|bytes: &[u8]| {
    let mut u = Unstructured::new(bytes);
    let _ = match u.int_in_range(0..=5u8) {
        Ok(0) => run::<1>(&mut u),
        Ok(1) => run::<2>(&mut u),
        Ok(2) => run::<7>(&mut u),
        Ok(3) => run::<55>(&mut u),
        Ok(4) => run::<64>(&mut u),
        _ => run::<65>(&mut u),
    };
});
