//! [`ArchiveAssembler`] and its errors (feature `alloc`): the archive checksum from part
//! hashes uploaded in any order, checked the way CompleteMultipartUpload checks them, and a
//! comparison with what ListParts reports. Needs only a `BTreeMap` and [`combine`].

use crate::{ByteRange, PartSize, TreeHash, combine};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

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

    /// Records the tree hash of the part at the half-open byte `range` (a `Range<u64>`, a
    /// reference to one, a [`Part`](crate::Part) or a [`ContentRange`](crate::ContentRange)
    /// parsed from ListParts). The same range added again replaces the earlier hash, as an
    /// upload of the same range does in Glacier.
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
    pub fn add_part(
        &mut self,
        range: impl ByteRange,
        tree_hash: TreeHash,
    ) -> Result<(), AddPartError> {
        let range = range.byte_range();
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
    /// each part's range, as any [`ByteRange`], and its `SHA256TreeHash`), and the parts only
    /// one side has, in byte order: where to look when CompleteMultipartUpload refuses the
    /// checksum.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, ArchiveAssembler, ContentRange, PartDifference, PartSize};
    ///
    /// const MIB: u64 = 1 << 20;
    /// let mut local = ArchiveAssembler::new(PartSize::MIN);
    /// local.add_part(0..MIB, tree_hash(b"right"))?;
    /// local.add_part(MIB..MIB + 1, tree_hash(b"local"))?;
    /// // ListParts: RangeInBytes and SHA256TreeHash of each part.
    /// let listed: [(ContentRange, _); 2] = [
    ///     ("0-1048575".parse()?, tree_hash(b"right")),
    ///     ("1048576-1048576".parse()?, tree_hash(b"glacier")),
    /// ];
    /// assert_eq!(
    ///     local.differences(listed),
    ///     [PartDifference::Differs {
    ///         range: MIB..MIB + 1,
    ///         local: tree_hash(b"local"),
    ///         listed: tree_hash(b"glacier"),
    ///     }]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn differences<R: ByteRange>(
        &self,
        listed: impl IntoIterator<Item = (R, TreeHash)>,
    ) -> Vec<PartDifference> {
        let listed: BTreeMap<(u64, u64), TreeHash> = listed
            .into_iter()
            .map(|(range, hash)| {
                let range = range.byte_range();
                ((range.start, range.end), hash)
            })
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

impl core::error::Error for AddPartError {}

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

impl core::error::Error for AssembleError {}

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
