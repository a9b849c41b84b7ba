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

#[cfg(feature = "alloc")]
extern crate alloc;

// The layout: one job per file, each used only by those listed before it.
//
//   hash          TreeHash, Sha256Hash: 32 bytes, hex in and out
//   tree          parent(), the subtree-root stack, combine(): the only place pairs are hashed
//   leaves        the leaf engine: whole 1 MiB leaves hashed many at a time
//   join          the two schedules, serial and rayon: where serial or parallel is decided
//   update        the Hasher trait: the one dispatch every update_* method comes from, and the
//                 sealed hooks where a hasher differs
//   hasher        TreeHasher: one leaf in progress and the stack (no_std, no allocation)
//   checksums     ChecksumHasher, Checksums: the tree hash and the linear SHA-256 in one pass
//   parts         PartSize, Part, Parts, TooManyParts: the part layout (no allocation)
//   ranges        ByteRange, ContentRange, RangeHeader, range alignment (no allocation)
//   multipart     MultipartHasher, its summary, whole parts hashed side by side (alloc)
//   assemble      ArchiveAssembler and its errors (alloc)
//   read          the read loops for readers: serial, read-ahead, the tree's read-ahead (std)
//   file          a file and a byte range of it: kinds, end checks, positional reads, and the
//                 one path of every file method (std)
//   positional    the positional engine of the tree and multipart file paths: one stop
//                 signal, one buffer pool (std)
//   mmap          a file hashed in place from a memory map: the one unsafe block (mmap)
//   io            calculate_tree_hash and io::Write for TreeHasher (std)
//   passthrough   HashingReader, HashingWriter (std)
//   tokio_support the async read loop and the async functions (tokio)
//   traits        the RustCrypto digest traits (digest)
//   serde_support Serialize and Deserialize for the hashes (serde)
#[cfg(feature = "alloc")]
mod assemble;
mod checksums;
#[cfg(feature = "std")]
mod file;
mod hash;
mod hasher;
#[cfg(feature = "std")]
mod io;
mod join;
mod leaves;
#[cfg(feature = "mmap")]
mod mmap;
#[cfg(feature = "alloc")]
mod multipart;
mod parts;
#[cfg(feature = "std")]
mod passthrough;
#[cfg(feature = "std")]
mod positional;
mod ranges;
#[cfg(feature = "std")]
mod read;
#[cfg(feature = "serde")]
mod serde_support;
#[cfg(feature = "tokio")]
mod tokio_support;
#[cfg(feature = "digest")]
mod traits;
mod tree;
mod update;

#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use assemble::{
    AddPartError, ArchiveAssembler, AssembleError, AssemblyProblem, PartDifference,
};
pub use checksums::{ChecksumHasher, Checksums};
pub use hash::{HexDigits, HexError, Sha256Hash, TreeHash};
pub(crate) use hasher::LEAF;
pub use hasher::{LEAF_SIZE, TreeHasher, tree_hash};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use io::calculate_tree_hash;
pub use leaves::leaf_backend;
#[cfg(feature = "alloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub use multipart::{MultipartHasher, MultipartSummary, PartChecksums};
pub use parts::{Part, PartSize, PartSizeError, Parts, TooManyParts};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use passthrough::{HashingReader, HashingWriter};
pub use ranges::{
    ByteRange, ContentRange, ContentRangeError, RangeHeader, is_mib_aligned, is_tree_hash_aligned,
    tree_hash_aligned_cover,
};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use tokio_support::{calculate_tree_hash_async, checksums_async, multipart_async};
pub use tree::combine;
pub use update::Hasher;

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
