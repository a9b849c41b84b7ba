//! Byte ranges of an archive: [`ByteRange`], the `Content-Range` header ([`ContentRange`], both
//! forms) and the `Range` request header ([`RangeHeader`]), and tree-hash alignment of a range
//! retrieval. Nothing here allocates.

use crate::{LEAF_SIZE, Part};
use core::fmt;
use core::ops::Range;
use core::str::FromStr;

/// 1 MiB, the unit of alignment.
const MIB: u64 = LEAF_SIZE;

/// A byte range of an archive, half-open: what the range functions and the assembler take, so
/// that a caller passes what it has: a `Range<u64>`, a reference to one, a [`Part`] or a
/// [`ContentRange`].
///
/// ```
/// use glacier_tree_hash::{is_tree_hash_aligned, ContentRange, PartSize};
///
/// let range = 0..1 << 20;
/// assert!(is_tree_hash_aligned(&range, 3 << 20));
/// let part = PartSize::MIN.parts(3 << 20).nth(2).unwrap();
/// assert!(is_tree_hash_aligned(part, 3 << 20));
/// let header: ContentRange = "bytes 0-2097151/3145728".parse()?;
/// assert!(is_tree_hash_aligned(header, 3 << 20));
/// # Ok::<(), glacier_tree_hash::ContentRangeError>(())
/// ```
pub trait ByteRange {
    /// The range, half-open.
    fn byte_range(&self) -> Range<u64>;
}

impl ByteRange for Range<u64> {
    fn byte_range(&self) -> Range<u64> {
        self.clone()
    }
}

impl ByteRange for Part {
    fn byte_range(&self) -> Range<u64> {
        self.range()
    }
}

impl ByteRange for ContentRange {
    fn byte_range(&self) -> Range<u64> {
        self.range()
    }
}

impl<T: ByteRange + ?Sized> ByteRange for &T {
    fn byte_range(&self) -> Range<u64> {
        (**self).byte_range()
    }
}

/// A `Content-Range` header value: `bytes FIRST-LAST/*` as UploadMultipartPart sends it, or
/// `bytes FIRST-LAST/TOTAL` as GetJobOutput returns it; `Display` writes it. From
/// [`Part::content_range`], [`ContentRange::new`], or parsed (also from a ListParts
/// `RangeInBytes`, `FIRST-LAST`). [`range_header`](ContentRange::range_header) writes the
/// `Range` request header for the same bytes.
///
/// ```
/// use glacier_tree_hash::{ContentRange, PartSize};
///
/// let part = PartSize::MIN.parts(5 << 20).nth(2).unwrap();
/// assert_eq!(part.content_range().to_string(), "bytes 2097152-3145727/*");
/// let listed: ContentRange = "2097152-3145727".parse()?;
/// assert_eq!(listed, part.content_range());
/// let returned: ContentRange = "bytes 2097152-3145727/5242880".parse()?;
/// assert_eq!((returned.range(), returned.total()), (part.range(), Some(5 << 20)));
/// # Ok::<(), glacier_tree_hash::ContentRangeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRange {
    first: u64,
    last: u64,
    total: Option<u64>,
}

impl ContentRange {
    /// The `Content-Range` of the bytes of `range`, total unknown (`/*`); `None` for an empty
    /// range.
    ///
    /// ```
    /// use glacier_tree_hash::ContentRange;
    ///
    /// let header = ContentRange::new(0..8388608).unwrap();
    /// assert_eq!(header.to_string(), "bytes 0-8388607/*");
    /// assert!(ContentRange::new(5..5).is_none());
    /// ```
    #[must_use]
    pub fn new(range: impl ByteRange) -> Option<ContentRange> {
        let range = range.byte_range();
        (range.start < range.end).then(|| ContentRange {
            first: range.start,
            last: range.end - 1,
            total: None,
        })
    }

    /// Bytes `first` to `last` inclusive, total unknown; `first <= last < u64::MAX`.
    pub(crate) const fn spanning(first: u64, last: u64) -> ContentRange {
        ContentRange {
            first,
            last,
            total: None,
        }
    }

    /// The half-open byte range.
    ///
    /// ```
    /// let header: glacier_tree_hash::ContentRange = "bytes 0-1048575/*".parse()?;
    /// assert_eq!(header.range(), 0..1 << 20);
    /// # Ok::<(), glacier_tree_hash::ContentRangeError>(())
    /// ```
    #[must_use]
    pub const fn range(&self) -> Range<u64> {
        // `last < u64::MAX` is checked where a ContentRange is made.
        self.first..self.last + 1
    }

