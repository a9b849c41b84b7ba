//! Readers and writers: short reads, interruptions, failures, empty input.
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{Hasher, TreeHasher, calculate_tree_hash, tree_hash};
use std::io::{self, Write};
use support::{FailingReader, MIB, ShortReader, reference_tree_hash, splitmix64_bytes};

#[test]
fn short_reads_give_the_same_hash_as_one_slice() {
    for (seed, len) in [0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 1, 5 * MIB - 1]
        .into_iter()
        .enumerate()
    {
        let data = splitmix64_bytes(seed as u64, len);
        let hash = calculate_tree_hash(ShortReader::new(&data, seed as u64)).unwrap();
        assert_eq!(hash.as_bytes(), &reference_tree_hash(&data), "{len} bytes");
    }
}

#[test]
fn one_byte_reads_across_a_leaf_boundary() {
    struct OneByte<'a>(&'a [u8]);
    impl io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = usize::from(!self.0.is_empty() && !buf.is_empty());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let data = splitmix64_bytes(3, MIB + 3);
    assert_eq!(
        calculate_tree_hash(OneByte(&data)).unwrap(),
        tree_hash(&data)
    );
}

#[test]
fn an_empty_reader_gives_the_empty_hash() {
    let hash = calculate_tree_hash(io::empty()).unwrap();
    assert_eq!(
        hash.to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_failing_reader_gives_its_error_not_a_hash() {
    let data = splitmix64_bytes(5, 3 * MIB);
    for good in [0, 1, 1000, MIB - 1, MIB, MIB + 1, 2 * MIB + 17] {
        let error = calculate_tree_hash(FailingReader { data: &data, good })
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(error.kind(), io::ErrorKind::Other, "after {good} bytes");
        assert_eq!(error.to_string(), "disk on fire");
    }
}

#[test]
fn writing_is_updating() {
    let data = splitmix64_bytes(6, 2 * MIB + 5);
    let mut hasher = TreeHasher::new();
    io::copy(&mut ShortReader::new(&data, 6), &mut hasher).unwrap();
    hasher.flush().unwrap();
    assert_eq!(hasher.finalize(), tree_hash(&data));
    assert_eq!(hasher.count(), data.len() as u64);
}

#[test]
fn update_reader_continues_after_update() {
    let data = splitmix64_bytes(8, 2 * MIB + 9);
    let mut hasher = TreeHasher::new();
    hasher
        .update(&data[..MIB + 1])
        .update_reader(ShortReader::new(&data[MIB + 1..], 8))
        .unwrap();
    assert_eq!(hasher.finalize(), tree_hash(&data));
}

/// A reader that claims more bytes than the buffer holds broke `Read`'s contract: an
/// `InvalidData` error, never a panic and never a hash of bytes it did not write.
#[test]
fn a_reader_that_claims_too_much_is_an_error() {
    /// Honest for `honest` bytes, then claims one byte more than it was given, writing none.
    struct Liar {
        honest: usize,
    }
    impl io::Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.honest == 0 {
                return Ok(buf.len() + 1);
            }
            let n = buf.len().min(self.honest);
            buf[..n].fill(1);
            self.honest -= n;
            Ok(n)
        }
    }
    for honest in [0, 100 << 10, MIB, 3 * MIB + 5] {
        let error = calculate_tree_hash(Liar { honest }).unwrap_err();
        assert_eq!(
            error.kind(),
            io::ErrorKind::InvalidData,
            "{honest}: {error}"
        );
        let error = glacier_tree_hash::Checksums::from_reader(Liar { honest }).unwrap_err();
        assert_eq!(
            error.kind(),
            io::ErrorKind::InvalidData,
            "{honest}: {error}"
        );
        #[cfg(feature = "rayon")]
        {
            let mut hasher = TreeHasher::new();
            let error = hasher.update_reader_rayon(Liar { honest }).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidData,
                "{honest}: {error}"
            );
        }
        let mut reader = glacier_tree_hash::HashingReader::new(Liar { honest });
        let error = io::copy(&mut reader, &mut io::sink()).unwrap_err();
        assert_eq!(
            error.kind(),
            io::ErrorKind::InvalidData,
            "{honest}: {error}"
        );
    }
}

/// The serial read loop's first MiB goes through a stack buffer, then blocks of one leaf-engine
/// batch (16 MiB with a 16-lane kernel): lengths at those edges, with short reads.
#[test]
fn serial_reads_at_the_block_edges() {
    for len in [
        MIB + 16 * MIB - 1,
        MIB + 16 * MIB,
        MIB + 16 * MIB + 1,
        MIB + 32 * MIB + 1,
        MIB + 8 * MIB + 1,
        MIB + 4 * MIB - 1,
    ] {
        let data = splitmix64_bytes(len as u64 ^ 5, len);
        let expected = reference_tree_hash(&data);
        let hash = calculate_tree_hash(ShortReader::new(&data, len as u64)).unwrap();
        assert_eq!(hash.as_bytes(), &expected, "{len} bytes, short reads");
        let mut hasher = TreeHasher::new();
        hasher.update(&data[..7]).update_reader(&data[7..]).unwrap();
        assert_eq!(
            hasher.finalize().as_bytes(),
            &expected,
            "{len} bytes after 7"
        );
    }
}
