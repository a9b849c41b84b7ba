//! Peak memory of the parallel read paths against their documented bounds, from the process's
//! peak resident set (Linux: reset through `/proc/self/clear_refs`, read from `VmHWM`). One
//! test, so nothing else runs in this process meanwhile.
#![cfg(all(target_os = "linux", feature = "rayon"))]

mod support;

use glacier_tree_hash::__internal::{read_ahead_blocks, read_ahead_buffer_size, tree_block_size};
use glacier_tree_hash::{Hasher, MultipartHasher, PartSize, TreeHasher};
use std::io::{self, Read};
use support::{MIB, TempFile};

/// A reader of `0` zero bytes.
struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

/// The resident set kB line `field` of /proc/self/status, in bytes.
fn status(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib << 10
}

/// How far the resident set rose above where it was while `run` ran.
fn peak_rise(run: impl FnOnce()) -> usize {
    // "5" resets the peak resident set to the current one.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status("VmRSS:");
    run();
    status("VmHWM:").saturating_sub(before)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn parallel_read_paths_stay_within_their_stated_memory() {
    // Slack for thread stacks, the digests, and what the allocator keeps of freed buffers (a
    // resident set counts those too: glibc serves buffers below its moving mmap threshold from
    // the heap and keeps them after they are freed).
    let slack = 16 * MIB;
    for threads in [1, 2, 3] {
        let pool = pool(threads);
        // TreeHasher::update_reader_rayon: at most `read_ahead_blocks` blocks of a batch.
        let bound = pool.install(|| read_ahead_blocks() as usize * tree_block_size());
        let rise = peak_rise(|| {
            pool.install(|| {
                let mut hasher = TreeHasher::new();
                hasher.update_reader_rayon(Zeros(400 << 20)).unwrap();
                hasher.finalize()
            });
        });
        assert!(
            rise <= bound + slack,
            "update_reader_rayon, {threads} threads: {} MiB over a bound of {} MiB",
            rise >> 20,
            bound >> 20
        );
    }

    // MultipartHasher::update_file_rayon: at most 64 MiB of parts being read (plus 1 MiB a
    // thread past 64), freed before the rest goes through the read-ahead loop (two buffers).
    let temp = TempFile::new("memory-parts", b"");
    let writer = std::fs::OpenOptions::new()
        .write(true)
        .open(temp.path())
        .unwrap();
    writer.set_len((600 << 20) + (7 << 20) + 12345).unwrap(); // sparse: zeros
    let file = std::fs::File::open(temp.path()).unwrap();
    for threads in [1, 2, 3] {
        let pool = pool(threads);
        let read_ahead = 2 * pool.install(read_ahead_buffer_size);
        let bound = (64 * MIB).max(read_ahead);
        for part_size in [MIB as u64, 8 << 20, 64 << 20, 128 << 20] {
            let part_size = PartSize::new(part_size).unwrap();
            let rise = peak_rise(|| {
                pool.install(|| {
                    let mut hasher = MultipartHasher::new(part_size);
                    hasher.update_file_rayon(&file, ..).unwrap();
                    hasher.finalize().unwrap()
                });
            });
            assert!(
                rise <= bound + slack,
                "MultipartHasher::update_file_rayon, {threads} threads, {part_size:#} parts: {} \
                 MiB over a bound of {} MiB",
                rise >> 20,
                bound >> 20
            );
        }
    }
}