    /// The size of the whole archive, when the header says it (`bytes FIRST-LAST/TOTAL`).
    ///
    /// ```
    /// let header: glacier_tree_hash::ContentRange = "bytes 0-99/1000".parse()?;
    /// assert_eq!(header.total(), Some(1000));
    /// # Ok::<(), glacier_tree_hash::ContentRangeError>(())
    /// ```
    #[must_use]
    pub const fn total(&self) -> Option<u64> {
        self.total
    }

    /// The `Range` request header for the same bytes (`bytes=FIRST-LAST`), as GetJobOutput
    /// takes it for a range retrieval.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash_aligned_cover, ContentRange};
    ///
    /// let cover = tree_hash_aligned_cover(5..10, 3 << 20).unwrap();
    /// let header = ContentRange::new(cover).unwrap().range_header();
    /// assert_eq!(header.to_string(), "bytes=0-1048575");
    /// ```
    #[must_use]
    pub const fn range_header(&self) -> RangeHeader {
        RangeHeader {
            first: self.first,
            last: self.last,
        }
    }
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bytes {}-{}/", self.first, self.last)?;
        match self.total {
            Some(total) => write!(f, "{total}"),
            None => f.write_str("*"),
        }
    }
}

impl FromStr for ContentRange {
    type Err = ContentRangeError;

    /// `bytes FIRST-LAST/*` as UploadMultipartPart sends it, `bytes FIRST-LAST/TOTAL` as
    /// GetJobOutput returns it, or `FIRST-LAST` as ListParts reports a part's `RangeInBytes`;
    /// decimal, LAST inclusive, `FIRST <= LAST < TOTAL` and `LAST < u64::MAX`.
    ///
    /// ```
    /// use glacier_tree_hash::ContentRange;
    ///
    /// let listed: ContentRange = "8388608-16777215".parse()?;
    /// assert_eq!(listed.range(), (8 << 20)..(16 << 20));
    /// assert_eq!(listed.to_string(), "bytes 8388608-16777215/*");
    /// assert!("bytes 5-4/*".parse::<ContentRange>().is_err());
    /// assert!("bytes 0-99/99".parse::<ContentRange>().is_err());
    /// # Ok::<(), glacier_tree_hash::ContentRangeError>(())
    /// ```
    fn from_str(text: &str) -> Result<ContentRange, ContentRangeError> {
        let number = |digits: &str| {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ContentRangeError);
            }
            digits.parse::<u64>().map_err(|_| ContentRangeError)
        };
        let (pair, total) = match text.strip_prefix("bytes ") {
            Some(rest) => match rest.split_once('/').ok_or(ContentRangeError)? {
                (pair, "*") => (pair, None),
                (pair, total) => (pair, Some(number(total)?)),
            },
            None => (text, None),
        };
        let (first, last) = pair.split_once('-').ok_or(ContentRangeError)?;
        let (first, last) = (number(first)?, number(last)?);
        if first > last || last == u64::MAX || total.is_some_and(|total| last >= total) {
            return Err(ContentRangeError);
        }
        Ok(ContentRange { first, last, total })
    }
}

/// Text that is not `bytes FIRST-LAST/*`, `bytes FIRST-LAST/TOTAL` or `FIRST-LAST` with
/// `FIRST <= LAST < TOTAL` and `LAST < u64::MAX`.
///
/// ```
/// assert!("bytes 10-5/*".parse::<glacier_tree_hash::ContentRange>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRangeError;

impl fmt::Display for ContentRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a byte range is `bytes FIRST-LAST/*`, `bytes FIRST-LAST/TOTAL` or `FIRST-LAST`, decimal, FIRST <= LAST < TOTAL, LAST < 2^64 - 1",
        )
    }
}

impl core::error::Error for ContentRangeError {}

/// A `Range` request header value, `bytes=FIRST-LAST`: see [`ContentRange::range_header`].
///
/// ```
/// let header = glacier_tree_hash::ContentRange::new(5..10).unwrap().range_header();
/// assert_eq!(header.to_string(), "bytes=5-9");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeHeader {
    first: u64,
    last: u64,
}

impl fmt::Display for RangeHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bytes={}-{}", self.first, self.last)
    }
}

