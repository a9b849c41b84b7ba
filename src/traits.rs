//! The RustCrypto `digest` traits for [`TreeHasher`] (feature `digest`), from the `digest`
//! version that `sha2` uses, re-exported as [`crate::digest`].
//!
//! `HashMarker`, and so `Digest`, is deliberately not implemented. `Digest` is what generic code
//! takes to mean "a cryptographic hash of arbitrary data" (HMAC, signatures, content addresses),
//! and the tree hash is not one: there is no domain separation between leaves and parents, so
//! 2 MiB of data and the 64 bytes of its two leaf hashes have the same tree hash (a second
//! preimage anyone can compute; see the crate docs). What remains lets generic code feed bytes
//! and read 32 bytes back (`Update`, `FixedOutput`, `FixedOutputReset`, `Reset`,
//! `OutputSizeUser`, and through them `DynDigest`), without the claim.

use crate::{Hasher, TreeHasher};
use sha2::digest::consts::U32;
use sha2::digest::{FixedOutput, FixedOutputReset, Output, OutputSizeUser, Reset, Update};

impl OutputSizeUser for TreeHasher {
    type OutputSize = U32;
}

impl Update for TreeHasher {
    fn update(&mut self, data: &[u8]) {
        Hasher::update(self, data);
    }
}

impl FixedOutput for TreeHasher {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(Hasher::finalize(&self).as_bytes());
    }
}

impl Reset for TreeHasher {
    fn reset(&mut self) {
        TreeHasher::reset(self);
    }
}

impl FixedOutputReset for TreeHasher {
    fn finalize_into_reset(&mut self, out: &mut Output<Self>) {
        out.copy_from_slice(Hasher::finalize(self).as_bytes());
        TreeHasher::reset(self);
    }
}

#[cfg(test)]
mod tests {
    use crate::{TreeHasher, tree_hash};
    use sha2::digest::{DynDigest, FixedOutput, FixedOutputReset, Update};

    /// Generic code over the traits this feature gives.
    fn generic<D: Update + FixedOutput + Default>(pieces: &[&[u8]]) -> Vec<u8> {
        let mut hasher = D::default();
        for piece in pieces {
            hasher.update(piece);
        }
        hasher.finalize_fixed().to_vec()
    }

    #[test]
    fn works_where_update_and_fixed_output_are_expected() {
        let data = vec![0xa5u8; (2 << 20) + 17];
        let (left, right) = data.split_at(1_500_000);
        assert_eq!(
            generic::<TreeHasher>(&[left, right]),
            tree_hash(&data).as_bytes()
        );
        let mut dynamic: Box<dyn DynDigest> = Box::new(TreeHasher::new());
        dynamic.update(&data);
        let mut out = [0u8; 32];
        dynamic.finalize_into_reset(&mut out).unwrap();
        assert_eq!(&out, tree_hash(&data).as_bytes());
    }

    #[test]
    fn finalize_reset_resets() {
        let mut hasher = TreeHasher::new();
        Update::update(&mut hasher, b"first");
        let first = hasher.finalize_fixed_reset();
        assert_eq!(first.as_slice(), tree_hash(b"first").as_bytes());
        Update::update(&mut hasher, b"second");
        assert_eq!(
            hasher.finalize_fixed().as_slice(),
            tree_hash(b"second").as_bytes()
        );
    }
}
