//! The leaf engine: whole leaves hashed many at a time.
//!
//! One SHA-256 stream is bound by the latency of its rounds, not by what a core can do, and the
//! tree hash's leaves are independent messages. With feature `multi-buffer` (default), groups
//! of at least `MIN_BATCH` (4) whole leaves go to `tape_sha256::hash_many`, which runs them in
//! lockstep, one per SIMD lane or interleaved SHA-NI stream, with a kernel it picks at run time
//! for the running CPU. Everything else (fewer leaves, the short last leaf, every parent node,
//! and the whole crate without the feature or without `std`) is hashed with `sha2`.
//!
//! Invariants:
//! - The digests are SHA-256 of each leaf, whatever the engine: `hash_leaves` writes exactly
//!   `out.len()` digests, the `i`-th of bytes `i * leaf .. (i + 1) * leaf` of its input.
//! - `tape_sha256::hash_many` is always called with an output slice exactly as long as its
//!   message list (a longer one is not safe to pass to every kernel of 0.2.2), and with at most
//!   [`MAX_LANES`] messages, staged on the stack: no allocation.
//! - [`batch`] is a power of two in `1..=MAX_LANES`: 1 means "one leaf at a time with `sha2`".
//!   The tree machinery in `hasher.rs` stops its subtree recursion at `batch()` leaves, so a
//!   task hands whole batches to this module.
//! - Only tape-sha256's default run-time dispatch is used. Its `avx2` and `avx512` cargo
//!   features pin a kernel without checking the CPU, which makes its safe API unsound; this
//!   crate never enables them and CI fails if anything in the build does.
//!
//! Why `tape-sha256` (0.2.2, pinned with `=`): it keeps `#![forbid(unsafe_code)]` here (its
//! unsafe code is in its kernels, each behind a CPU-feature probe cached in a `OnceLock`), it
//! has no dependencies, and on an AVX-512 Xeon it hashed 1 MiB leaves at about 2.9× one `sha2`
//! stream. Its portable kernels are not faster than `sha2`, so when it would fall back to them
//! this crate uses `sha2` and reports `"sha2"` from [`leaf_backend`].

use crate::TreeHash;

/// The most leaves hashed in one call of the engine, and the largest batch: 32 covers every
/// kernel of tape-sha256 0.2.2 (AVX-512 2 × 16 lanes is the widest). 1 KiB of digests on the
/// stack.
pub(crate) const MAX_LANES: usize = 32;

/// Below this many leaves in one call `sha2` is used: with fewer messages than SHA-NI's four
/// interleaved streams, `hash_many` is no faster than one `sha2` stream (measured in
/// `benches/throughput.rs`, group `leaf_batch`).
#[cfg(feature = "multi-buffer")]
pub(crate) const MIN_BATCH: usize = 4;

/// The number of whole leaves a task should hand to [`hash_leaves`] at once: the lane width of
/// the multi-buffer kernel in use (rounded down to a power of two, at most [`MAX_LANES`]), or 1
/// when leaves are hashed with `sha2`.
pub(crate) fn batch() -> usize {
    #[cfg(feature = "multi-buffer")]
    if multi_buffer() {
        let lanes = tape_sha256::lane_width().clamp(1, MAX_LANES);
        return 1 << lanes.ilog2();
    }
    1
}

/// Whether tape-sha256 picked a kernel worth using: a SIMD or SHA-extension one, not portable.
#[cfg(feature = "multi-buffer")]
fn multi_buffer() -> bool {
    !tape_sha256::backend().starts_with("portable")
}

/// SHA-256 of each of the `out.len()` consecutive leaves of `leaf` bytes in `data` into `out`.
///
/// `data.len()` must be `out.len() * leaf`.
pub(crate) fn hash_leaves(data: &[u8], leaf: usize, out: &mut [TreeHash]) {
    debug_assert_eq!(Some(data.len()), out.len().checked_mul(leaf));
    #[cfg(feature = "multi-buffer")]
    if out.len() >= MIN_BATCH && multi_buffer() {
        for (group, digests) in data.chunks(MAX_LANES * leaf).zip(out.chunks_mut(MAX_LANES)) {
            hash_group(group, leaf, digests);
        }
        return;
    }
    for (bytes, digest) in data.chunks_exact(leaf).zip(out.iter_mut()) {
        *digest = crate::tree::sha256(bytes);
    }
}