/// Whether Glacier returns a tree hash for a retrieval of `range` from an archive of
/// `archive_size` bytes: whether the range's tree is a node of the archive's tree, i.e. `start`
/// is a multiple of 2^j MiB and `end == min(start + 2^j MiB, archive_size)` for some j ≥ 0.
///
/// ```
/// use glacier_tree_hash::is_tree_hash_aligned;
///
/// const MIB: u64 = 1 << 20;
/// let size = 5 * MIB + 100;
/// assert!(is_tree_hash_aligned(0..size, size));
/// assert!(is_tree_hash_aligned(0..4 * MIB, size));
/// assert!(is_tree_hash_aligned(4 * MIB..size, size));
/// assert!(!is_tree_hash_aligned(MIB..3 * MIB, size)); // 2 MiB, but not at a multiple of 2 MiB
/// assert!(!is_tree_hash_aligned(0..3 * MIB, size)); // not a power of two
/// ```
#[must_use]
pub fn is_tree_hash_aligned(range: impl ByteRange, archive_size: u64) -> bool {
    let range = range.byte_range();
    tree_hash_aligned_cover(&range, archive_size) == Some(range)
}

/// Whether `range` starts on a MiB boundary and ends on one or at the end of the archive, as
/// Glacier requires of the ranges of a range retrieval.
///
/// ```
/// use glacier_tree_hash::is_mib_aligned;
///
/// const MIB: u64 = 1 << 20;
/// assert!(is_mib_aligned(MIB..3 * MIB, 5 * MIB));
/// assert!(is_mib_aligned(MIB..5 * MIB - 1, 5 * MIB - 1));
/// assert!(!is_mib_aligned(1..MIB, 5 * MIB));
/// ```
#[must_use]
pub fn is_mib_aligned(range: impl ByteRange, archive_size: u64) -> bool {
    let range = range.byte_range();
    range.start < range.end
        && range.end <= archive_size
        && range.start.is_multiple_of(MIB)
        && (range.end.is_multiple_of(MIB) || range.end == archive_size)
}

/// The smallest tree-hash-aligned range (see [`is_tree_hash_aligned`]) that contains `wanted`,
/// so a retrieval can ask for bytes that come with a checksum (its `Range` header:
/// [`ContentRange::range_header`]). `None` if `wanted` is empty or
/// reaches past `archive_size`.
///
/// ```
/// use glacier_tree_hash::tree_hash_aligned_cover;
///
/// const MIB: u64 = 1 << 20;
/// let size = 10 * MIB + 100;
/// assert_eq!(tree_hash_aligned_cover(5..10, size), Some(0..MIB));
/// assert_eq!(tree_hash_aligned_cover(MIB + 5..2 * MIB + 5, size), Some(0..4 * MIB));
/// assert_eq!(tree_hash_aligned_cover(9 * MIB..10 * MIB, size), Some(9 * MIB..10 * MIB));
/// assert_eq!(tree_hash_aligned_cover(9 * MIB + 5..size, size), Some(8 * MIB..size));
/// assert_eq!(tree_hash_aligned_cover(0..size + 1, size), None);
/// ```
#[must_use]
pub fn tree_hash_aligned_cover(wanted: impl ByteRange, archive_size: u64) -> Option<Range<u64>> {
    let wanted = wanted.byte_range();
    if wanted.start >= wanted.end || wanted.end > archive_size {
        return None;
    }
    // Nodes of the tree are the blocks of 2^j MiB at multiples of 2^j MiB, cut at the end of
    // the archive; they nest, so the first block size that holds `wanted` gives the smallest.
    // u128 keeps 2^j MiB and the block ends exact near u64::MAX.
    let (start, end, size) = (
        u128::from(wanted.start),
        u128::from(wanted.end),
        u128::from(archive_size),
    );
    let mut block = u128::from(MIB);
    loop {
        let block_start = start - start % block;
        if end <= block_start + block {
            let block_end = (block_start + block).min(size);
            // Both fit in u64: block_start <= start and block_end <= archive_size.
            return Some(u64::try_from(block_start).ok()?..u64::try_from(block_end).ok()?);
        }
        block *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_near_u64_max() {
        let size = u64::MAX;
        assert_eq!(
            tree_hash_aligned_cover(size - 1..size, size).unwrap().end,
            size
        );
        assert_eq!(tree_hash_aligned_cover(0..size, size), Some(0..size));
        assert!(is_tree_hash_aligned(0..size, size));
        assert!(!is_tree_hash_aligned(0..0, size));
        assert!(!is_tree_hash_aligned(0..1, 0));
        assert!(!is_mib_aligned(0..1, 0));
    }
}
