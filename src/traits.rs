//! The RustCrypto `digest` traits for [`TreeHasher`] (feature `digest`), from the `digest`
//! version that `sha2` uses, re-exported as [`crate::digest`].

use crate::TreeHasher;
use sha2::digest::consts::U32;
use sha2::digest::{
    FixedOutput, FixedOutputReset, HashMarker, Output, OutputSizeUser, Reset, Update,
};

impl OutputSizeUser for TreeHasher {
    type OutputSize = U32;
}

impl Update for TreeHasher {
    fn update(&mut self, data: &[u8]) {
        TreeHasher::update(self, data);
    }
}

impl FixedOutput for TreeHasher {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(TreeHasher::finalize(&self).as_bytes());
    }
}

impl Reset for TreeHasher {
    fn reset(&mut self) {
        TreeHasher::reset(self);
    }
}

impl FixedOutputReset for TreeHasher {
    fn finalize_into_reset(&mut self, out: &mut Output<Self>) {
        out.copy_from_slice(TreeHasher::finalize(self).as_bytes());
        TreeHasher::reset(self);
    }
}

/// A marker that the tree hash is a hash function. It is one only for Glacier's purposes: see
/// the crate's `digest` feature notes.
impl HashMarker for TreeHasher {}

#[cfg(test)]
mod tests {
    use crate::{tree_hash, TreeHasher};
    use sha2::digest::Digest;

    fn generic_digest<D: Digest>(pieces: &[&[u8]]) -> Vec<u8> {
        let mut hasher = D::new();
        for piece in pieces {
            Digest::update(&mut hasher, piece);
        }
        hasher.finalize().to_vec()
    }

    #[test]
    fn works_where_a_digest_is_expected() {
        let data = vec![0xa5u8; (2 << 20) + 17];
        let (left, right) = data.split_at(1_500_000);
        assert_eq!(
            generic_digest::<TreeHasher>(&[left, right]),
            tree_hash(&data).as_bytes()
        );
        assert_eq!(<TreeHasher as Digest>::output_size(), 32);
    }

    #[test]
    fn finalize_reset_resets() {
        let mut hasher = <TreeHasher as Digest>::new();
        Digest::update(&mut hasher, b"first");
        let first = Digest::finalize_reset(&mut hasher);
        assert_eq!(first.as_slice(), tree_hash(b"first").as_bytes());
        Digest::update(&mut hasher, b"second");
        assert_eq!(
            Digest::finalize(hasher).as_slice(),
            tree_hash(b"second").as_bytes()
        );
    }
}
