//! Multipart hashing, the assembler and range alignment against the naive reference and the
//! definitions, with random archive sizes, part sizes and part orders.
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{
    AddPartError, ArchiveAssembler, AssemblyProblem, Checksums, Hasher, MultipartHasher, PartSize,
    Sha256Hash, TreeHash, combine, is_mib_aligned, is_tree_hash_aligned, tree_hash,
    tree_hash_aligned_cover,
};
use proptest::prelude::*;
use std::ops::Range;
use support::{
    MIB, ShortReader, feed_in_pieces, reference_tree_hash, sha256, splitmix64_bytes, vectors,
};

const MIB64: u64 = MIB as u64;

fn reference(data: &[u8]) -> TreeHash {
    TreeHash::from(reference_tree_hash(data))
}

fn slice<'a>(data: &'a [u8], range: &Range<u64>) -> &'a [u8] {
    &data[range.start as usize..range.end as usize]
}

/// An archive size up to 64 MiB, weighted on multiples of 1 MiB ± 1, and a part size up to
/// 16 MiB.
fn archive_and_part_size() -> impl Strategy<Value = (usize, PartSize)> {
    let size = prop_oneof![
        3 => (0usize..=64, -1isize..=1).prop_map(|(k, d)| (k * MIB).saturating_add_signed(d)),
        1 => 0usize..=64 * MIB,
    ];
    (size, 0u32..=4).prop_map(|(size, k)| (size, PartSize::new(MIB64 << k).unwrap()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn one_pass_gives_every_part_and_the_archive(
        (size, part_size) in archive_and_part_size(),
        seed in any::<u64>(),
        splits in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let data = splitmix64_bytes(seed, size);
        let mut points: Vec<usize> = splits.iter().map(|i| i.index(size + 1)).collect();
        points.sort_unstable();
        let mut hasher = MultipartHasher::new(part_size);
        feed_in_pieces(&data, &points, |piece| {
            hasher.update(piece);
        });
        let summary = hasher.finalize().unwrap();

        let ranges: Vec<Range<u64>> = part_size.parts(size as u64).map(|part| part.range()).collect();
        prop_assert_eq!(summary.parts.len(), ranges.len());
        for (part, range) in summary.parts.iter().zip(&ranges) {
            prop_assert_eq!(&part.part.range(), range);
            prop_assert_eq!(part.checksums.tree_hash, reference(slice(&data, range)));
            prop_assert_eq!(*part.checksums.sha256.as_bytes(), sha256(slice(&data, range)));
        }
        prop_assert_eq!(summary.archive_size, size as u64);
        prop_assert_eq!(summary.tree_hash, reference(&data));

        let mut from_reader = MultipartHasher::new(part_size);
        from_reader.update_reader(ShortReader::new(&data, seed)).unwrap();
        prop_assert_eq!(from_reader.finalize().unwrap(), summary.clone());
        #[cfg(feature = "rayon")]
        {
            let mut parallel = MultipartHasher::new(part_size);
            feed_in_pieces(&data, &points, |piece| {
                parallel.update_rayon(piece);
            });
            prop_assert_eq!(parallel.finalize().unwrap(), summary);
        }
    }

    #[test]
    fn assembling_parts_in_any_order_with_replacements(
        (size, part_size) in archive_and_part_size(),
        seed in any::<u64>(),
        order in any::<prop::sample::Index>(),
        replaced in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let size = size.max(1);
        let data = splitmix64_bytes(seed, size);
        let ranges: Vec<Range<u64>> = part_size.parts(size as u64).map(|part| part.range()).collect();
        let mut shuffled = ranges.clone();
        // A rotation and a reversal: orders other than the natural one.
        shuffled.rotate_left(order.index(ranges.len()));
        if order.index(2) == 1 {
            shuffled.reverse();
        }
        let mut assembler = ArchiveAssembler::new(part_size);
        // Wrong hashes first for some parts; the later upload of the same range replaces them.
        for index in &replaced {
            let range = ranges[index.index(ranges.len())].clone();
            assembler.add_part(range, tree_hash(b"stale")).unwrap();
        }
        for range in &shuffled {
            assembler.add_part(range.clone(), reference(slice(&data, range))).unwrap();
        }
        prop_assert_eq!(assembler.assemble(size as u64).unwrap(), reference(&data));
        let hashes: Vec<TreeHash> = ranges.iter().map(|r| reference(slice(&data, r))).collect();
        prop_assert_eq!(combine(&hashes), reference(&data));
    }

    #[test]
    fn a_dropped_part_is_named_as_missing(
        (size, part_size) in archive_and_part_size(),
        dropped in any::<prop::sample::Index>(),
    ) {
        let size = size.max(1) as u64;
        let ranges: Vec<Range<u64>> = part_size.parts(size).map(|part| part.range()).collect();
        let dropped = ranges[dropped.index(ranges.len())].clone();
        let mut assembler = ArchiveAssembler::new(part_size);
        for range in ranges.iter().filter(|r| **r != dropped) {
            assembler.add_part(range.clone(), tree_hash(b"any")).unwrap();
        }
        let error = assembler.assemble(size).unwrap_err();
        prop_assert_eq!(error.problems, vec![AssemblyProblem::Missing(dropped)]);
    }

    #[test]
    fn misaligned_long_and_overlapping_parts_are_refused(
        part_k in 0u32..=4,
        index in 0u64..100,
        offset in 1u64..MIB64,
        extra in 1u64..MIB64,
    ) {
        let part_size = PartSize::new(MIB64 << part_k).unwrap();
        let start = index * part_size.bytes();
        let mut assembler = ArchiveAssembler::new(part_size);
        let hash = tree_hash(b"part");
        let misaligned = start + offset..start + offset + 10;
        prop_assert_eq!(
            assembler.add_part(misaligned.clone(), hash),
            Err(AddPartError::NotOnPartBoundary { range: misaligned, part_size })
        );
        let long = start..start + part_size.bytes() + extra;
        prop_assert_eq!(
            assembler.add_part(long.clone(), hash),
            Err(AddPartError::LongerThanPartSize { range: long, part_size })
        );
        prop_assert_eq!(
            assembler.add_part(start..start, hash),
            Err(AddPartError::Empty { range: start..start })
        );
        let full = start..start + part_size.bytes();
        assembler.add_part(full.clone(), hash).unwrap();
        let short = start..start + offset.min(part_size.bytes() - 1);
        prop_assert_eq!(
            assembler.add_part(short.clone(), hash),
            Err(AddPartError::Overlaps { range: short, existing: full })
        );
    }
}

#[test]
fn assemble_lists_every_problem() {
    let part_size = PartSize::MIN;
    let mut assembler = ArchiveAssembler::new(part_size);
    let hash = tree_hash(b"x");
    assembler.add_part(MIB64..2 * MIB64, hash).unwrap();
    assembler.add_part(2 * MIB64..2 * MIB64 + 7, hash).unwrap();
    assembler.add_part(4 * MIB64..5 * MIB64, hash).unwrap();
    assembler.add_part(9 * MIB64..10 * MIB64, hash).unwrap();
    let error = assembler.assemble(4 * MIB64 + 10).unwrap_err();
    assert_eq!(
        error.problems,
        [
            AssemblyProblem::Missing(0..MIB64),
            AssemblyProblem::ShortPartNotLast(2 * MIB64..2 * MIB64 + 7),
            AssemblyProblem::Missing(2 * MIB64 + 7..4 * MIB64),
            AssemblyProblem::PastArchiveSize(4 * MIB64..5 * MIB64),
            AssemblyProblem::PastArchiveSize(9 * MIB64..10 * MIB64),
        ]
    );
    let message = error.to_string();
    assert!(
        message.contains("missing") && message.contains("short"),
        "{message}"
    );
    let error = ArchiveAssembler::new(part_size).assemble(0).unwrap_err();
    assert_eq!(error.problems, [AssemblyProblem::EmptyArchive]);
}

#[test]
fn combining_parts_of_other_sizes_gives_a_wrong_hash() {
    let data = splitmix64_bytes(9, 10 * MIB + 1);
    for part_mib in [3, 5, 6, 7] {
        let hashes: Vec<TreeHash> = data.chunks(part_mib * MIB).map(tree_hash).collect();
        assert_ne!(combine(&hashes), reference(&data), "{part_mib} MiB parts");
    }
}

#[test]
fn limits_neither_panic_nor_overflow() {
    // 10,000 parts of 4 GiB: the largest archive Glacier takes.
    let part_size = PartSize::MAX;
    let archive = 10_000 * part_size.bytes();
    let mut assembler = ArchiveAssembler::new(part_size);
    let hashes: Vec<TreeHash> = (0..10_000u32)
        .map(|i| TreeHash::from(sha256(&i.to_le_bytes())))
        .collect();
    for (part, hash) in part_size.parts(archive).zip(&hashes) {
        assembler.add_part(part.range(), *hash).unwrap();
    }
    assert_eq!(assembler.assemble(archive).unwrap(), combine(&hashes));
    assert!(assembler.assemble(archive - 1).is_err());
    assert!(assembler.assemble(u64::MAX).is_err());
    // Ranges at the very top of u64.
    let top = u64::MAX - u64::MAX % part_size.bytes();
    assert!(assembler.add_part(top..u64::MAX, hashes[0]).is_ok());
    assert!(assembler.assemble(u64::MAX).is_err());
    assert_eq!(
        PartSize::for_archive(archive),
        Ok(PartSize::MAX),
        "10,000 × 4 GiB fits"
    );
    assert!(PartSize::for_archive(archive + 1).is_err());
}

/// The definition: `start` a multiple of 2^j MiB and `end == min(start + 2^j MiB, size)`.
fn aligned_by_definition(range: &Range<u64>, size: u64) -> bool {
    range.start < range.end
        && (0..=63 - 20).any(|j| {
            let block = MIB64 << j;
            range.start.is_multiple_of(block) && range.end == (range.start + block).min(size)
        })
}

#[test]
fn alignment_matches_its_definition_for_every_range_up_to_40_mib() {
    for mib in 1..=40u64 {
        for size in [mib * MIB64, mib * MIB64 + 1, mib * MIB64 - 1] {
            let starts = (0..size.div_ceil(MIB64)).map(|k| k * MIB64);
            for start in starts {
                let ends =
                    (start / MIB64 + 1..=size.div_ceil(MIB64)).map(|k| (k * MIB64).min(size));
                for end in ends {
                    let range = start..end;
                    assert_eq!(
                        is_tree_hash_aligned(range.clone(), size),
                        aligned_by_definition(&range, size),
                        "{range:?} of {size}"
                    );
                    assert!(is_mib_aligned(range.clone(), size), "{range:?} of {size}");
                    // One byte off at either end: still decided by the definition.
                    for nudged in [start + 1..end, start..end - 1, start..end + 1] {
                        assert_eq!(
                            is_tree_hash_aligned(nudged.clone(), size),
                            aligned_by_definition(&nudged, size) && nudged.end <= size,
                            "{nudged:?} of {size}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn an_aligned_range_hashes_to_its_node_of_the_archive_tree() {
    // What alignment promises: the range's own tree hash is a node of the archive's tree, so
    // the archive hash can be rebuilt from the aligned ranges that split it.
    let size = 13 * MIB + 77;
    let data = splitmix64_bytes(21, size);
    let cover = |range: Range<u64>| tree_hash_aligned_cover(range, size as u64).unwrap();
    let eight = cover(0..8 * MIB64);
    let four = cover(8 * MIB64..12 * MIB64);
    let tail = cover(12 * MIB64..size as u64);
    assert_eq!(
        (eight.clone(), four.clone(), tail.clone()),
        (0..8 * MIB64, 8 * MIB64..12 * MIB64, 12 * MIB64..size as u64)
    );
    let nodes: Vec<TreeHash> = [eight, four, tail]
        .iter()
        .map(|r| tree_hash(slice(&data, r)))
        .collect();
    // Subtrees of 8, 4 and 1(+) chunks, folded right to left as the tree does.
    let expected = reference(&data);
    let parent =
        |l: TreeHash, r: TreeHash| TreeHash::from(sha256(&[*l.as_bytes(), *r.as_bytes()].concat()));
    assert_eq!(parent(nodes[0], parent(nodes[1], nodes[2])), expected);
}

proptest! {
    #[test]
    fn the_cover_is_aligned_contains_and_is_minimal(
        size in 1u64..=40 * MIB64,
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        let (x, y) = (a.index(size as usize) as u64, b.index(size as usize) as u64);
        let wanted = x.min(y)..x.max(y) + 1;
        let cover = tree_hash_aligned_cover(wanted.clone(), size).unwrap();
        prop_assert!(aligned_by_definition(&cover, size));
        prop_assert!(cover.start <= wanted.start && wanted.end <= cover.end);
        // Minimal: no aligned range that contains `wanted` is shorter.
        for j in 0..=6u32 {
            let block = MIB64 << j;
            let start = wanted.start - wanted.start % block;
            let candidate = start..(start + block).min(size);
            if candidate.end >= wanted.end && candidate.end - candidate.start < cover.end - cover.start {
                prop_assert!(false, "{candidate:?} is smaller than {cover:?} and covers {wanted:?}");
            }
        }
    }
}

#[test]
fn cover_refuses_empty_and_out_of_bounds_ranges() {
    assert_eq!(tree_hash_aligned_cover(5..5, 10), None);
    assert_eq!(tree_hash_aligned_cover(5..11, 10), None);
    assert_eq!(tree_hash_aligned_cover(0..1, 0), None);
}

#[test]
fn checksums_of_every_vector() {
    for vector in vectors(200 * MIB) {
        let data = vector.bytes();
        let expected = Checksums {
            tree_hash: vector.tree_hash.parse().unwrap(),
            sha256: vector.linear_sha256.parse::<Sha256Hash>().unwrap(),
        };
        assert_eq!(Checksums::of(&data), expected, "{}", vector.name);
        assert_eq!(
            Checksums::from_reader(ShortReader::new(&data, 3)).unwrap(),
            expected,
            "{} from a reader",
            vector.name
        );
    }
}

/// Problems come in byte order, a part past the end after the gap before it.
#[test]
fn assembly_problems_are_in_byte_order() {
    let mut assembler = ArchiveAssembler::new(PartSize::MIN);
    assembler.add_part(0..MIB64, tree_hash(b"a")).unwrap();
    assembler
        .add_part(5 * MIB64..6 * MIB64, tree_hash(b"b"))
        .unwrap();
    assembler
        .add_part(2 * MIB64..2 * MIB64 + 1, tree_hash(b"c"))
        .unwrap();
    let error = assembler.assemble(4 * MIB64).unwrap_err();
    assert_eq!(
        error.problems,
        [
            AssemblyProblem::Missing(MIB64..2 * MIB64),
            AssemblyProblem::ShortPartNotLast(2 * MIB64..2 * MIB64 + 1),
            AssemblyProblem::Missing(2 * MIB64 + 1..4 * MIB64),
            AssemblyProblem::PastArchiveSize(5 * MIB64..6 * MIB64),
        ]
    );
    let starts: Vec<u64> = error
        .problems
        .iter()
        .map(|problem| problem.range().map_or(0, |range| range.start))
        .collect();
    assert!(
        starts.windows(2).all(|pair| pair[0] <= pair[1]),
        "{starts:?}"
    );
}
