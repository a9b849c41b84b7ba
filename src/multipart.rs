//! Multipart uploads (feature `std`): every part's checksums in one pass over the archive, and
//! an assembler that checks parts the way CompleteMultipartUpload does.

use crate::io::FileRange;
use crate::join::{Join, SerialJoin, Update};
use crate::{ChecksumHasher, Checksums, Part, PartSize, TooManyParts, TreeHash, combine};
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::{Range, RangeBounds};

/// One part of a multipart upload and the checksums its UploadMultipartPart request sends.
///
/// ```
/// use glacier_tree_hash::{Checksums, MultipartHasher, PartSize};
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
/// use glacier_tree_hash::{tree_hash, MultipartHasher, PartSize};
///
/// let archive = vec![1u8; (2 << 20) + 1];
/// let summary = MultipartHasher::new(PartSize::MIN).update(&archive).finalize()?;
/// assert_eq!((summary.parts.len(), summary.archive_size), (3, archive.len() as u64));
/// assert_eq!(summary.tree_hash, tree_hash(&archive));
/// # Ok::<(), glacier_tree_hash::TooManyParts>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
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
/// Memory: two hashers (about 2.4 KiB) and 96 bytes per part: under 1 MB for Glacier's 10,000
/// parts. Past 10,000 parts it stops hashing (only counting bytes), the read and file methods
/// stop reading with an error, and [`finalize`](MultipartHasher::finalize) refuses: memory stays
/// bounded whatever the input, and an archive too large for its part size is refused as soon as
/// that is known (before the first read, for a regular file).
///
/// A whole multipart upload:
///
/// ```
/// use glacier_tree_hash::{MultipartHasher, PartSize};
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
/// assert_eq!(summary.tree_hash, glacier_tree_hash::tree_hash_file(&path)?);
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
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
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

    /// Adds the next bytes of the archive, on the calling thread.
    ///
    /// Whole parts in one call are hashed together: their SHA-256s run in the leaf engine's
    /// lanes like leaves, so several small parts cost less than one long stream.
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
    ///
    /// let mut hasher = MultipartHasher::new(PartSize::MIN);
    /// hasher.update(&[1; 1 << 20]).update(&[2; 10]);
    /// assert_eq!(hasher.finalize()?.parts.len(), 2);
    /// # Ok::<(), glacier_tree_hash::TooManyParts>(())
    /// ```
    pub fn update(&mut self, data: &[u8]) -> &mut MultipartHasher {
        self.update_with::<SerialJoin>(data);
        self
    }

    /// Adds the next bytes of the archive, hashing on all cores (feature `rayon`): whole parts
    /// in one call are shared out between the threads, each hashing its share as
    /// [`update`](MultipartHasher::update) does; the part in progress is hashed as
    /// [`ChecksumHasher::update_rayon`] does (its SHA-256 on one thread beside the tree hash).
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
    ///
    /// let data = vec![3u8; 9 << 20];
    /// let parallel = MultipartHasher::new(PartSize::MIN).update_rayon(&data).finalize()?;
    /// let serial = MultipartHasher::new(PartSize::MIN).update(&data).finalize()?;
    /// assert_eq!(parallel, serial);
    /// # Ok::<(), glacier_tree_hash::TooManyParts>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_rayon(&mut self, data: &[u8]) -> &mut MultipartHasher {
        self.update_with::<crate::join::RayonJoin>(data);
        self
    }

    /// Adds everything `reader` yields, on the calling thread, with the guarantees of
    /// [`calculate_tree_hash`](crate::calculate_tree_hash); it stops reading as soon as the
    /// 10,001st part begins.
    ///
    /// # Errors
    /// The first error of `reader` other than `Interrupted`, and past 10,000 parts an
    /// `InvalidInput` error whose inner error is the [`TooManyParts`]
    /// (`error.get_ref()` and `downcast_ref`). The hasher then holds some prefix of the input.
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize, TooManyParts};
    ///
    /// let data = vec![4u8; 3 << 20];
    /// let mut hasher = MultipartHasher::new(PartSize::MIN);
    /// hasher.update_reader(&data[..])?;
    /// assert_eq!(hasher.finalize()?.archive_size, 3 << 20);
    ///
    /// let endless = std::io::repeat(0);
    /// let error = MultipartHasher::new(PartSize::MIN).update_reader(endless).unwrap_err();
    /// let too_many = error.get_ref().and_then(|inner| inner.downcast_ref::<TooManyParts>());
    /// assert_eq!(too_many.map(|e| e.part_count()), Some(10_001));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_reader<R: Read>(&mut self, reader: R) -> io::Result<&mut MultipartHasher> {
        crate::read::update_reader(self, reader)?;
        Ok(self)
    }

    /// Adds everything `reader` yields like [`update_reader`](MultipartHasher::update_reader),
    /// hashing on the current rayon pool while the calling thread reads ahead (feature `rayon`).
    ///
    /// # Errors
    /// As [`update_reader`](MultipartHasher::update_reader).
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
    ///
    /// let data = vec![4u8; 3 << 20];
    /// let mut hasher = MultipartHasher::new(PartSize::MIN);
    /// hasher.update_reader_rayon(&data[..])?;
    /// assert_eq!(hasher.finalize()?.parts.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_reader_rayon<R: Read>(&mut self, reader: R) -> io::Result<&mut MultipartHasher> {
        crate::read::update_reader_rayon(self, reader)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` (`..` for all of it) on the calling thread, with the
    /// checks of [`TreeHasher::update_file`](crate::TreeHasher::update_file). A regular file
    /// whose size needs more than 10,000 parts is refused before the first read.
    ///
    /// # Errors
    /// As [`TreeHasher::update_file`](crate::TreeHasher::update_file), and [`TooManyParts`]
    /// as for [`update_reader`](MultipartHasher::update_reader).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, MultipartHasher, PartSize};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-mf-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![8u8; (4 << 20) + 1];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// let summary = MultipartHasher::new(PartSize::new(2 << 20)?).update_file(&file, ..)?.finalize()?;
    /// assert_eq!(summary.tree_hash, tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn update_file(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut MultipartHasher> {
        let range = self.refuse_known_size(file, &range)?;
        crate::io::update_from_file::<SerialJoin, _>(self, file, range)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_file`](MultipartHasher::update_file),
    /// on all threads of the current rayon pool (feature `rayon`).
    ///
    /// A regular file's whole parts are hashed side by side, each read by the thread that
    /// hashes it, so the parts' SHA-256s (one stream each) run on every thread at once. Parts
    /// of which four or more fit in a thread's share of 64 MiB (up to 8 MiB on 2 threads) are
    /// read a group at a time and their SHA-256s handed to the leaf engine together (in its
    /// lanes when a group has four or more). Memory: at most 64 MiB of buffers for the parts
    /// (plus 1 MiB per thread past 64 threads), freed before the bytes after the last whole
    /// part go through the read loop of
    /// [`update_reader_rayon`](MultipartHasher::update_reader_rayon), as does anything that is
    /// not a regular file.
    ///
    /// # Errors
    /// As [`update_file`](MultipartHasher::update_file).
    ///
    /// ```
    /// use glacier_tree_hash::{MultipartHasher, PartSize};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-mfr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// std::fs::write(&path, vec![8u8; 3 << 20])?;
    /// let file = std::fs::File::open(&path)?;
    /// let summary = MultipartHasher::new(PartSize::MIN).update_file_rayon(&file, ..)?.finalize()?;
    /// assert_eq!(summary.parts.len(), 3);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_file_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut MultipartHasher> {
        let range = self.refuse_known_size(file, &range)?;
        parallel_parts::update(self, file, range)?;
        Ok(self)
    }

    /// The number of bytes of the archive hashed so far.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::MultipartHasher::new(glacier_tree_hash::PartSize::MIN);
    /// assert_eq!(hasher.update(&[0; 10]).count(), 10);
    /// ```
    #[must_use]
    pub fn count(&self) -> u64 {
        Update::count(self)
    }

    /// `range` as a [`FileRange`], refused with [`TooManyParts`] if the size the file reports
    /// already needs more than 10,000 parts.
    fn refuse_known_size(
        &self,
        file: &File,
        range: &impl RangeBounds<u64>,
    ) -> io::Result<FileRange> {
        let range = FileRange::of(range)?;
        let metadata = file.metadata()?;
        if metadata.is_file() {
            let bytes = range.len_in(metadata.len());
            let error = self
                .part_size
                .check_archive_size(self.count().saturating_add(bytes));
            error.map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
        }
        Ok(range)
    }

    /// The parts and the archive's size and tree hash. The hasher is unchanged, so this may be
    /// called at any time. An empty archive has no parts and the empty-input tree hash.
    ///
    /// # Errors
    /// [`TooManyParts`] past 10,000 parts.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, MultipartHasher, PartSize};
    ///
    /// let data = vec![8u8; (4 << 20) + 1];
    /// let summary = MultipartHasher::new(PartSize::new(2 << 20)?).update(&data).finalize()?;
    /// assert_eq!(summary.tree_hash, tree_hash(&data));
    /// assert_eq!(summary.parts[2].part.range(), (4 << 20)..(4 << 20) + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finalize(&self) -> Result<MultipartSummary, TooManyParts> {
        if let Some(error) = self.too_many_parts() {
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
    fn push_part(&mut self, checksums: Checksums) {
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

impl Update for MultipartHasher {
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

    fn count(&self) -> u64 {
        self.closed + self.current.count()
    }

    fn too_many_parts(&self) -> Option<TooManyParts> {
        self.part_size.check_archive_size(self.count()).err()
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
fn group_checksums(bytes: &[u8], part: usize, out: &mut [Checksums]) {
    debug_assert!(out.len() <= crate::leaves::MAX_LANES);
    debug_assert_eq!(bytes.len(), out.len() * part);
    let mut sha256 = [TreeHash::ZERO; crate::leaves::MAX_LANES];
    let sha256 = &mut sha256[..out.len()];
    crate::leaves::hash_leaves(bytes, part, sha256);
    if part == crate::CHUNK_SIZE {
        // A part of one leaf: its tree hash is its SHA-256.
        for (checksums, sha256) in out.iter_mut().zip(sha256.iter()) {
            *checksums = Checksums {
                tree_hash: *sha256,
                sha256: crate::Sha256Hash::from(*sha256.as_bytes()),
            };
        }
        return;
    }
    let leaves_per_part = part / crate::CHUNK_SIZE;
    let mut leaves = vec![TreeHash::ZERO; out.len() * leaves_per_part];
    crate::leaves::hash_leaves(bytes, crate::CHUNK_SIZE, &mut leaves);
    let trees = leaves.chunks(leaves_per_part);
    for ((checksums, sha256), leaves) in out.iter_mut().zip(sha256.iter()).zip(trees) {
        *checksums = Checksums {
            tree_hash: combine(leaves),
            sha256: crate::Sha256Hash::from(*sha256.as_bytes()),
        };
    }
}

/// Whole parts of a regular file hashed side by side (feature `rayon`).
///
/// A part's SHA-256 is one stream that no two threads can share, and splitting the archive into
/// blocks leaves it on one thread: that SHA-256 would set the pace. So whole parts are the unit
/// of work here, read with positional reads by the thread that hashes them:
/// - parts small enough that four or more fit in a thread's share of 64 MiB (8 MiB parts on 2
///   threads) are read a group at a time (groups cut so every thread gets one), and the
///   group's SHA-256s go to the leaf engine together, one part per lane when there are four or
///   more;
/// - larger parts are hashed one per task, each through a buffer of one leaf-engine batch
///   (fewer leaves on many threads; [`read_chunks`]).
///
/// Either way the parts' SHA-256s run on every thread at once, in at most 64 MiB of buffers
/// (plus 1 MiB per thread past 64 threads), freed before the rest is read. The part in
/// progress is finished first and the bytes after the last whole part go through the
/// read-ahead loop; one check of where the bytes ended, against the caller's range, makes the
/// result and the errors those of `update_file`.
///
/// [`read_chunks`]: crate::io::positional::read_chunks
#[cfg(feature = "rayon")]
mod parallel_parts {
    use super::MultipartHasher;
    use crate::PartSize;
    use crate::io::{FileKind, FileRange, check_end, kind_of, update_from_file};
    use crate::join::{Join, RayonJoin, SerialJoin, Update};
    use crate::read::{FileAt, Source};
    use crate::{ChecksumHasher, Checksums};
    use std::fs::File;
    use std::io;
    use std::sync::{Mutex, PoisonError};

    /// Why a part was not hashed.
    enum Stop {
        /// The file ended at this offset, inside the part.
        EndAt(u64),
        Io(io::Error),
    }

    /// Adds the bytes of `file` in `range` to `hasher`, whole parts in parallel.
    pub(super) fn update(
        hasher: &mut MultipartHasher,
        file: &File,
        range: FileRange,
    ) -> io::Result<()> {
        let part = hasher.part_size.bytes();
        let room = (part - hasher.current.count()) % part;
        let len = match kind_of(file, range)? {
            FileKind::Regular { len } if crate::io::POSITIONAL => len,
            _ => return update_from_file::<RayonJoin, _>(hasher, file, range),
        };
        let reported_end = range.end.map_or(len, |end| end.min(len));
        let first = range.start.saturating_add(room);
        // Never past 10,000 parts, even if the file has grown since its size was checked: the
        // bytes after these go through the read loop, which stops at the limit.
        let parts_left = PartSize::MAX_PARTS.saturating_sub(hasher.parts.len() as u64 + 1);
        let whole_parts = (reported_end.saturating_sub(first) / part).min(parts_left);
        // One part gains nothing from this.
        if whole_parts < 2 {
            return update_from_file::<RayonJoin, _>(hasher, file, range);
        }
        let before = hasher.clone();
        // The offset the range's bytes have been read up to, checked against the caller's
        // range (not the pieces'), so errors speak of it.
        let mut end = read_through(hasher, file, range.start, Some(first))?;
        if end == first {
            match hash_whole_parts(file, first, part, whole_parts) {
                Ok(hashed) => {
                    hashed
                        .into_iter()
                        .for_each(|checksums| hasher.push_part(checksums));
                    end = first + whole_parts * part;
                    end = read_through(hasher, file, end, range.end)?;
                }
                Err(Stop::Io(error)) => return Err(error),
                Err(Stop::EndAt(at)) => end = at,
            }
        }
        if end < reported_end && range.end.is_none_or(|range_end| end < range_end) {
            // Ended early: an error if the range was bounded or the file has shrunk.
            check_end(file, range, len, end)?;
            if end < first + whole_parts * part {
                // It holds less than it reports without having shrunk: hash what it holds.
                *hasher = before;
                return update_from_file::<RayonJoin, _>(hasher, file, range);
            }
        }
        check_end(file, range, len, end)
    }

    /// Adds the bytes of `file` from `start` up to `end` (or its end) through the parallel read
    /// loop; returns the offset where they stopped.
    fn read_through(
        hasher: &mut MultipartHasher,
        file: &File,
        start: u64,
        end: Option<u64>,
    ) -> io::Result<u64> {
        let before = hasher.count();
        let reader = FileAt {
            file,
            offset: start,
            end,
        };
        crate::read::update_reader_rayon(hasher, reader)?;
        Ok(start + (hasher.count() - before))
    }

    /// The checksums of the `count` parts of `part` bytes from `first`, in order. The buffers
    /// are freed before it returns.
    fn hash_whole_parts(
        file: &File,
        first: u64,
        part: u64,
        count: u64,
    ) -> Result<Vec<Checksums>, Stop> {
        // At most 10,000 parts.
        let mut hashed = vec![None::<Checksums>; count as usize];
        let threads = RayonJoin::threads();
        // Every thread gets parts, in groups as even as the count allows.
        let group = group(part, threads).min((count as usize).div_ceil(threads));
        let buffer_size = if group > 1 {
            group * part as usize
        } else {
            crate::io::positional::read_chunks(threads)
                .saturating_mul(crate::CHUNK_SIZE)
                .min(usize::try_from(part).unwrap_or(usize::MAX))
        };
        let tasks = Tasks {
            file,
            part,
            group,
            buffer_size,
            buffers: Mutex::new(Vec::new()),
        };
        tasks.hash(first, &mut hashed)?;
        Ok(hashed.into_iter().flatten().collect())
    }

    /// The most parts whose SHA-256s are hashed together in one engine call: as many as fit in
    /// a thread's share of 64 MiB, at most [`MAX_LANES`](crate::leaves::MAX_LANES); 1 (a part
    /// at a time) when fewer than four fit or the engine is `sha2`.
    fn group(part: u64, threads: usize) -> usize {
        let share = ((64 << 20) / threads.max(1)).max(crate::CHUNK_SIZE) as u64;
        let fits = usize::try_from(share / part).unwrap_or(usize::MAX);
        if crate::leaves::batch() < 4 || fits < 4 {
            return 1;
        }
        fits.min(crate::leaves::MAX_LANES)
    }

    /// What every task shares: the file, the part size, how many parts a task takes, and a
    /// pool of buffers (one per running task).
    struct Tasks<'a> {
        file: &'a File,
        part: u64,
        group: usize,
        buffer_size: usize,
        buffers: Mutex<Vec<Vec<u8>>>,
    }

    impl Tasks<'_> {
        /// The checksums of the parts from offset `first`, one per entry of `out`, split in
        /// halves with `rayon::join` down to a group per task.
        fn hash(&self, first: u64, out: &mut [Option<Checksums>]) -> Result<(), Stop> {
            if out.len() <= self.group {
                let taken = self
                    .buffers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop();
                let mut buffer = taken.unwrap_or_else(|| vec![0u8; self.buffer_size]);
                let result = if self.group > 1 {
                    self.hash_group(first, out, &mut buffer)
                } else {
                    hash_part(self.file, first, self.part, &mut buffer).map(|c| out[0] = Some(c))
                };
                let mut buffers = self.buffers.lock().unwrap_or_else(PoisonError::into_inner);
                buffers.push(buffer);
                return result;
            }
            // Halves of whole groups, so every task but the last gets a full one.
            let groups = out.len().div_ceil(self.group);
            let (left, right) = out.split_at_mut(groups / 2 * self.group);
            let middle = first + left.len() as u64 * self.part;
            let (left, right) =
                RayonJoin::join(|| self.hash(first, left), || self.hash(middle, right));
            // An error rather than an early end, and the earlier end of two.
            match (left, right) {
                (Err(Stop::Io(error)), _) | (_, Err(Stop::Io(error))) => Err(Stop::Io(error)),
                (Err(stop), _) | (_, Err(stop)) => Err(stop),
                (Ok(()), Ok(())) => Ok(()),
            }
        }

        /// The parts from `first`, read at once and hashed by [`group_checksums`].
        fn hash_group(
            &self,
            first: u64,
            out: &mut [Option<Checksums>],
            buffer: &mut [u8],
        ) -> Result<(), Stop> {
            let part = self.part as usize;
            let bytes = &mut buffer[..out.len() * part];
            let reader = FileAt {
                file: self.file,
                offset: first,
                end: None,
            };
            let n = Source::new(reader).fill(bytes).map_err(Stop::Io)?;
            if n < bytes.len() {
                return Err(Stop::EndAt(first + n as u64));
            }
            let mut checksums = [Checksums::of(b""); crate::leaves::MAX_LANES];
            let checksums = &mut checksums[..out.len()];
            super::group_checksums(bytes, part, checksums);
            for (slot, checksums) in out.iter_mut().zip(checksums.iter()) {
                *slot = Some(*checksums);
            }
            Ok(())
        }
    }

    /// Both checksums of the `part` bytes of `file` from `start`, through `buffer`.
    fn hash_part(file: &File, start: u64, part: u64, buffer: &mut [u8]) -> Result<Checksums, Stop> {
        let mut source = Source::new(FileAt {
            file,
            offset: start,
            end: Some(start + part),
        });
        let mut hasher = ChecksumHasher::new();
        loop {
            let n = source.fill(buffer).map_err(Stop::Io)?;
            if n == 0 {
                break;
            }
            hasher.update_with::<SerialJoin>(&buffer[..n]);
        }
        if hasher.count() < part {
            return Err(Stop::EndAt(start + hasher.count()));
        }
        Ok(hasher.finalize())
    }
}

/// The archive checksum from part hashes uploaded in any order, checked the way Glacier checks a
/// CompleteMultipartUpload: no missing ranges, only the last part short, nothing past the end.
///
/// ```
/// use glacier_tree_hash::{tree_hash, ArchiveAssembler, PartSize};
///
/// const MIB: u64 = 1 << 20;
/// let archive = vec![9u8; (5 * MIB + 3) as usize];
/// let mut assembler = ArchiveAssembler::new(PartSize::new(2 * MIB)?);
/// for range in [4 * MIB..5 * MIB + 3, 0..2 * MIB, 2 * MIB..4 * MIB] {
///     let part = &archive[range.start as usize..range.end as usize];
///     assembler.add_part(range, tree_hash(part))?;
/// }
/// assert_eq!(assembler.assemble(archive.len() as u64)?, tree_hash(&archive));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ArchiveAssembler {
    part_size: PartSize,
    /// Part start → (part end, tree hash).
    parts: BTreeMap<u64, (u64, TreeHash)>,
}

impl ArchiveAssembler {
    /// An assembler for parts of `part_size`, with no parts yet.
    ///
    /// ```
    /// use glacier_tree_hash::{ArchiveAssembler, PartSize};
    ///
    /// let assembler = ArchiveAssembler::new(PartSize::MIN);
    /// assert!(assembler.assemble(1).is_err()); // the only part is missing
    /// ```
    #[must_use]
    pub fn new(part_size: PartSize) -> ArchiveAssembler {
        ArchiveAssembler {
            part_size,
            parts: BTreeMap::new(),
        }
    }

    /// Records the tree hash of the part at the half-open byte `range`. The same range added
    /// again replaces the earlier hash, as an upload of the same range does in Glacier.
    /// Refused: an empty range, a start that is not a multiple of the part size, a range longer
    /// than the part size, and a range that overlaps a different one already added.
    ///
    /// # Errors
    /// [`AddPartError`], naming the range and what is wrong with it; the assembler is unchanged.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, AddPartError, ArchiveAssembler, PartSize};
    ///
    /// const MIB: u64 = 1 << 20;
    /// let mut assembler = ArchiveAssembler::new(PartSize::MIN);
    /// assembler.add_part(0..MIB, tree_hash(b"a"))?;
    /// assembler.add_part(0..MIB, tree_hash(b"b"))?; // replaces
    /// assert_eq!(
    ///     assembler.add_part(0..5, tree_hash(b"c")),
    ///     Err(AddPartError::Overlaps { range: 0..5, existing: 0..MIB })
    /// );
    /// assert!(assembler.add_part(5..MIB, tree_hash(b"d")).is_err());
    /// # Ok::<(), AddPartError>(())
    /// ```
    pub fn add_part(&mut self, range: Range<u64>, tree_hash: TreeHash) -> Result<(), AddPartError> {
        let part_size = self.part_size.bytes();
        if range.start >= range.end {
            return Err(AddPartError::Empty { range });
        }
        if !range.start.is_multiple_of(part_size) {
            return Err(AddPartError::NotOnPartBoundary {
                range,
                part_size: self.part_size,
            });
        }
        if range.end - range.start > part_size {
            return Err(AddPartError::LongerThanPartSize {
                range,
                part_size: self.part_size,
            });
        }
        // Parts start on boundaries and are at most one part long, so only a part with the
        // same start can overlap.
        if let Some(&(end, _)) = self.parts.get(&range.start)
            && end != range.end
        {
            return Err(AddPartError::Overlaps {
                existing: range.start..end,
                range,
            });
        }
        self.parts.insert(range.start, (range.end, tree_hash));
        Ok(())
    }

    /// The archive checksum for CompleteMultipartUpload, if the parts added make up exactly
    /// `archive_size` bytes; otherwise every problem found, in byte order.
    ///
    /// # Errors
    /// [`AssembleError`] with every missing range, short part that is not the last, and part
    /// past the end, in byte order (an empty archive first).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, ArchiveAssembler, AssemblyProblem, PartSize};
    ///
    /// const MIB: u64 = 1 << 20;
    /// let mut assembler = ArchiveAssembler::new(PartSize::MIN);
    /// assembler.add_part(MIB..MIB + 5, tree_hash(b"short"))?;
    /// let error = assembler.assemble(3 * MIB).unwrap_err();
    /// assert_eq!(
    ///     error.problems,
    ///     [
    ///         AssemblyProblem::Missing(0..MIB),
    ///         AssemblyProblem::ShortPartNotLast(MIB..MIB + 5),
    ///         AssemblyProblem::Missing(MIB + 5..3 * MIB),
    ///     ]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assemble(&self, archive_size: u64) -> Result<TreeHash, AssembleError> {
        let mut problems = Vec::new();
        if archive_size == 0 {
            problems.push(AssemblyProblem::EmptyArchive);
        }
        let mut covered = 0;
        for (&start, &(end, _)) in &self.parts {
            let gap_end = start.min(archive_size);
            if covered < gap_end {
                problems.push(AssemblyProblem::Missing(covered..gap_end));
            }
            if end > archive_size {
                problems.push(AssemblyProblem::PastArchiveSize(start..end));
            } else if end - start < self.part_size.bytes() && end != archive_size {
                problems.push(AssemblyProblem::ShortPartNotLast(start..end));
            }
            covered = covered.max(end.min(archive_size));
        }
        if covered < archive_size {
            problems.push(AssemblyProblem::Missing(covered..archive_size));
        }
        if !problems.is_empty() {
            return Err(AssembleError {
                archive_size,
                problems,
            });
        }
        let hashes: Vec<TreeHash> = self.parts.values().map(|&(_, hash)| hash).collect();
        Ok(combine(&hashes))
    }

    /// The parts whose tree hash differs from what a ListParts response reports (`listed`:
    /// each part's range and its `SHA256TreeHash`), and the parts only one side has, in byte
    /// order: where to look when CompleteMultipartUpload refuses the checksum.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, ArchiveAssembler, PartDifference, PartSize};
    ///
    /// const MIB: u64 = 1 << 20;
    /// let mut local = ArchiveAssembler::new(PartSize::MIN);
    /// local.add_part(0..MIB, tree_hash(b"right"))?;
    /// local.add_part(MIB..MIB + 1, tree_hash(b"local"))?;
    /// let listed = [(0..MIB, tree_hash(b"right")), (MIB..MIB + 1, tree_hash(b"glacier"))];
    /// assert_eq!(
    ///     local.differences(listed),
    ///     [PartDifference::Differs {
    ///         range: MIB..MIB + 1,
    ///         local: tree_hash(b"local"),
    ///         listed: tree_hash(b"glacier"),
    ///     }]
    /// );
    /// # Ok::<(), glacier_tree_hash::AddPartError>(())
    /// ```
    #[must_use]
    pub fn differences(
        &self,
        listed: impl IntoIterator<Item = (Range<u64>, TreeHash)>,
    ) -> Vec<PartDifference> {
        let listed: BTreeMap<(u64, u64), TreeHash> = listed
            .into_iter()
            .map(|(range, hash)| ((range.start, range.end), hash))
            .collect();
        let local: BTreeMap<(u64, u64), TreeHash> = self
            .parts
            .iter()
            .map(|(&start, &(end, hash))| ((start, end), hash))
            .collect();
        let mut keys: Vec<(u64, u64)> = local.keys().chain(listed.keys()).copied().collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|key| {
                let range = key.0..key.1;
                match (local.get(&key), listed.get(&key)) {
                    (Some(&local), Some(&listed)) if local != listed => {
                        Some(PartDifference::Differs {
                            range,
                            local,
                            listed,
                        })
                    }
                    (Some(_), None) => Some(PartDifference::NotListed(range)),
                    (None, Some(_)) => Some(PartDifference::NotLocal(range)),
                    _ => None,
                }
            })
            .collect()
    }
}

