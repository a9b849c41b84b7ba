//! The part layout of multipart uploads: [`PartSize`], [`Part`], [`Parts`], and the
//! 10,000-part limit ([`TooManyParts`]). Nothing here allocates.

use crate::ContentRange;
use core::fmt;
use core::ops::Range;
use core::str::FromStr;

/// 1 MiB, the leaf size and the unit of part sizes and alignment.
const MIB: u64 = 1 << 20;

/// The size of every part of a multipart upload but the last: 1 MiB × 2^k, from 1 MiB to 4 GiB.
///
/// Glacier accepts only these sizes, and only with them does [`combine`](crate::combine) of the
/// parts' tree hashes give the archive's tree hash.
///
/// ```
/// use glacier_tree_hash::PartSize;
///
/// let size = PartSize::new(8 << 20)?;
/// assert_eq!(size.to_string(), "8388608"); // the value of `x-amz-part-size`
/// assert_eq!(format!("{size:#}"), "8 MiB"); // for people
/// assert_eq!("8MiB".parse::<PartSize>()?, size);
/// assert!(PartSize::new(3 << 20).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartSize(u64);

impl PartSize {
    /// The smallest part size: 1 MiB.
    pub const MIN: PartSize = PartSize(MIB);
    /// The largest part size: 4 GiB.
    pub const MAX: PartSize = PartSize(4 << 30);
    /// The most parts one multipart upload may have: 10,000.
    pub const MAX_PARTS: u64 = 10_000;
    /// A common choice, 64 MiB: 160 requests for 10 GiB, 64 MiB in memory per part in flight.
    pub const COMMON: PartSize = PartSize(64 << 20);

    /// `bytes` as a part size, if it is 1 MiB × 2^k from 1 MiB to 4 GiB.
    ///
    /// # Errors
    /// [`PartSizeError::TooSmall`], [`PartSizeError::TooLarge`] or
    /// [`PartSizeError::NotPowerOfTwoMib`], with the size given.
    ///
    /// ```
    /// use glacier_tree_hash::{PartSize, PartSizeError};
    ///
    /// assert_eq!(PartSize::new(1 << 20)?.bytes(), 1_048_576);
    /// assert_eq!(PartSize::new(0), Err(PartSizeError::TooSmall { bytes: 0 }));
    /// assert_eq!(PartSize::new(8 << 30), Err(PartSizeError::TooLarge { bytes: 8 << 30 }));
    /// assert_eq!(PartSize::new(3 << 20), Err(PartSizeError::NotPowerOfTwoMib { bytes: 3 << 20 }));
    /// # Ok::<(), PartSizeError>(())
    /// ```
    pub const fn new(bytes: u64) -> Result<PartSize, PartSizeError> {
        if bytes < PartSize::MIN.0 {
            Err(PartSizeError::TooSmall { bytes })
        } else if bytes > PartSize::MAX.0 {
            Err(PartSizeError::TooLarge { bytes })
        } else if !bytes.is_power_of_two() {
            Err(PartSizeError::NotPowerOfTwoMib { bytes })
        } else {
            Ok(PartSize(bytes))
        }
    }

    /// The smallest part size that splits `archive_size` bytes into at most 10,000 parts: the
    /// fewest bytes held in memory per part in flight, at the cost of the most requests (5,120
    /// requests of 2 MiB for 10 GiB). For fewer, larger requests take the larger of this and
    /// your own choice; [`PartSize::COMMON`] (64 MiB) is a usual one.
    ///
    /// # Errors
    /// [`TooManyParts`] if even 4 GiB parts are more than 10,000 (above 40,000 GiB).
    ///
    /// ```
    /// use glacier_tree_hash::PartSize;
    ///
    /// assert_eq!(PartSize::for_archive(0)?, PartSize::MIN);
    /// assert_eq!(PartSize::for_archive(10_000 << 20)?, PartSize::MIN);
    /// assert_eq!(PartSize::for_archive((10_000 << 20) + 1)?.bytes(), 2 << 20);
    /// let archive_size = 10 << 30; // 10 GiB
    /// let part_size = PartSize::for_archive(archive_size)?.max(PartSize::COMMON);
    /// assert_eq!(part_size.part_count(archive_size), 160);
    /// assert!(PartSize::for_archive(10_000 * (4 << 30) + 1).is_err());
    /// # Ok::<(), glacier_tree_hash::TooManyParts>(())
    /// ```
    pub const fn for_archive(archive_size: u64) -> Result<PartSize, TooManyParts> {
        let mut size = PartSize::MIN;
        while size.part_count(archive_size) > PartSize::MAX_PARTS {
            if size.0 == PartSize::MAX.0 {
                return Err(TooManyParts {
                    part_size: size,
                    archive_size,
                });
            }
            size = PartSize(size.0 * 2);
        }
        Ok(size)
    }

