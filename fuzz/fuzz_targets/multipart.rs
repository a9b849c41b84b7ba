//! A sequence of assembler operations on a described archive: right parts, stale hashes that a
//! later upload replaces, arbitrary ranges anywhere in u64, and assembles of any size. No panic;
//! `assemble` succeeds exactly when a simple model says the parts tile the archive; and when it
//! succeeds with every latest hash right, the result is the reference hash of the archive.
#![no_main]

use glacier_tree_hash_reference as reference;

use glacier_tree_hash::{ArchiveAssembler, Hasher, MultipartHasher, PartSize, TreeHash};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use reference::{reference_tree_hash, MIB};
use std::collections::BTreeMap;

fn run(u: &mut Unstructured) -> Result<()> {
    let part_size = PartSize::new((MIB as u64) << u.int_in_range(0..=12)?).unwrap();
    // The described archive: small enough to hash, with a part size that may exceed it.
    let size = u.int_in_range(0..=6 * MIB)?;
    let seed: u8 = u.arbitrary()?;
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u8) ^ seed ^ (i >> 20) as u8)
        .collect();
    let parts: Vec<_> = part_size
        .parts(size as u64)
        .map(|part| part.range())
        .collect();
    let hash_of = |range: &std::ops::Range<u64>| {
        TreeHash::from(reference_tree_hash(
            &data[range.start as usize..range.end as usize],
        ))
    };

    let mut assembler = ArchiveAssembler::new(part_size);
    // The model: start -> (end, whether the latest hash is the right one).
    let mut model: BTreeMap<u64, (u64, bool)> = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=24)? {
        let (range, hash, right) = match u.int_in_range(0..=3)? {
            0 | 1 if !parts.is_empty() => {
                let range = parts[u.choose_index(parts.len())?].clone();
                let right = u.arbitrary()?;
                let hash = if right {
                    hash_of(&range)
                } else {
                    TreeHash::from([7; 32])
                };
                (range, hash, right)
            }
            _ => {
                let (a, b): (u64, u64) = (u.arbitrary()?, u.arbitrary()?);
                // Some ranges on part boundaries, the rest anywhere.
                let start = if u.arbitrary()? {
                    a - a % part_size.bytes()
                } else {
                    a
                };
                (start..b, TreeHash::from([9; 32]), false)
            }
        };
        let accepted = assembler.add_part(range.clone(), hash).is_ok();
        let valid = range.start < range.end
            && range.start % part_size.bytes() == 0
            && range.end - range.start <= part_size.bytes()
            && model
                .get(&range.start)
                .is_none_or(|&(end, _)| end == range.end);
        assert_eq!(accepted, valid, "add_part({range:?})");
        if accepted {
            model.insert(range.start, (range.end, right));
        }
    }

    for archive_size in [size as u64, u.arbitrary()?, u64::MAX] {
        let result = assembler.assemble(archive_size);
        let tiles = archive_size > 0 && {
            let mut covered = 0;
            model.iter().all(|(&start, &(end, _))| {
                let ok = start == covered
                    && end <= archive_size
                    && (end - start == part_size.bytes() || end == archive_size);
                covered = end;
                ok
            }) && covered == archive_size
        };
        assert_eq!(
            result.is_ok(),
            tiles,
            "assemble({archive_size}) with {model:?}"
        );
        if let Ok(hash) = result {
            if archive_size == size as u64 && model.values().all(|&(_, right)| right) {
                assert_eq!(hash, TreeHash::from(reference_tree_hash(&data)));
            }
        } else if let Err(error) = result {
            assert!(!error.problems.is_empty());
            // In byte order.
            let starts: Vec<u64> = error
                .problems
                .iter()
                .map(|problem| problem.range().map_or(0, |range| range.start))
                .collect();
            assert!(
                starts.windows(2).all(|w| w[0] <= w[1]),
                "{:?}",
                error.problems
            );
        }
    }

    // The one-pass hasher agrees with the reference on the same archive.
    let summary = MultipartHasher::new(part_size)
        .update(&data)
        .finalize()
        .unwrap();
    assert_eq!(
        summary.tree_hash,
        TreeHash::from(reference_tree_hash(&data))
    );
    assert_eq!(summary.parts.len(), parts.len());
    Ok(())
}

fuzz_target!(|bytes: &[u8]| {
    let _ = run(&mut Unstructured::new(bytes));
});
