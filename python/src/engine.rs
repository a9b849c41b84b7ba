//! Every call into the glacier-tree-hash library, and nothing else: the rest of the crate
//! speaks in bytes, files, hex strings and integers. Library names change here only.

use crate::threads::Threads;
use glacier_tree_hash::{self as library, Hasher};
use std::fs::File;
use std::io;
use std::ops::{Bound, Range};

/// `$body` with `$hasher` bound to the library hasher inside `$sink`, whichever kind it is.
macro_rules! each {
    ($sink:expr, $hasher:ident => $body:expr) => {
        match $sink {
            Sink::Tree($hasher) => $body,
            Sink::Checksums($hasher) => $body,
            Sink::Multipart($hasher, _) => $body,
        }
    };
}

/// Inputs this small are hashed on the calling thread: 2 MiB, two leaves.
pub const SMALL: usize = 2 << 20;

/// A part of a multipart upload, as the library reports it: its index, its half-open byte
/// range, its `Content-Range` header, its tree hash and its SHA-256 (lowercase hex).
pub struct PartOut {
    pub index: u64,
    pub range: Range<u64>,
    pub content_range: String,
    pub tree_hash: String,
    pub sha256: String,
}

/// What a multipart upload needs: the part size, the archive's size and tree hash, the parts.
pub struct MultipartOut {
    pub part_size: u64,
    pub archive_size: u64,
    pub tree_hash: String,
    pub parts: Vec<PartOut>,
}

/// What one pass over the input computes.
pub enum Output {
    /// A tree hash.
    TreeHash(String),
    /// The tree hash and the linear SHA-256.
    Checksums { tree_hash: String, sha256: String },
    /// Every part's checksums and the archive's.
    Multipart(MultipartOut),
}

/// A hasher of one of the library's three kinds, fed bytes or byte ranges of a file on the
/// calling thread or on a pool.
#[derive(Clone)]
pub enum Sink {
    Tree(library::TreeHasher),
    Checksums(library::ChecksumHasher),
    Multipart(library::MultipartHasher, library::PartSize),
}

impl Sink {
    /// A tree hasher.
    pub fn tree() -> Sink {
        Sink::Tree(library::TreeHasher::new())
    }

    /// A hasher of both checksums.
    pub fn checksums() -> Sink {
        Sink::Checksums(library::ChecksumHasher::new())
    }

    /// A multipart hasher for parts of `part_size` bytes; an error message (the library's) if
    /// that is not a part size.
    pub fn multipart(part_size: u64) -> Result<Sink, String> {
        let part_size = library::PartSize::new(part_size).map_err(|error| error.to_string())?;
        Ok(Sink::Multipart(
            library::MultipartHasher::new(part_size),
            part_size,
        ))
    }

    /// Adds `data`; up to [`SMALL`] bytes on the calling thread, whatever `threads` says (a trip
    /// to the pool and back costs more than hashing them there).
    pub fn update(&mut self, data: &[u8], threads: &Threads) {
        fn on<H: Hasher>(hasher: &mut H, data: &[u8], threads: &Threads) {
            match threads {
                Threads::Pool(pool) if data.len() > SMALL => {
                    pool.install(|| hasher.update_rayon(data));
                }
                _ => {
                    hasher.update(data);
                }
            }
        }
        each!(self, hasher => on(hasher, data, threads));
    }

    /// Adds the bytes of `file` from `start` to `end` (`None`: to its end), with the library's
    /// checks (a file that shrinks, a range past the end).
    pub fn update_file(
        &mut self,
        file: &File,
        start: u64,
        end: Option<u64>,
        threads: &Threads,
    ) -> io::Result<()> {
        fn on<H: Hasher>(
            hasher: &mut H,
            file: &File,
            range: (Bound<u64>, Bound<u64>),
            threads: &Threads,
        ) -> io::Result<()> {
            match threads {
                Threads::Calling => hasher.update_file(file, range).map(drop),
                Threads::Pool(pool) => {
                    pool.install(|| hasher.update_file_rayon(file, range).map(drop))
                }
            }
        }
        let range = (
            Bound::Included(start),
            end.map_or(Bound::Unbounded, Bound::Excluded),
        );
        each!(self, hasher => on(hasher, file, range, threads))
    }

