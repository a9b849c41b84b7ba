//! The hashing reader and writer (bytes pass through unchanged, hashes equal the reference) and
//! the async readers (feature `tokio`).
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{HashingReader, HashingWriter, TreeHash};
use proptest::prelude::*;
use std::io::{self, Read, Write};
use support::{MIB, ShortReader, SplitMix64, reference_tree_hash, sha256, splitmix64_bytes};

/// A writer that takes a random number of bytes per call and is sometimes interrupted.
struct ShortWriter {
    written: Vec<u8>,
    rng: SplitMix64,
}

impl Write for ShortWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.rng.below(6) == 0 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let n = buf
            .len()
            .min(1 + self.rng.below(3 * MIB as u64 / 2) as usize);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        (0usize..=12, -1isize..=1).prop_map(|(k, d)| (k * MIB).saturating_add_signed(d)),
        0usize..=5000,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn reading_through_passes_bytes_and_hashes_them(len in length(), seed in any::<u64>()) {
        let data = splitmix64_bytes(seed, len);
        let mut reader = HashingReader::new(ShortReader::new(&data, seed));
        let mut out = Vec::new();
        let mut rng = SplitMix64(seed);
        loop {
            let mut buffer = vec![0u8; 1 + rng.below(2 * MIB as u64) as usize];
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => panic!("{error}"),
            }
        }
        prop_assert_eq!(&out, &data);
        prop_assert_eq!(reader.count(), len as u64);
        let (_, checksums) = reader.into_inner();
        prop_assert_eq!(checksums.tree_hash, TreeHash::from(reference_tree_hash(&data)));
        prop_assert_eq!(*checksums.sha256.as_bytes(), sha256(&data));
    }

    #[test]
    fn writing_through_passes_bytes_and_hashes_them(len in length(), seed in any::<u64>()) {
        let data = splitmix64_bytes(seed, len);
        let mut writer = HashingWriter::new(ShortWriter { written: Vec::new(), rng: SplitMix64(seed) });
        let mut rng = SplitMix64(!seed);
        let mut rest = &data[..];
        while !rest.is_empty() {
            let piece = rest.len().min(1 + rng.below(MIB as u64) as usize);
            writer.write_all(&rest[..piece]).unwrap();
            rest = &rest[piece..];
        }
        writer.flush().unwrap();
        let (inner, checksums) = writer.into_inner();
        prop_assert_eq!(&inner.written, &data);
        prop_assert_eq!(checksums.tree_hash, TreeHash::from(reference_tree_hash(&data)));
        prop_assert_eq!(*checksums.sha256.as_bytes(), sha256(&data));
    }
}

#[test]
fn a_failed_write_hashes_nothing() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashingWriter::new(Broken);
    assert!(writer.write(b"lost").is_err());
    assert_eq!(writer.count(), 0);
}

#[cfg(feature = "tokio")]
mod tokio_readers {
    use super::support::{MIB, SplitMix64, reference_tree_hash, splitmix64_bytes};
    use glacier_tree_hash::{
        Checksums, Hasher, MultipartHasher, PartSize, TreeHash, calculate_tree_hash_async,
        checksums_async, multipart_async,
    };
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, ReadBuf};

    /// Random read sizes, `Interrupted` now and then, and a failure after `fail_after` bytes.
    struct ShortAsyncReader {
        data: Vec<u8>,
        at: usize,
        rng: SplitMix64,
        fail_after: Option<usize>,
    }

    impl AsyncRead for ShortAsyncReader {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.fail_after.is_some_and(|limit| self.at >= limit) {
                return Poll::Ready(Err(io::Error::other("network down")));
            }
            if self.rng.below(7) == 0 {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::Interrupted, "signal")));
            }
            let cap = 1 + self.rng.below(300_000) as usize;
            let end = self.data.len().min(self.at + cap.min(buf.remaining()));
            let end = self
                .fail_after
                .map_or(end, |limit| end.min(limit.max(self.at + 1)));
            let end = end.min(self.data.len());
            buf.put_slice(&self.data[self.at..end]);
            self.at = end;
            Poll::Ready(Ok(()))
        }
    }

    fn reader(data: &[u8], seed: u64, fail_after: Option<usize>) -> ShortAsyncReader {
        ShortAsyncReader {
            data: data.to_vec(),
            at: 0,
            rng: SplitMix64(seed),
            fail_after,
        }
    }

    #[tokio::test]
    async fn async_hashes_equal_the_reference() {
        for (seed, len) in [0, 1, MIB - 1, MIB, 8 * MIB, 8 * MIB + 1, 17 * MIB + 3]
            .into_iter()
            .enumerate()
        {
            let seed = seed as u64;
            let data = splitmix64_bytes(seed, len);
            let expected = TreeHash::from(reference_tree_hash(&data));
            let hash = calculate_tree_hash_async(reader(&data, seed, None))
                .await
                .unwrap();
            assert_eq!(hash, expected, "{len} bytes");
            let checksums = checksums_async(reader(&data, seed + 1, None))
                .await
                .unwrap();
            assert_eq!(checksums, Checksums::of(&data), "{len} bytes");
            let part_size = PartSize::new(2 << 20).unwrap();
            let summary = multipart_async(reader(&data, seed + 2, None), part_size)
                .await
                .unwrap();
            let mut direct = MultipartHasher::new(part_size);
            assert_eq!(summary, direct.update(&data).finalize().unwrap());
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn async_errors_come_back_without_a_hash() {
        let data = splitmix64_bytes(9, 20 * MIB);
        for fail_after in [0, 1, MIB, 8 * MIB, 8 * MIB + 1, 19 * MIB] {
            let error = calculate_tree_hash_async(reader(&data, 3, Some(fail_after)))
                .await
                .expect_err("the reader failed");
            assert_eq!(error.to_string(), "network down", "after {fail_after}");
        }
    }
}