/// Why [`ArchiveAssembler::add_part`] refused a part.
///
/// ```
/// use glacier_tree_hash::{tree_hash, AddPartError, ArchiveAssembler, PartSize};
///
/// let mut assembler = ArchiveAssembler::new(PartSize::MIN);
/// let error = assembler.add_part(5..10, tree_hash(b"")).unwrap_err();
/// assert!(matches!(error, AddPartError::NotOnPartBoundary { .. }));
/// assert!(error.to_string().contains("5..10"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddPartError {
    /// The range has no bytes.
    Empty {
        /// The range given.
        range: Range<u64>,
    },
    /// The range does not start at a multiple of the part size.
    NotOnPartBoundary {
        /// The range given.
        range: Range<u64>,
        /// The assembler's part size.
        part_size: PartSize,
    },
    /// The range is longer than the part size.
    LongerThanPartSize {
        /// The range given.
        range: Range<u64>,
        /// The assembler's part size.
        part_size: PartSize,
    },
    /// The range overlaps a different range added before.
    Overlaps {
        /// The range given.
        range: Range<u64>,
        /// The range already added.
        existing: Range<u64>,
    },
}

impl fmt::Display for AddPartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddPartError::Empty { range } => write!(f, "part {range:?} is empty"),
            AddPartError::NotOnPartBoundary { range, part_size } => write!(
                f,
                "part {range:?} does not start at a multiple of the part size, {part_size}"
            ),
            AddPartError::LongerThanPartSize { range, part_size } => write!(
                f,
                "part {range:?} is {} bytes, longer than the part size, {part_size}",
                range.end - range.start
            ),
            AddPartError::Overlaps { range, existing } => {
                write!(f, "part {range:?} overlaps part {existing:?} added before")
            }
        }
    }
}

