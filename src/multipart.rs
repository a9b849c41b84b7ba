//! Multipart uploads (feature `std`): every part's checksums in one pass over the archive, and
//! an assembler that checks parts the way CompleteMultipartUpload does.

use crate::Hasher;
use crate::join::Join;
use crate::update::sealed::Sealed;
use crate::{ChecksumHasher, Checksums, Part, PartSize, TooManyParts, TreeHash, combine};
use alloc::vec;
use alloc::vec::Vec;
#[cfg(feature = "std")]
use {crate::positional::Stop, core::ops::Range, std::fs::File};

/// One part of a multipart upload and the checksums its UploadMultipartPart request sends.
///
/// ```
/// use glacier_tree_hash::{Hasher, Checksums, MultipartHasher, PartSize};
///
/// let summary = MultipartHasher::new(PartSize::MIN).update(b"tiny").finalize()?;
/// let hashed = &summary.parts[0];
/// assert_eq!(hashed.part.content_range().to_string(), "bytes 0-3/*");
/// assert_eq!(hashed.checksums, Checksums::of(b"tiny"));
/// # Ok::<(), glacier_tree_hash::TooManyParts>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartChecksums {
    /// The part: its index, its bytes in the archive, its `Content-Range`.
    pub part: Part,
    /// `x-amz-sha256-tree-hash` and `x-amz-content-sha256` for the part.
    pub checksums: Checksums,
}

/// What a multipart upload needs, from one read of the archive: see [`MultipartHasher`].
///
/// ```
/// use glacier_tree_hash::{Hasher, tree_hash, MultipartHasher, PartSize};
///
/// let archive = vec![1u8; (2 << 20) + 1];
/// let summary = MultipartHasher::new(PartSize::MIN).update(&archive).finalize()?;
/// assert_eq!((summary.parts.len(), summary.archive_size), (3, archive.len() as u64));
/// assert_eq!(summary.tree_hash, tree_hash(&archive));
/// # Ok::<(), glacier_tree_hash::TooManyParts>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartSummary {
    /// The part size every part but the last has: `x-amz-part-size` of
    /// InitiateMultipartUpload.
    pub part_size: PartSize,
    /// The parts in order, for UploadMultipartPart.
    pub parts: Vec<PartChecksums>,
    /// `x-amz-archive-size` of CompleteMultipartUpload: the sum of the part sizes.
    pub archive_size: u64,
    /// `x-amz-sha256-tree-hash` of CompleteMultipartUpload: [`combine`] of the parts' tree
    /// hashes.
    pub tree_hash: TreeHash,
}

/// Hashes an archive once and yields every part's range, tree hash and SHA-256, and the archive's
/// size and tree hash, which it gets by combining the part hashes (no second pass).
///
/// Its methods are those of the [`Hasher`] trait; its [`finalize`](Hasher::finalize) gives a
/// [`MultipartSummary`], or [`TooManyParts`] past 10,000 parts.
///
/// Memory: two hashers (about 2.4 KiB) and 96 bytes per part: under 1 MB for Glacier's 10,000
/// parts. Past 10,000 parts it stops hashing (only counting bytes), the read and file methods
/// stop reading with an error, and [`finalize`](Hasher::finalize) refuses: memory stays
/// bounded whatever the input, and an archive too large for its part size is refused as soon as
/// that is known (before the first read, for a regular file).
///
/// A whole multipart upload (feature `std`, for files):
///
#[cfg_attr(feature = "std", doc = "```")]
#[cfg_attr(not(feature = "std"), doc = "```ignore")]
/// use glacier_tree_hash::{Hasher, MultipartHasher, PartSize};
///
/// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-multipart-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("archive.tar");
/// # std::fs::write(&path, vec![7u8; (20 << 20) + 12345])?;
/// let file = std::fs::File::open(&path)?;
/// // 1. Choose the part size: the smallest within the 10,000-part limit, or your own.
/// let archive_size = file.metadata()?.len();
/// let part_size = PartSize::for_archive(archive_size)?.max("8MiB".parse()?);
///
/// // 2. Read the file once; every part's checksums come out of that one pass.
/// let summary = MultipartHasher::new(part_size).update_file(&file, ..)?.finalize()?;
///
/// // 3. InitiateMultipartUpload with `x-amz-part-size: 8388608`, then one
/// //    UploadMultipartPart per part:
/// let part_size_header = part_size.to_string();
/// for hashed in &summary.parts {
///     let content_range = hashed.part.content_range().to_string(); // Content-Range
///     let tree_hash = hashed.checksums.tree_hash.to_string(); // x-amz-sha256-tree-hash
///     let sha256 = hashed.checksums.sha256.to_string(); // x-amz-content-sha256
///     // send bytes hashed.part.range() of the file with these three headers
/// #   let _ = (content_range, tree_hash, sha256);
/// }
/// assert_eq!(part_size_header, "8388608");
/// assert_eq!(summary.parts[0].part.content_range().to_string(), "bytes 0-8388607/*");
/// assert_eq!(summary.parts.len(), 3);
///
/// // 4. CompleteMultipartUpload with these two values:
/// let archive_size_header = summary.archive_size; // x-amz-archive-size
/// let checksum = String::from(summary.tree_hash); // x-amz-sha256-tree-hash
/// assert_eq!(archive_size_header, archive_size);
/// assert_eq!(summary.tree_hash, glacier_tree_hash::tree_hash(&std::fs::read(&path)?));
/// # let _ = checksum;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct MultipartHasher {
    part_size: PartSize,
    current: ChecksumHasher,
    parts: Vec<PartChecksums>,
    /// Bytes of the closed parts, and past 10,000 parts every byte seen.
    closed: u64,
}

