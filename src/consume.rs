//! [`Consume`]: the fastest update the enabled features allow, so that entry points do not each
//! choose between `update` and `update_rayon`.

/// A hasher fed blocks of input in order.
pub(crate) trait Consume: Send {
    /// `update_rayon` with feature `rayon`, `update` without.
    fn consume(&mut self, block: &[u8]);
}

macro_rules! consume_by_features {
    ($($hasher:ty),*) => {$(
        impl Consume for $hasher {
            fn consume(&mut self, block: &[u8]) {
                #[cfg(feature = "rayon")]
                self.update_rayon(block);
                #[cfg(not(feature = "rayon"))]
                self.update(block);
            }
        }
    )*};
}

consume_by_features!(crate::TreeHasher, crate::ChecksumHasher);
#[cfg(feature = "std")]
consume_by_features!(crate::MultipartHasher);

/// Feeds everything `reader` yields to `hasher`: through the read-ahead pipeline with feature
/// `rayon` (two buffers of `read_ahead_buffer_size()`), through a 64 KiB stack buffer without.
#[cfg(feature = "std")]
pub(crate) fn consume_reader(
    reader: impl std::io::Read,
    hasher: &mut impl Consume,
) -> std::io::Result<()> {
    #[cfg(feature = "rayon")]
    return crate::io::read_ahead(reader, crate::io::read_ahead_buffer_size(), &mut |block| {
        hasher.consume(block)
    });
    #[cfg(not(feature = "rayon"))]
    return crate::io::stream(&mut { reader }, u64::MAX, &mut |block| {
        hasher.consume(block)
    })
    .map(drop);
}