    /// Refuses an archive of `archive_size` bytes that needs more than 10,000 parts of this size,
    /// before anything is read or sent.
    ///
    /// # Errors
    /// [`TooManyParts`], naming the archive size and this part size.
    ///
    /// ```
    /// use glacier_tree_hash::PartSize;
    ///
    /// assert!(PartSize::MIN.check_archive_size(10_000 << 20).is_ok());
    /// let error = PartSize::MIN.check_archive_size((10_000 << 20) + 1).unwrap_err();
    /// assert_eq!(error.part_count(), 10_001);
    /// ```
    pub const fn check_archive_size(self, archive_size: u64) -> Result<(), TooManyParts> {
        if self.part_count(archive_size) > PartSize::MAX_PARTS {
            Err(TooManyParts {
                part_size: self,
                archive_size,
            })
        } else {
            Ok(())
        }
    }

    /// The size in bytes.
    ///
    /// ```
    /// assert_eq!(glacier_tree_hash::PartSize::MAX.bytes(), 4 << 30);
    /// ```
    #[must_use]
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// How many parts an archive of `archive_size` bytes has: 0 for an empty one.
    ///
    /// ```
    /// let size = glacier_tree_hash::PartSize::MIN;
    /// assert_eq!(size.part_count(0), 0);
    /// assert_eq!(size.part_count(1), 1);
    /// assert_eq!(size.part_count((2 << 20) + 1), 3);
    /// ```
    #[must_use]
    pub const fn part_count(self, archive_size: u64) -> u64 {
        archive_size.div_ceil(self.0)
    }

    /// The parts of an archive of `archive_size` bytes, in order: all of this size but the
    /// last, which may be shorter. None for an empty archive. It does not check the 10,000-part
    /// limit: see [`check_archive_size`](PartSize::check_archive_size).
    ///
    /// ```
    /// use glacier_tree_hash::PartSize;
    ///
    /// const MIB: u64 = 1 << 20;
    /// let parts: Vec<_> = PartSize::new(2 * MIB)?.parts(5 * MIB).collect();
    /// let ranges: Vec<_> = parts.iter().map(|part| part.range()).collect();
    /// assert_eq!(ranges, [0..2 * MIB, 2 * MIB..4 * MIB, 4 * MIB..5 * MIB]);
    /// assert_eq!(parts[2].index(), 2);
    /// assert_eq!(parts[2].content_range().to_string(), "bytes 4194304-5242879/*");
    /// # Ok::<(), glacier_tree_hash::PartSizeError>(())
    /// ```
    #[must_use]
    pub const fn parts(self, archive_size: u64) -> Parts {
        Parts {
            next: 0,
            archive_size,
            part_size: self,
        }
    }
}

impl TryFrom<u64> for PartSize {
    type Error = PartSizeError;

    /// [`PartSize::new`].
    fn try_from(bytes: u64) -> Result<PartSize, PartSizeError> {
        PartSize::new(bytes)
    }
}

impl TryFrom<i64> for PartSize {
    type Error = PartSizeError;

