//! The naive reference: the shape of botocore's `calculate_tree_hash`. Hash every 1 MiB chunk
//! into a list, then pair the list level by level, promoting an odd last hash, until one is
//! left. O(n) memory and nothing clever, so tests, benches and fuzz targets can trust it.
//! Also the SplitMix64 generator of the vector inputs, and the vector table
//! (`data/vectors.tsv`: published vectors, and deterministic inputs on which five third-party
//! implementations agree).

use sha2::{Digest, Sha256};

/// The leaf size.
pub const MIB: usize = 1 << 20;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The tree hash of `data`; SHA-256 of nothing for empty input.
pub fn reference_tree_hash(data: &[u8]) -> [u8; 32] {
    reference_tree_hash_with_leaf(data, MIB)
}

/// The same tree over leaves of `leaf` bytes instead of 1 MiB (for the crate's small-leaf
/// test hasher).
pub fn reference_tree_hash_with_leaf(data: &[u8], leaf: usize) -> [u8; 32] {
    if data.is_empty() {
        return sha256(b"");
    }
    reference_reduce(data.chunks(leaf).map(sha256).collect())
}

/// Pairs `level` level by level until one hash is left; an empty list gives SHA-256 of nothing.
pub fn reference_reduce(mut level: Vec<[u8; 32]>) -> [u8; 32] {
    if level.is_empty() {
        return sha256(b"");
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => sha256(&[left.as_slice(), right.as_slice()].concat()),
                [odd] => *odd,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

/// A small deterministic PRNG (SplitMix64), also the generator of the vector inputs.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// The first `len` bytes of the SplitMix64 stream from `seed`, each output little-endian.
pub fn splitmix64_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = SplitMix64(seed);
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        bytes.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// One row of `tests/data/vectors.tsv`.
#[derive(Clone, Debug)]
pub struct Vector {
    pub name: String,
    pub input: String,
    pub size: usize,
    pub tree_hash: String,
    pub linear_sha256: String,
}

impl Vector {
    /// Rebuilds the input bytes from the `input` column.
    pub fn bytes(&self) -> Vec<u8> {
        if self.input == "splitmix64" {
            return splitmix64_bytes(0, self.size);
        }
        let unit = self
            .input
            .strip_prefix("repeat:")
            .map(|hex| {
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex unit"))
                    .collect::<Vec<u8>>()
            })
            .unwrap_or_else(|| panic!("unknown input {:?}", self.input));
        if unit.is_empty() {
            assert_eq!(self.size, 0, "{}: no unit but a size", self.name);
            return Vec::new();
        }
        unit.iter().copied().cycle().take(self.size).collect()
    }
}

/// Every vector no bigger than `max_size` bytes.
pub fn vectors(max_size: usize) -> Vec<Vector> {
    let rows: Vec<Vector> = include_str!("../data/vectors.tsv")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("name\t"))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 6, "malformed vector row {line:?}");
            Vector {
                name: fields[0].to_string(),
                input: fields[1].to_string(),
                size: fields[2].parse().expect("size"),
                tree_hash: fields[3].to_string(),
                linear_sha256: fields[4].to_string(),
            }
        })
        .collect();
    assert!(rows.len() >= 29, "the vector table lost rows");
    rows.into_iter().filter(|v| v.size <= max_size).collect()
}
