//! Every row of `tests/data/vectors.tsv` through each entry point. The 1 GiB row is `#[ignore]`d:
//! run it with `cargo test --release --test vectors -- --ignored`.
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{Hasher, TreeHash, TreeHasher, calculate_tree_hash, tree_hash};
use support::{ShortReader, SplitMix64, Vector, feed_in_pieces, random_splits, sha256, vectors};

const DEFAULT_MAX: usize = 200 * support::MIB;

fn check_vector(vector: &Vector, seed: u64) {
    let data = vector.bytes();
    let expected: TreeHash = vector.tree_hash.parse().expect("vector hash");
    let name = &vector.name;
    assert_eq!(data.len(), vector.size, "{name}: size");
    assert_eq!(
        TreeHash::from(sha256(&data)).to_string(),
        vector.linear_sha256,
        "{name}: the regenerated input is not the vector's input"
    );

    assert_eq!(tree_hash(&data), expected, "{name}: tree_hash");

    let mut rng = SplitMix64(seed);
    let pieces = 1 + rng.below(40) as usize;
    let points = random_splits(&mut rng, data.len(), pieces);
    let mut hasher = TreeHasher::new();
    feed_in_pieces(&data, &points, |piece| {
        hasher.update(piece);
    });
    assert_eq!(
        hasher.finalize(),
        expected,
        "{name}: TreeHasher at {points:?}"
    );
    assert_eq!(hasher.count(), data.len() as u64, "{name}: count");

    let mut reader = ShortReader::new(&data, seed);
    let hash = calculate_tree_hash(&mut reader).expect("an in-memory reader");
    assert_eq!(
        hash, expected,
        "{name}: calculate_tree_hash with short reads"
    );
    assert!(
        reader.interruptions > 0,
        "{name}: the reader never interrupted"
    );

    let mut serial = TreeHasher::new();
    serial
        .update_reader(ShortReader::new(&data, !seed))
        .expect("an in-memory reader");
    assert_eq!(serial.finalize(), expected, "{name}: update_reader");

    #[cfg(feature = "rayon")]
    {
        let mut parallel = TreeHasher::new();
        let prefix = data.len().min(rng.below(3 * support::MIB as u64) as usize);
        parallel
            .update(&data[..prefix])
            .update_rayon(&data[prefix..]);
        assert_eq!(
            parallel.finalize(),
            expected,
            "{name}: update_rayon after {prefix}"
        );

        // One pool thread, so buffers of 2 MiB: many pipeline steps even for small vectors.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool");
        let mut pipelined = TreeHasher::new();
        pool.install(|| {
            pipelined
                .update_reader_rayon(ShortReader::new(&data, seed ^ 1))
                .map(drop)
        })
        .expect("an in-memory reader");
        assert_eq!(
            pipelined.finalize(),
            expected,
            "{name}: update_reader_rayon"
        );
    }

    let file = support::TempFile::new(&format!("vector-{name}"), &data);
    assert_eq!(
        support::tree_hash_path(file.path()).expect("a readable file"),
        expected,
        "{name}: update_file of the path"
    );
}

#[test]
fn every_vector_through_every_entry_point() {
    let all = vectors(DEFAULT_MAX);
    assert!(all.len() >= 28, "only {} vectors", all.len());
    for (seed, vector) in all.iter().enumerate() {
        check_vector(vector, seed as u64);
    }
}

#[test]
#[ignore = "1 GiB of input: run with --ignored, preferably with --release"]
fn the_one_gib_vector() {
    let big: Vec<Vector> = vectors(usize::MAX)
        .into_iter()
        .filter(|v| v.size > DEFAULT_MAX)
        .collect();
    assert_eq!(big.len(), 1);
    check_vector(&big[0], 7);
}