    /// A part size as ListParts and DescribeMultipartUpload report it (`PartSizeInBytes`, an
    /// `i64` in the AWS SDKs), checked like [`PartSize::new`]; a negative one is
    /// [`PartSizeError::Negative`].
    ///
    /// ```
    /// use glacier_tree_hash::{PartSize, PartSizeError};
    ///
    /// let listed: i64 = 8_388_608; // ListPartsOutput::part_size_in_bytes()
    /// assert_eq!(PartSize::try_from(listed)?.bytes(), 8 << 20);
    /// assert_eq!(PartSize::try_from(-1i64), Err(PartSizeError::Negative { bytes: -1 }));
    /// # Ok::<(), PartSizeError>(())
    /// ```
    fn try_from(bytes: i64) -> Result<PartSize, PartSizeError> {
        match u64::try_from(bytes) {
            Ok(bytes) => PartSize::new(bytes),
            Err(_) => Err(PartSizeError::Negative { bytes }),
        }
    }
}

impl fmt::Display for PartSize {
    /// The number of bytes, as `x-amz-part-size` wants it (`8388608`); with `{:#}`, the size for
    /// people: `1 MiB` to `512 MiB`, then `1 GiB`, `2 GiB`, `4 GiB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            write!(f, "{}", self.0)
        } else if self.0 >= 1 << 30 {
            write!(f, "{} GiB", self.0 >> 30)
        } else {
            write!(f, "{} MiB", self.0 >> 20)
        }
    }
}

impl FromStr for PartSize {
    type Err = PartSizeError;

    /// A number of bytes, or a number and a binary unit: `8388608`, `8MiB`, `8 MiB`, `8M`,
    /// `8mb`, `4GiB`, `4G`. Units are case-insensitive and always binary (Glacier's documents
    /// write "MB" for MiB); `K`/`KiB` and `B` are accepted too.
    ///
    /// ```
    /// use glacier_tree_hash::PartSize;
    ///
    /// for text in ["8388608", "8MiB", "8 MiB", "8M", "8mb", "8192KiB"] {
    ///     assert_eq!(text.parse::<PartSize>()?.bytes(), 8 << 20);
    /// }
    /// assert!("8 XB".parse::<PartSize>().is_err());
    /// assert!("3MiB".parse::<PartSize>().is_err());
    /// # Ok::<(), glacier_tree_hash::PartSizeError>(())
    /// ```
    fn from_str(text: &str) -> Result<PartSize, PartSizeError> {
        let text = text.trim();
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        if number.is_empty() {
            return Err(PartSizeError::Unreadable);
        }
        let shift = unit_shift(unit.trim_start())?;
        let bytes = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1 << shift))
            .ok_or(PartSizeError::Overflow)?;
        PartSize::new(bytes)
    }
}

/// log2 of the unit `PartSize::from_str` reads, in any case: bytes, KiB, MiB, GiB.
fn unit_shift(unit: &str) -> Result<u32, PartSizeError> {
    let is = |names: &[&str]| names.iter().any(|name| unit.eq_ignore_ascii_case(name));
    if is(&["", "b"]) {
        Ok(0)
    } else if is(&["k", "kb", "ki", "kib"]) {
        Ok(10)
    } else if is(&["m", "mb", "mi", "mib"]) {
        Ok(20)
    } else if is(&["g", "gb", "gi", "gib"]) {
        Ok(30)
    } else {
        Err(PartSizeError::Unreadable)
    }
}

/// Why a size is not a Glacier part size.
///
/// ```
/// use glacier_tree_hash::{PartSize, PartSizeError};
///
/// assert_eq!("3MiB".parse::<PartSize>(), Err(PartSizeError::NotPowerOfTwoMib { bytes: 3 << 20 }));
/// assert_eq!("99999999999999999999".parse::<PartSize>(), Err(PartSizeError::Overflow));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartSizeError {
    /// Below 1 MiB.
    TooSmall {
        /// The size asked for.
        bytes: u64,
    },
    /// Above 4 GiB.
    TooLarge {
        /// The size asked for.
        bytes: u64,
    },
    /// Between the bounds but not 1 MiB × 2^k.
    NotPowerOfTwoMib {
        /// The size asked for.
        bytes: u64,
    },
    /// A negative number of bytes (from an `i64`).
    Negative {
        /// The size given.
        bytes: i64,
    },
    /// Text whose number of bytes does not fit in 64 bits.
    Overflow,
    /// Text that is not a number with an optional unit (B, KiB, MiB, GiB).
    Unreadable,
}