impl MultipartHasher {
    /// A hasher for an archive uploaded in parts of `part_size`.
    ///
    /// ```
    /// use glacier_tree_hash::{Hasher, MultipartHasher, PartSize};
    ///
    /// let summary = MultipartHasher::new(PartSize::MIN).finalize()?;
    /// assert_eq!((summary.parts.len(), summary.archive_size), (0, 0));
    /// # Ok::<(), glacier_tree_hash::TooManyParts>(())
    /// ```
    #[must_use]
    pub fn new(part_size: PartSize) -> MultipartHasher {
        MultipartHasher {
            part_size,
            current: ChecksumHasher::new(),
            parts: Vec::new(),
            closed: 0,
        }
    }

    /// The part size every part but the last has.
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
    ///
    /// assert_eq!(MultipartHasher::new(PartSize::MIN).part_size(), PartSize::MIN);
    /// ```
    #[must_use]
    pub fn part_size(&self) -> PartSize {
        self.part_size
    }

    /// The bytes that would complete the part in progress; 0 at a part boundary.
    #[cfg(feature = "std")]
    pub(crate) fn room_in_part(&self) -> u64 {
        let part = self.part_size.bytes();
        (part - self.current.count()) % part
    }

    /// The number of parts closed so far.
    #[cfg(feature = "std")]
    pub(crate) fn closed_parts(&self) -> u64 {
        self.parts.len() as u64
    }

    /// At a part boundary: hashes the whole parts at the start of `data` side by side (when
    /// there are two or more) and appends them; returns the rest.
    fn push_whole_parts<'a, J: Join>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let part = self.part_size.bytes();
        let room = PartSize::MAX_PARTS.saturating_sub(self.parts.len() as u64);
        let whole = (data.len() as u64 / part).min(room);
        if whole < 2 {
            return data;
        }
        // `whole` parts fit in `data`, so their bytes fit a usize.
        let (whole, part) = (whole as usize, part as usize);
        let (bytes, rest) = data.split_at(whole * part);
        let mut checksums = vec![Checksums::of(b""); whole];
        whole_parts::<J>(bytes, part, &mut checksums);
        for checksums in checksums {
            self.push_part(checksums);
        }
        rest
    }

    /// Appends a whole part hashed elsewhere; only at a part boundary.
    pub(crate) fn push_part(&mut self, checksums: Checksums) {
        debug_assert_eq!(self.current.count(), 0);
        let index = self.parts.len() as u64;
        let end = self.closed + self.part_size.bytes();
        self.parts.push(PartChecksums {
            part: Part::spanning(index, self.closed..end),
            checksums,
        });
        self.closed = end;
    }

    /// The part in progress, with its checksums so far.
    fn current_part(&self) -> PartChecksums {
        let index = self.parts.len() as u64;
        let end = self.closed + self.current.count();
        PartChecksums {
            part: Part::spanning(index, self.closed..end),
            checksums: self.current.finalize(),
        }
    }
}

