// The crate documentation is README.md, whose examples need `std` and `rayon`; without them,
// a summary.
#![cfg_attr(all(feature = "std", feature = "rayon"), doc = include_str!("../README.md"))]
#![cfg_attr(
    not(all(feature = "std", feature = "rayon")),
    doc = "The Amazon S3 Glacier SHA-256 tree hash: see README.md, or the documentation built \
           with the default features."
)]
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// No `unsafe` but the one memory map of feature `mmap` (src/mmap.rs).
#![cfg_attr(not(feature = "mmap"), forbid(unsafe_code))]
#![cfg_attr(feature = "mmap", deny(unsafe_code))]
#![warn(missing_docs)]

mod checksums;
mod hash;
mod hasher;
#[cfg(feature = "std")]
mod io;
mod join;
mod leaves;
#[cfg(feature = "mmap")]
mod mmap;
#[cfg(feature = "std")]
mod multipart;
mod parts;
#[cfg(feature = "std")]
mod passthrough;
#[cfg(feature = "std")]
mod read;
#[cfg(feature = "serde")]
mod serde_support;
#[cfg(feature = "tokio")]
mod tokio_support;
#[cfg(feature = "digest")]
mod traits;
mod tree;

pub use checksums::{ChecksumHasher, Checksums};
pub use hash::{HexDigits, HexError, Sha256Hash, TreeHash};
pub use hasher::{CHUNK_SIZE, TreeHasher, tree_hash};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use io::{calculate_tree_hash, tree_hash_file};
pub use leaves::leaf_backend;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use multipart::{
    AddPartError, ArchiveAssembler, AssembleError, AssemblyProblem, MultipartHasher,
    MultipartSummary, PartChecksums, PartDifference,
};
pub use parts::{
    ContentRange, ContentRangeError, Part, PartSize, PartSizeError, Parts, TooManyParts,
    content_range, is_megabyte_aligned, is_tree_hash_aligned, tree_hash_aligned_cover,
};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use passthrough::{HashingReader, HashingWriter};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tokio_support::{calculate_tree_hash_async, checksums_async, multipart_async};
pub use tree::combine;

/// The `digest` crate that [`TreeHasher`]'s trait impls are for (feature `digest`).
#[cfg(feature = "digest")]
#[cfg_attr(docsrs, doc(cfg(feature = "digest")))]
pub use sha2::digest;

/// Internals for the crate's own property tests and fuzz targets; not part of the API.
#[doc(hidden)]
pub mod __internal {
    pub use crate::hasher::SmallLeafTreeHasher;
    #[cfg(feature = "rayon")]
    pub use crate::read::{read_ahead_blocks, read_ahead_buffer_size, tree_block_size};
}