const VALID_SIZES: &str = "1, 2, 4, 8, 16, 32, 64, 128, 256 or 512 MiB, or 1, 2 or 4 GiB";

impl fmt::Display for PartSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PartSizeError::TooSmall { bytes } => write!(
                f,
                "a part size of {bytes} bytes is below 1 MiB; valid sizes are {VALID_SIZES}"
            ),
            PartSizeError::TooLarge { bytes } => write!(
                f,
                "a part size of {bytes} bytes is above 4 GiB; valid sizes are {VALID_SIZES}"
            ),
            PartSizeError::NotPowerOfTwoMib { bytes } => write!(
                f,
                "a part size of {bytes} bytes is not 1 MiB times a power of two; valid sizes are {VALID_SIZES}"
            ),
            PartSizeError::Negative { bytes } => write!(
                f,
                "a part size of {bytes} bytes is negative; valid sizes are {VALID_SIZES}"
            ),
            PartSizeError::Overflow => write!(
                f,
                "that part size is more bytes than 64 bits hold; valid sizes are {VALID_SIZES}"
            ),
            PartSizeError::Unreadable => write!(
                f,
                "a part size is a number with an optional unit (B, KiB, MiB, GiB), such as 8MiB; valid sizes are {VALID_SIZES}"
            ),
        }
    }
}

impl core::error::Error for PartSizeError {}

/// An archive needs more than 10,000 parts of the chosen size, Glacier's limit.
///
/// From [`PartSize::for_archive`] (even 4 GiB parts are too many), [`PartSize::check_archive_size`],
/// and the multipart hashers, which refuse as soon as the size is known or the 10,001st part
/// begins, without reading the rest.
///
/// ```
/// use glacier_tree_hash::PartSize;
///
/// let error = PartSize::MIN.check_archive_size(20_000 << 20).unwrap_err();
/// assert_eq!(error.part_count(), 20_000);
/// assert_eq!(error.smallest_part_size().map(|size| size.bytes()), Some(2 << 20));
/// assert!(error.to_string().contains("at most 10,000"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TooManyParts {
    /// The part size chosen.
    pub part_size: PartSize,
    /// The archive's size; for a stream refused early, the bytes seen when the 10,001st part
    /// began (the archive is at least that long).
    pub archive_size: u64,
}

impl TooManyParts {
    /// How many parts of the chosen size the archive has (at least).
    #[must_use]
    pub const fn part_count(&self) -> u64 {
        self.part_size.part_count(self.archive_size)
    }

    /// The smallest part size that fits the archive in 10,000 parts; `None` above 40,000 GiB.
    #[must_use]
    pub const fn smallest_part_size(&self) -> Option<PartSize> {
        match PartSize::for_archive(self.archive_size) {
            Ok(size) => Some(size),
            Err(_) => None,
        }
    }
}

impl fmt::Display for TooManyParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an archive of {} bytes has {} parts of {:#}, but Glacier allows at most 10,000",
            self.archive_size,
            self.part_count(),
            self.part_size
        )?;
        match self.smallest_part_size() {
            Some(size) => write!(f, ": choose a part size of at least {size:#}"),
            None => f.write_str(" even of 4 GiB"),
        }
    }
}

impl core::error::Error for TooManyParts {}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl TooManyParts {
    /// The `TooManyParts` inside an `io::Error` from a read or file method of a
    /// [`MultipartHasher`](crate::MultipartHasher) (an `InvalidInput` error that carries it),
    /// or `None` for any other error.
    ///
    /// ```
    /// use glacier_tree_hash::{Hasher, MultipartHasher, PartSize, TooManyParts};
    ///
    /// let endless = std::io::repeat(0);
    /// let error = MultipartHasher::new(PartSize::MIN).update_reader(endless).unwrap_err();
    /// let too_many = TooManyParts::from_io_error(&error).unwrap();
    /// assert_eq!(too_many.part_count(), 10_001);
    /// assert_eq!(TooManyParts::from_io_error(&std::io::ErrorKind::Other.into()), None);
    /// ```
    #[must_use]
    pub fn from_io_error(error: &std::io::Error) -> Option<TooManyParts> {
        error.get_ref()?.downcast_ref::<TooManyParts>().copied()
    }
}