impl std::error::Error for AddPartError {}

/// Why [`ArchiveAssembler::assemble`] refused: every problem found.
///
/// ```
/// use glacier_tree_hash::{ArchiveAssembler, AssemblyProblem, PartSize};
///
/// let error = ArchiveAssembler::new(PartSize::MIN).assemble(10).unwrap_err();
/// assert_eq!(error.problems, [AssemblyProblem::Missing(0..10)]);
/// assert!(error.to_string().contains("bytes 0..10 are missing"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssembleError {
    /// The archive size asked for.
    pub archive_size: u64,
    /// The problems, in byte order (an empty archive first).
    pub problems: Vec<AssemblyProblem>,
}

/// One thing wrong with the parts of an archive: see [`AssembleError`].
///
/// ```
/// use glacier_tree_hash::{ArchiveAssembler, AssemblyProblem, PartSize};
///
/// let error = ArchiveAssembler::new(PartSize::MIN).assemble(0).unwrap_err();
/// assert_eq!(error.problems, [AssemblyProblem::EmptyArchive]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssemblyProblem {
    /// The archive size is zero: Glacier has no empty multipart archives.
    EmptyArchive,
    /// No part covers these bytes.
    Missing(Range<u64>),
    /// A part shorter than the part size that does not end the archive.
    ShortPartNotLast(Range<u64>),
    /// A part that reaches past the archive size.
    PastArchiveSize(Range<u64>),
}