    /// Refuses, before anything is read, `more` bytes that would take a multipart upload past
    /// 10,000 parts (the library's message); anything for the other kinds.
    pub fn check_more(&self, more: u64) -> Result<(), String> {
        match self {
            Sink::Multipart(hasher, part_size) => part_size
                .check_archive_size(hasher.count().saturating_add(more))
                .map_err(|error| error.to_string()),
            _ => Ok(()),
        }
    }

    /// The number of bytes added so far.
    pub fn count(&self) -> u64 {
        each!(self, hasher => hasher.count())
    }

    /// The tree hash's 32 bytes; `None` for a multipart hasher.
    pub fn tree_hash_bytes(&self) -> Option<[u8; 32]> {
        match self {
            Sink::Tree(hasher) => Some(*hasher.finalize().as_bytes()),
            Sink::Checksums(hasher) => Some(*hasher.finalize().tree_hash.as_bytes()),
            Sink::Multipart(..) => None,
        }
    }

    /// The result of what was added (the hasher is unchanged); an error message (the
    /// library's) for a multipart upload of more than 10,000 parts.
    pub fn finalize(&self) -> Result<Output, String> {
        Ok(match self {
            Sink::Tree(hasher) => Output::TreeHash(hasher.finalize().to_string()),
            Sink::Checksums(hasher) => {
                let checksums = hasher.finalize();
                Output::Checksums {
                    tree_hash: checksums.tree_hash.to_string(),
                    sha256: checksums.sha256.to_string(),
                }
            }
            Sink::Multipart(hasher, _) => {
                let summary = hasher.finalize().map_err(|error| error.to_string())?;
                Output::Multipart(MultipartOut {
                    part_size: summary.part_size.bytes(),
                    archive_size: summary.archive_size,
                    tree_hash: summary.tree_hash.to_string(),
                    parts: summary
                        .parts
                        .iter()
                        .map(|hashed| PartOut {
                            index: hashed.part.index(),
                            range: hashed.part.range(),
                            content_range: hashed.part.content_range().to_string(),
                            tree_hash: hashed.checksums.tree_hash.to_string(),
                            sha256: hashed.checksums.sha256.to_string(),
                        })
                        .collect(),
                })
            }
        })
    }
}

/// The archive's tree hash from its parts' tree hashes (hex, in order); an error message
/// naming the position of a string that is not 64 hex digits.
pub fn combine(hashes: &[String]) -> Result<String, String> {
    let parsed = hashes
        .iter()
        .enumerate()
        .map(|(index, hex)| {
            library::TreeHash::from_hex(hex)
                .map_err(|error| format!("tree hash {index} ({hex:?}): {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(library::combine(&parsed).to_string())
}

/// The smallest part size for an archive of `archive_size` bytes, in bytes; the library's
/// message above 10,000 parts of 4 GiB.
pub fn part_size_for(archive_size: u64) -> Result<u64, String> {
    library::PartSize::for_archive(archive_size)
        .map(library::PartSize::bytes)
        .map_err(|error| error.to_string())
}

/// The smallest tree-hash-aligned range holding `wanted`, or `None`.
pub fn tree_hash_aligned_cover(wanted: Range<u64>, archive_size: u64) -> Option<Range<u64>> {
    library::tree_hash_aligned_cover(&wanted, archive_size)
}

/// Whether the tree hash of `range` is a node of the archive's tree.
pub fn is_tree_hash_aligned(range: Range<u64>, archive_size: u64) -> bool {
    library::is_tree_hash_aligned(&range, archive_size)
}

/// The library's leaf size, 1 MiB.
pub const LEAF_SIZE: u64 = library::LEAF_SIZE;