/// An `InvalidInput` error that carries the `TooManyParts`: see
/// [`TooManyParts::from_io_error`].
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl From<TooManyParts> for std::io::Error {
    fn from(error: TooManyParts) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
    }
}

/// One part of a multipart upload: its index (from 0) and its bytes in the archive, never
/// empty. From [`PartSize::parts`] and in [`MultipartSummary`](crate::MultipartSummary).
///
/// ```
/// use glacier_tree_hash::PartSize;
///
/// let part = PartSize::MIN.parts(3 << 20).nth(1).unwrap();
/// assert_eq!((part.index(), part.range()), (1, (1 << 20)..(2 << 20)));
/// assert_eq!(part.len(), 1 << 20);
/// assert_eq!(part.content_range().to_string(), "bytes 1048576-2097151/*");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Part {
    index: u64,
    first: u64,
    last: u64,
}

impl Part {
    /// The part's position in the upload, from 0.
    #[must_use]
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The part's bytes in the archive, half-open.
    #[must_use]
    pub const fn range(&self) -> Range<u64> {
        // `last < u64::MAX`: a part ends at most at an archive size, a u64.
        self.first..self.last + 1
    }

    /// The number of bytes, at least 1.
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a part is never empty
    pub const fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// The `Content-Range` header of the part's UploadMultipartPart request.
    #[must_use]
    pub const fn content_range(&self) -> ContentRange {
        ContentRange::spanning(self.first, self.last)
    }

    /// The part at `index` over `range`, which the caller guarantees is not empty.
    #[cfg(feature = "alloc")]
    pub(crate) const fn spanning(index: u64, range: Range<u64>) -> Part {
        debug_assert!(range.start < range.end);
        Part {
            index,
            first: range.start,
            last: range.end.saturating_sub(1),
        }
    }

    /// The part of `part_size` that starts at `index`, in an archive of `archive_size` bytes;
    /// `None` past the end.
    pub(crate) const fn of(part_size: PartSize, index: u64, archive_size: u64) -> Option<Part> {
        let Some(first) = index.checked_mul(part_size.0) else {
            return None;
        };
        if first >= archive_size {
            return None;
        }
        let end = if archive_size - first < part_size.0 {
            archive_size
        } else {
            first + part_size.0
        };
        Some(Part {
            index,
            first,
            last: end - 1,
        })
    }
}

/// The parts of an archive: see [`PartSize::parts`].
///
/// ```
/// let parts = glacier_tree_hash::PartSize::MIN.parts((3 << 20) + 1);
/// assert_eq!(parts.len(), 4);
/// ```
#[derive(Clone, Debug)]
pub struct Parts {
    next: u64,
    archive_size: u64,
    part_size: PartSize,
}

impl Iterator for Parts {
    type Item = Part;

    fn next(&mut self) -> Option<Part> {
        let part = Part::of(self.part_size, self.next, self.archive_size)?;
        self.next += 1;
        Some(part)
    }

    fn nth(&mut self, n: usize) -> Option<Part> {
        self.next = self.next.saturating_add(n as u64);
        self.next()
    }

    fn last(self) -> Option<Part> {
        let count = self.part_size.part_count(self.archive_size);
        (self.next < count).then(|| Part::of(self.part_size, count - 1, self.archive_size))?
    }

