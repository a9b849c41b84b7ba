//! Shared by the integration tests: readers that misbehave on purpose, split points, temporary
//! files; and from the reference crate, the reference, the input generator and the vectors.
#![allow(dead_code)]

use std::io::{self, Read};

#[allow(unused_imports)]
pub use glacier_tree_hash_reference::{
    MIB, SplitMix64, Vector, reference_reduce, reference_tree_hash, reference_tree_hash_with_leaf,
    sha256, splitmix64_bytes, vectors,
};

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

/// The tree hash of the file at `path`, opened once, on the calling thread: the serial file
/// path of the library, `Hasher::update_file` of all of it.
#[cfg(feature = "std")]
pub fn tree_hash_path(
    path: impl AsRef<std::path::Path>,
) -> io::Result<glacier_tree_hash::TreeHash> {
    use glacier_tree_hash::Hasher;
    let file = std::fs::File::open(path)?;
    Ok(glacier_tree_hash::TreeHasher::new()
        .update_file(&file, ..)?
        .finalize())
}
