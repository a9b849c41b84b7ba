//! Shared by the integration tests: the reference, input generators, the vector table and
//! readers that misbehave on purpose.
#![allow(dead_code)]

pub mod reference;

use std::io::{self, Read};

#[allow(unused_imports)]
pub use reference::{reference_reduce, reference_tree_hash, sha256, MIB};

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

/// A reader over `data` that returns reads of random sizes (often tiny) and
/// `Interrupted` errors (the first call always), never more than asked.
pub struct ShortReader<'a> {
    data: &'a [u8],
    rng: SplitMix64,
    pub reads: usize,
    pub interruptions: usize,
}

impl<'a> ShortReader<'a> {
    pub fn new(data: &'a [u8], seed: u64) -> ShortReader<'a> {
        ShortReader {
            data,
            rng: SplitMix64(seed),
            reads: 0,
            interruptions: 0,
        }
    }
}

impl Read for ShortReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The first call is always interrupted, later ones one time in eight.
        if self.reads == 0 && self.interruptions == 0 || self.rng.below(8) == 0 {
            self.interruptions += 1;
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        self.reads += 1;
        // Mostly sizes up to 1.5 MiB, a few up to 100 bytes: crosses leaf boundaries at odd places.
        let cap = match self.rng.below(4) {
            0 => 1 + self.rng.below(100),
            _ => 1 + self.rng.below(3 * MIB as u64 / 2),
        } as usize;
        let n = cap.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A reader that yields `good` bytes of `data` and then fails with `ErrorKind::Other`.
pub struct FailingReader<'a> {
    pub data: &'a [u8],
    pub good: usize,
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.good == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.good).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.good -= n;
        Ok(n)
    }
}

/// Splits `len` at `count` random points, sorted, with repeats allowed (empty pieces).
pub fn random_splits(rng: &mut SplitMix64, len: usize, count: usize) -> Vec<usize> {
    let mut points: Vec<usize> = (0..count)
        .map(|_| rng.below(len as u64 + 1) as usize)
        .collect();
    points.sort_unstable();
    points
}

/// Feeds `data` to `update` in the pieces that `points` cut it into.
pub fn feed_in_pieces(data: &[u8], points: &[usize], mut update: impl FnMut(&[u8])) {
    let mut start = 0;
    for &point in points {
        update(&data[start..point]);
        start = point;
    }
    update(&data[start..]);
}

/// A file in the temporary directory, removed when dropped.
pub struct TempFile(std::path::PathBuf);

impl TempFile {
    pub fn new(name: &str, contents: &[u8]) -> TempFile {
        let dir =
            std::env::temp_dir().join(format!("glacier-tree-hash-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("temporary file");
        TempFile(path)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