/// At most [`MAX_LANES`] leaves: through `hash_many` when there are enough, else `sha2`.
#[cfg(feature = "multi-buffer")]
fn hash_group(data: &[u8], leaf: usize, out: &mut [TreeHash]) {
    let count = out.len();
    if count < MIN_BATCH {
        for (bytes, digest) in data.chunks_exact(leaf).zip(out.iter_mut()) {
            *digest = crate::tree::sha256(bytes);
        }
        return;
    }
    let mut messages: [&[u8]; MAX_LANES] = [&[]; MAX_LANES];
    for (message, bytes) in messages.iter_mut().zip(data.chunks_exact(leaf)) {
        *message = bytes;
    }
    let mut digests = [[0u8; 32]; MAX_LANES];
    // Exactly as many outputs as messages: see the module's invariants.
    tape_sha256::hash_many(&messages[..count], &mut digests[..count]);
    for (digest, bytes) in out.iter_mut().zip(&digests[..count]) {
        *digest = TreeHash::from(*bytes);
    }
}

/// The name of the engine that hashes whole 1 MiB leaves in this process, for bug reports and
/// `--version` lines.
///
/// With feature `multi-buffer` (default) on a CPU where `tape-sha256` has a SIMD or SHA-extension
/// kernel, that kernel's name: `avx512-16`, `avx512-2x16`, `shani-x4`, `avx2-8` on x86-64,
/// `neon-sha2-x4`, `neon-4` on AArch64, `simd128-4` on WebAssembly. Otherwise (feature off,
/// `no_std`, or no such kernel) `"sha2"`: one leaf at a time with the `sha2` crate. The short
/// last leaf and the parent nodes are always hashed with `sha2`, and so are groups of fewer
/// than four whole leaves.
///
/// ```
/// let backend = glacier_tree_hash::leaf_backend();
/// assert!(!backend.is_empty());
/// # #[cfg(not(feature = "multi-buffer"))]
/// # assert_eq!(backend, "sha2");
/// println!("leaf engine: {backend}");
/// ```
#[must_use]
pub fn leaf_backend() -> &'static str {
    #[cfg(feature = "multi-buffer")]
    if multi_buffer() {
        return tape_sha256::backend();
    }
    "sha2"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::sha256;

    #[test]
    fn batch_is_a_power_of_two_that_fits() {
        let batch = batch();
        assert!(batch.is_power_of_two() && batch <= MAX_LANES, "{batch}");
        #[cfg(not(feature = "multi-buffer"))]
        assert_eq!(batch, 1);
    }

    /// Every count of leaves up to three full groups, leaves of odd and block-edge sizes:
    /// exactly SHA-256 of each leaf, nothing written past `out`.
    #[test]
    fn hash_leaves_is_sha256_of_each_leaf() {
        for leaf in [1, 3, 55, 56, 64, 65, 1000] {
            let data: Vec<u8> = (0..(3 * MAX_LANES + 1) * leaf)
                .map(|i| (i * 7 + i / 251) as u8)
                .collect();
            for count in 0..=3 * MAX_LANES {
                let mut out = vec![TreeHash::ZERO; count + 1];
                hash_leaves(&data[..count * leaf], leaf, &mut out[..count]);
                for (i, digest) in out[..count].iter().enumerate() {
                    assert_eq!(
                        *digest,
                        sha256(&data[i * leaf..(i + 1) * leaf]),
                        "leaf {leaf}, {count} leaves, #{i}"
                    );
                }
                assert_eq!(out[count], TreeHash::ZERO, "wrote past the end");
            }
        }
    }

    #[test]
    fn one_mib_leaves_in_a_partial_batch() {
        let leaf = crate::LEAF;
        let data: Vec<u8> = (0..5 * leaf).map(|i| (i % 253) as u8).collect();
        let mut out = [TreeHash::ZERO; 5];
        hash_leaves(&data, leaf, &mut out);
        for (i, digest) in out.iter().enumerate() {
            assert_eq!(*digest, sha256(&data[i * leaf..(i + 1) * leaf]));
        }
    }

    #[test]
    fn backend_names_the_engine() {
        let name = leaf_backend();
        #[cfg(feature = "multi-buffer")]
        assert_eq!(name == "sha2", batch() == 1, "{name}");
        #[cfg(not(feature = "multi-buffer"))]
        assert_eq!(name, "sha2");
    }
}