impl Sealed for MultipartHasher {
    /// Splits `data` at part boundaries; past 10,000 parts only counts it.
    fn update_with<J: Join>(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.parts.len() as u64 >= PartSize::MAX_PARTS {
                self.closed = self.closed.saturating_add(data.len() as u64);
                return;
            }
            if self.current.count() == 0 {
                let rest = self.push_whole_parts::<J>(data);
                if rest.len() < data.len() {
                    // Parts were added: the limit first, again.
                    data = rest;
                    continue;
                }
            }
            let room = self.part_size.bytes() - self.current.count();
            let take = usize::try_from(room).map_or(data.len(), |room| room.min(data.len()));
            let (piece, rest) = data.split_at(take);
            self.current.update_with::<J>(piece);
            data = rest;
            if self.current.count() == self.part_size.bytes() {
                let part = self.current_part();
                self.closed += self.current.count();
                self.parts.push(part);
                self.current = ChecksumHasher::new();
            }
        }
    }

    fn too_many_parts_after(&self, more: u64) -> Option<TooManyParts> {
        let archive_size = self.count().saturating_add(more);
        self.part_size.check_archive_size(archive_size).err()
    }

    /// Under rayon, whole parts side by side, each read by the thread that hashes it.
    #[cfg(feature = "std")]
    fn positional<J: Join>(&mut self, file: &File, range: Range<u64>) -> Result<u64, Stop> {
        if !J::PARALLEL {
            return Ok(range.start);
        }
        crate::positional::parts::<J>(self, file, range)
    }
}

impl Hasher for MultipartHasher {
    /// The summary, or [`TooManyParts`] past 10,000 parts.
    type Output = Result<MultipartSummary, TooManyParts>;

    fn count(&self) -> u64 {
        self.closed + self.current.count()
    }

    fn finalize(&self) -> Result<MultipartSummary, TooManyParts> {
        if let Some(error) = self.too_many_parts_after(0) {
            return Err(error);
        }
        let mut parts = self.parts.clone();
        if self.current.count() > 0 {
            parts.push(self.current_part());
        }
        let hashes: Vec<TreeHash> = parts.iter().map(|p| p.checksums.tree_hash).collect();
        Ok(MultipartSummary {
            part_size: self.part_size,
            archive_size: self.count(),
            tree_hash: combine(&hashes),
            parts,
        })
    }
}

/// Whole parts, side by side: the checksums of the `out.len()` parts of `part` bytes in
/// `bytes`, split in halves under `J` down to an equal share of the threads per task (at most
/// [`MAX_LANES`](crate::leaves::MAX_LANES) parts). Each task hashes its parts' SHA-256s
/// together through the leaf engine, one part per lane, like leaves ([`group_checksums`]).
fn whole_parts<J: Join>(bytes: &[u8], part: usize, out: &mut [Checksums]) {
    let share = out
        .len()
        .div_ceil(J::threads())
        .clamp(1, crate::leaves::MAX_LANES);
    if out.len() <= share || !J::PARALLEL {
        for (bytes, out) in bytes.chunks(share * part).zip(out.chunks_mut(share)) {
            group_checksums(bytes, part, out);
        }
        return;
    }
    let (left, right) = out.split_at_mut(out.len().div_ceil(2 * share) * share);
    let (left_bytes, right_bytes) = bytes.split_at(left.len() * part);
    J::join(
        || whole_parts::<J>(left_bytes, part, left),
        || whole_parts::<J>(right_bytes, part, right),
    );
}