impl AssemblyProblem {
    /// The bytes the problem is about; `None` for an empty archive.
    ///
    /// ```
    /// use glacier_tree_hash::{ArchiveAssembler, PartSize};
    ///
    /// let error = ArchiveAssembler::new(PartSize::MIN).assemble(10).unwrap_err();
    /// assert_eq!(error.problems[0].range(), Some(&(0..10)));
    /// ```
    #[must_use]
    pub fn range(&self) -> Option<&Range<u64>> {
        match self {
            AssemblyProblem::EmptyArchive => None,
            AssemblyProblem::Missing(range)
            | AssemblyProblem::ShortPartNotLast(range)
            | AssemblyProblem::PastArchiveSize(range) => Some(range),
        }
    }
}

impl fmt::Display for AssembleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the parts do not make an archive of {} bytes:",
            self.archive_size
        )?;
        for problem in &self.problems {
            match problem {
                AssemblyProblem::EmptyArchive => write!(f, " the archive size is zero;")?,
                AssemblyProblem::Missing(range) => write!(f, " bytes {range:?} are missing;")?,
                AssemblyProblem::ShortPartNotLast(range) => {
                    write!(f, " part {range:?} is short but not the last;")?
                }
                AssemblyProblem::PastArchiveSize(range) => {
                    write!(f, " part {range:?} reaches past the end;")?
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for AssembleError {}

/// A part on which the local hashes and a ListParts response disagree: see
/// [`ArchiveAssembler::differences`].
///
/// ```
/// use glacier_tree_hash::{tree_hash, ArchiveAssembler, PartDifference, PartSize};
///
/// let local = ArchiveAssembler::new(PartSize::MIN);
/// let listed = [(0..5, tree_hash(b"five!"))];
/// assert_eq!(local.differences(listed), [PartDifference::NotLocal(0..5)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartDifference {
    /// Both have the part, with different tree hashes.
    Differs {
        /// The part's range.
        range: Range<u64>,
        /// The local tree hash.
        local: TreeHash,
        /// The tree hash Glacier listed.
        listed: TreeHash,
    },
    /// Only the local side has the part: Glacier has not got it.
    NotListed(Range<u64>),
    /// Only Glacier lists the part.
    NotLocal(Range<u64>),
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(hasher.too_many_parts(), None);
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
        let inner = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<TooManyParts>());
        assert!(inner.is_some_and(|e| e.part_count() == 10_001), "{error}");
        // Within one read-loop buffer (64 KiB) of the limit.
        assert!(u64::MAX - reader.limit() <= 64 << 10);
        #[cfg(feature = "rayon")]
        {
            let mut reader = io::repeat(7).take(u64::MAX);
            let error = at_the_limit().update_reader_rayon(&mut reader).unwrap_err();
            assert!(error.get_ref().is_some_and(|e| e.is::<TooManyParts>()));
            // Within the first serial MiB.
            assert!(u64::MAX - reader.limit() <= 1 << 20);
        }
    }
}