    fn count(self) -> usize {
        self.len()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self
            .part_size
            .part_count(self.archive_size)
            .saturating_sub(self.next);
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Parts {}

impl core::iter::FusedIterator for Parts {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContentRange;

    #[test]
    fn every_valid_size_and_its_neighbours() {
        for k in 0..=12 {
            let bytes = MIB << k;
            let size = PartSize::new(bytes).unwrap();
            assert_eq!(size.to_string().parse::<PartSize>(), Ok(size));
            assert_eq!(format!("{size:#}").parse::<PartSize>(), Ok(size));
            assert_eq!(size.to_string(), bytes.to_string());
            assert!(PartSize::new(bytes - 1).is_err());
            assert!(PartSize::new(bytes + 1).is_err());
        }
        assert_eq!(format!("{:#}", PartSize::MAX), "4 GiB");
        assert_eq!(
            format!("{:#}", PartSize::new(512 << 20).unwrap()),
            "512 MiB"
        );
        assert_eq!(PartSize::new(4 << 20).unwrap().to_string(), "4194304");
        assert_eq!("4 MiB".parse::<PartSize>().unwrap().bytes(), 4 << 20);
    }

    #[test]
    fn parsing_refuses_with_reasons() {
        for text in ["", "MiB", "-8MiB", "8 XB", "8MiBs", "0x800000", "8.5MiB"] {
            assert_eq!(
                text.parse::<PartSize>(),
                Err(PartSizeError::Unreadable),
                "{text:?}"
            );
        }
        assert_eq!(
            "99999999999999999999999".parse::<PartSize>(),
            Err(PartSizeError::Overflow)
        );
        assert_eq!(
            "18446744073709551615G".parse::<PartSize>(),
            Err(PartSizeError::Overflow)
        );
        let message = "3MiB".parse::<PartSize>().unwrap_err().to_string();
        assert!(
            message.contains("power of two") && message.contains("4 GiB"),
            "{message}"
        );
    }

    #[test]
    fn for_archive_near_the_limits() {
        let max = PartSize::MAX.bytes();
        assert_eq!(PartSize::for_archive(10_000 * max), Ok(PartSize::MAX));
        assert_eq!(
            PartSize::for_archive(10_000 * max + 1),
            Err(TooManyParts {
                part_size: PartSize::MAX,
                archive_size: 10_000 * max + 1
            })
        );
        assert!(PartSize::for_archive(u64::MAX).is_err());
        assert_eq!(
            PartSize::for_archive(10_000 * (MIB << 3)),
            Ok(PartSize(MIB << 3))
        );
        assert_eq!(
            PartSize::for_archive(10_000 * (MIB << 3) + 1),
            Ok(PartSize(MIB << 4))
        );
    }

    #[test]
    fn parts_cover_the_archive_near_u64_max() {
        let size = PartSize::MAX;
        let archive = u64::MAX;
        let parts = size.parts(archive);
        assert_eq!(parts.size_hint().0 as u64, size.part_count(archive));
        let last = parts.clone().last().unwrap();
        assert_eq!(last.range().end, u64::MAX);
        assert_eq!(last.range().start % size.bytes(), 0);
        assert_eq!(last.index() + 1, size.part_count(archive));
        assert_eq!(PartSize::MIN.parts(0).count(), 0);
        assert_eq!(ContentRange::new(0..0), None);
        assert_eq!(
            ContentRange::new(u64::MAX - 1..u64::MAX).unwrap().range(),
            u64::MAX - 1..u64::MAX
        );
    }

    #[test]
    fn far_parts_are_found_without_walking_to_them() {
        let mut parts = PartSize::MIN.parts(u64::MAX);
        let part = parts.nth(1 << 40).unwrap();
        assert_eq!(part.index(), 1 << 40);
        assert_eq!(part.range().start, (1u64 << 40) * MIB);
        assert_eq!(parts.next().map(|p| p.index()), Some((1 << 40) + 1));
        let last = PartSize::MIN.parts(u64::MAX).last().unwrap();
        assert_eq!(last.range().end, u64::MAX);
        assert_eq!(
            PartSize::MIN.parts(u64::MAX).count() as u64,
            u64::MAX.div_ceil(MIB)
        );
        assert_eq!(PartSize::MIN.parts(5).nth(1), None);
        assert_eq!(PartSize::MIN.parts(0).last(), None);
    }
}