/// The checksums of the `out.len()` (at most [`MAX_LANES`](crate::leaves::MAX_LANES)) whole
/// parts of `part` bytes in `bytes`, on the calling thread: every part's SHA-256 in one call
/// of the leaf engine (four or more parts run in its lanes), every 1 MiB leaf in batches, then
/// each part's tree hash from its leaves.
pub(crate) fn group_checksums(bytes: &[u8], part: usize, out: &mut [Checksums]) {
    debug_assert!(out.len() <= crate::leaves::MAX_LANES);
    debug_assert_eq!(bytes.len(), out.len() * part);
    let mut sha256 = [TreeHash::ZERO; crate::leaves::MAX_LANES];
    let sha256 = &mut sha256[..out.len()];
    crate::leaves::hash_leaves(bytes, part, sha256);
    if part == crate::LEAF {
        // A part of one leaf: its tree hash is its SHA-256.
        for (checksums, sha256) in out.iter_mut().zip(sha256.iter()) {
            *checksums = Checksums {
                tree_hash: *sha256,
                sha256: crate::Sha256Hash::from(*sha256.as_bytes()),
            };
        }
        return;
    }
    let leaves_per_part = part / crate::LEAF;
    let mut leaves = vec![TreeHash::ZERO; out.len() * leaves_per_part];
    crate::leaves::hash_leaves(bytes, crate::LEAF, &mut leaves);
    let trees = leaves.chunks(leaves_per_part);
    for ((checksums, sha256), leaves) in out.iter_mut().zip(sha256.iter()).zip(trees) {
        *checksums = Checksums {
            tree_hash: combine(leaves),
            sha256: crate::Sha256Hash::from(*sha256.as_bytes()),
        };
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::io::{self, Read};

    /// A hasher that has already closed 10,000 parts of 1 MiB, without hashing 10,000 MiB.
    fn at_the_limit() -> MultipartHasher {
        let mut hasher = MultipartHasher::new(PartSize::MIN);
        let mib = PartSize::MIN.bytes();
        for index in 0..PartSize::MAX_PARTS {
            hasher.parts.push(PartChecksums {
                part: Part::spanning(index, index * mib..(index + 1) * mib),
                checksums: Checksums::of(b""),
            });
        }
        hasher.closed = PartSize::MAX_PARTS * mib;
        hasher
    }

    #[test]
    fn ten_thousand_parts_are_allowed_and_one_byte_more_is_refused() {
        let mut hasher = at_the_limit();
        assert_eq!(hasher.too_many_parts_after(0), None);
        assert_eq!(hasher.finalize().map(|s| s.parts.len()), Ok(10_000));
        hasher.update(&[1; 100]);
        let error = hasher.finalize().unwrap_err();
        assert_eq!(error.part_count(), 10_001);
        assert_eq!(error.archive_size, (10_000 << 20) + 100);
        // Past the limit nothing more is hashed or kept: bytes are only counted.
        assert_eq!((hasher.parts.len(), hasher.current.count()), (10_000, 0));
    }

    /// Whole parts hashed side by side stop at the limit too, whatever the split of the input.
    #[test]
    fn whole_parts_stop_at_ten_thousand() {
        let mib = PartSize::MIN.bytes();
        let data = vec![3u8; 16 << 20];
        for (closed, current) in [(9_998, 0), (9_997, 5), (9_999, 0), (10_000, 0)] {
            let mut hasher = at_the_limit();
            hasher.parts.truncate(closed);
            hasher.closed = closed as u64 * mib;
            hasher.update(&data[..current]);
            hasher.update(&data);
            assert_eq!(
                hasher.parts.len(),
                10_000,
                "{closed} parts, {current} bytes"
            );
            assert_eq!(
                hasher.count(),
                closed as u64 * mib + current as u64 + (16 << 20)
            );
            #[cfg(feature = "rayon")]
            {
                let mut hasher = at_the_limit();
                hasher.parts.truncate(closed);
                hasher.closed = closed as u64 * mib;
                hasher.update_rayon(&data[..current]).update_rayon(&data);
                assert_eq!(
                    hasher.parts.len(),
                    10_000,
                    "{closed} parts, {current} bytes"
                );
            }
        }
    }

    #[test]
    fn a_reader_is_stopped_when_the_10001st_part_begins() {
        let mut hasher = at_the_limit();
        let mut reader = io::repeat(7).take(u64::MAX);
        let error = hasher.update_reader(&mut reader).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        let inner = TooManyParts::from_io_error(&error);
        assert!(inner.is_some_and(|e| e.part_count() == 10_001), "{error}");
        // Within one read-loop buffer (64 KiB) of the limit.
        assert!(u64::MAX - reader.limit() <= 64 << 10);
        #[cfg(feature = "rayon")]
        {
            let mut reader = io::repeat(7).take(u64::MAX);
            let error = at_the_limit().update_reader_rayon(&mut reader).unwrap_err();
            assert!(TooManyParts::from_io_error(&error).is_some());
            // Within the first serial MiB.
            assert!(u64::MAX - reader.limit() <= 1 << 20);
        }
    }
}
