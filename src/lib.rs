//! The Amazon S3 Glacier SHA-256 tree hash, exact on every input, in bounded memory, on all
//! cores.
//!
//! Glacier asks for a tree hash with every upload: SHA-256 of each 1 MiB chunk, then of each
//! pair of hashes, level by level, an odd last hash promoted unchanged, up to one root.
//!
//! # Which function for which operation
//!
//! | Glacier operation | what it needs | this crate |
//! |---|---|---|
//! | UploadArchive | `x-amz-sha256-tree-hash` and `x-amz-content-sha256` of the body | [`Checksums::of`], [`Checksums::from_reader`], or just the tree hash: [`tree_hash`], [`tree_hash_file`], [`calculate_tree_hash`], [`TreeHasher`] |
//! | InitiateMultipartUpload | a part size, 1 MiB × 2^k | [`PartSize`], [`PartSize::for_archive`] |
//! | UploadMultipartPart | `Content-Range` and both checksums of each part | [`MultipartHasher`]: every part from one read of the archive |
//! | CompleteMultipartUpload | `x-amz-archive-size` and the archive's tree hash | [`MultipartSummary`], or [`ArchiveAssembler`] / [`combine`] from part hashes, no second read |
//! | ListParts (when Complete refuses) | which part is wrong | [`ArchiveAssembler::differences`] |
//! | range retrievals | a tree-hash-aligned range, to get a checksum back | [`tree_hash_aligned_cover`], [`is_tree_hash_aligned`] |
//!
//! Streams pass through [`HashingReader`] and [`HashingWriter`] with both checksums computed on
//! the way; async readers go to [`calculate_tree_hash_async`] and friends (feature `tokio`).
//!
//! ```
//! use glacier_tree_hash::{combine, tree_hash, TreeHasher};
//!
//! let archive = vec![0u8; 5_767_168]; // 5.5 MiB of zeros, a published vector
//! let hash = tree_hash(&archive);
//! assert_eq!(hash.to_string(), "a3a82dbe3644dd6046be472f2e3ec1f8ef47f8f3adb86d0de4de7a254f255455");
//!
//! // Incrementally, in pieces of any size, or from any reader:
//! assert_eq!(TreeHasher::new().update(&archive[..10]).update(&archive[10..]).finalize(), hash);
//! # #[cfg(feature = "std")]
//! assert_eq!(glacier_tree_hash::calculate_tree_hash(&archive[..])?, hash);
//!
//! // From the hashes of 4 MiB parts (1 MiB × 2^k, all full but the last):
//! let parts: Vec<_> = archive.chunks(4 << 20).map(tree_hash).collect();
//! assert_eq!(combine(&parts), hash);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Empty input hashes to SHA-256 of nothing (`e3b0c442…b855`), as Glacier and the AWS SDKs
//! agree. Readers are chunked on byte offsets, so short reads from pipes and sockets give the
//! right hash; `Interrupted` is retried and every other error is returned, never a hash.
//!
//! # Features
//! - `std` (default): readers, files and writers ([`calculate_tree_hash`], [`tree_hash_file`],
//!   [`TreeHasher::update_reader`], `io::Write`), multipart hashing and assembly, the hashing
//!   reader and writer. Without it the crate is `#![no_std]`, needs no allocator, and keeps
//!   [`TreeHash`], [`Sha256Hash`], [`tree_hash`], [`TreeHasher`], [`combine`], [`Checksums`],
//!   [`PartSize`] and the range functions.
//! - `rayon` (default): [`TreeHasher::update_rayon`], hashing on all cores; [`tree_hash`],
//!   [`calculate_tree_hash`], [`tree_hash_file`], [`Checksums`] and [`MultipartHasher`] use it
//!   too. The thread count is rayon's: `RAYON_NUM_THREADS`, or the pool of a surrounding
//!   `ThreadPool::install`.
//! - `multi-buffer` (default): the leaf engine hashes whole 1 MiB leaves many at a time with
//!   `tape-sha256` (SIMD lanes or interleaved SHA-NI streams, picked at run time for the CPU);
//!   [`leaf_backend`] names the kernel. Without it, or without `std`, leaves are hashed one at a
//!   time with `sha2`. The results are the same.
//! - `tokio`: [`calculate_tree_hash_async`], [`checksums_async`] and [`multipart_async`] for a
//!   `tokio::io::AsyncRead`, hashing off the runtime's threads.
//! - `digest`: `TreeHasher` implements the RustCrypto traits (`Update`, `FixedOutput`,
//!   `FixedOutputReset`, `Reset`, `OutputSizeUser`, `HashMarker`, and so `Digest`) of the
//!   `digest` version `sha2` uses, re-exported as [`digest`](mod@digest).
//! - `serde`: `TreeHash` and `Sha256Hash` serialize as their 64 hex digits, `PartSize` as its
//!   number of bytes.
//! - `cli`: the `glacier-tree-hash` command-line tool (adds `clap`).
//!
//! # The tree hash is not a general-purpose hash
//! It is what Glacier checks, nothing more: there is no length padding or domain separation
//! between leaves and parents. Input of 1 MiB or less hashes to its plain SHA-256, and 2 MiB of
//! input has the same tree hash as the 64 bytes of its two leaf hashes. Do not use it where a
//! collision-resistant hash of arbitrary data is needed, even through the `digest` traits.
//!
//! ```
//! use glacier_tree_hash::tree_hash;
//!
//! let data = vec![3u8; 2 << 20];
//! let (left, right) = data.split_at(1 << 20);
//! let leaves = [*tree_hash(left).as_bytes(), *tree_hash(right).as_bytes()].concat();
//! assert_eq!(tree_hash(&leaves), tree_hash(&data));
//! ```
//!
//! A caveat of the `digest` feature: where `digest::Digest` (or `sha2::Digest`) is in scope,
//! `hasher.finalize()` resolves to `Digest::finalize`, which takes the hasher by value and
//! returns bytes, so `hasher.update(data).finalize()` no longer compiles there. Write
//! `TreeHasher::finalize(&hasher)` in such modules. Cargo unifies features, so another crate
//! in the build can turn `digest` on.

#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod checksums;
mod consume;
mod hash;
mod hasher;
#[cfg(feature = "std")]
mod io;
mod join;
mod leaves;
#[cfg(feature = "std")]
mod multipart;
mod parts;
#[cfg(feature = "std")]
mod passthrough;
#[cfg(feature = "serde")]
mod serde_support;
#[cfg(feature = "tokio")]
mod tokio_support;
#[cfg(feature = "digest")]
mod traits;
mod tree;

pub use checksums::{ChecksumHasher, Checksums};
pub use hash::{HexError, Sha256Hash, TreeHash};
pub use hasher::{tree_hash, TreeHasher, CHUNK_SIZE};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use io::{calculate_tree_hash, tree_hash_file};
pub use leaves::leaf_backend;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use multipart::{
    AddPartError, ArchiveAssembler, AssembleError, AssemblyProblem, MultipartHasher,
    MultipartSummary, PartChecksums, PartDifference, TooManyParts,
};
pub use parts::{
    content_range, is_megabyte_aligned, is_tree_hash_aligned, tree_hash_aligned_cover,
    ContentRange, ContentRangeError, PartSize, PartSizeError, Parts,
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
}

/// The examples in README.md, run as doctests.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
