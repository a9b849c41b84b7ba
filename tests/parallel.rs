//! The parallel paths (feature `rayon`): the read-ahead pipeline at its edges, custom pools,
//! and files.
#![cfg(feature = "rayon")]

mod support;

use glacier_tree_hash::{
    ChecksumHasher, Checksums, Hasher, MultipartHasher, PartSize, TreeHash, TreeHasher,
    calculate_tree_hash, tree_hash,
};
use std::io;
use support::{
    FailingReader, MIB, ShortReader, TempFile, reference_tree_hash, sha256, splitmix64_bytes,
};

fn reference(data: &[u8]) -> TreeHash {
    TreeHash::from(reference_tree_hash(data))
}

/// `TreeHasher::update_reader_rayon` (a job per block) in a pool of `threads` threads.
fn pipelined(reader: impl io::Read + Send, threads: usize) -> io::Result<TreeHash> {
    pool(threads).install(|| Ok(TreeHasher::new().update_reader_rayon(reader)?.finalize()))
}

/// `ChecksumHasher::update_reader_rayon` (blocks hashed one after another, as for every hasher
/// but `TreeHasher`) in a pool of `threads` threads.
fn pipelined_checksums(reader: impl io::Read + Send, threads: usize) -> io::Result<Checksums> {
    pool(threads).install(|| {
        Ok(ChecksumHasher::new()
            .update_reader_rayon(reader)?
            .finalize())
    })
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// Where `TreeHasher`'s pipeline cuts its input in a pool of `threads`: the first MiB on the
/// calling thread, then blocks of 4 MiB doubling up to one engine batch. The last end is where
/// every block is out and the reading thread first waits for one to come back.
fn tree_block_ends(threads: usize) -> Vec<usize> {
    let (largest, most) = pool(threads).install(|| {
        (
            glacier_tree_hash::__internal::tree_block_size(),
            glacier_tree_hash::__internal::read_ahead_blocks(),
        )
    });
    let (mut end, mut block) = (MIB, (4 * MIB).min(largest));
    let mut ends = Vec::new();
    for _ in 0..=most.max(5) {
        end += block;
        ends.push(end);
        block = (2 * block).min(largest);
    }
    ends
}

/// Where the pipeline of the other hashers cuts its input in a pool of `threads`: the first
/// MiB on the calling thread, then blocks of 4 MiB doubling up to the read-ahead buffer, each
/// lengthened (within the buffer) to end at a multiple of an engine batch.
fn block_ends(threads: usize) -> Vec<usize> {
    let (buffer, batch) = pool(threads).install(|| {
        (
            glacier_tree_hash::__internal::read_ahead_buffer_size(),
            glacier_tree_hash::__internal::tree_block_size(),
        )
    });
    let mut block = (4 * MIB).min(buffer);
    let mut ends = vec![MIB + block];
    for _ in 0..5 {
        let end = *ends.last().unwrap();
        block = (2 * block).min(buffer);
        ends.push(end + ((end + block).next_multiple_of(batch) - end).min(buffer));
    }
    ends
}

/// Lengths just around each of `ends`.
fn around(ends: &[usize]) -> Vec<usize> {
    let mut lengths = vec![0, 1, MIB - 1, MIB, MIB + 1];
    for &end in ends {
        lengths.extend([end - 1, end, end + 1]);
    }
    lengths
}

/// Both pipelines agree with the reference on `data` in a pool of `threads`, with whole and
/// short reads.
fn check_pipelines(data: &[u8], threads: usize, seed: u64) {
    let len = data.len();
    let expected = reference(data);
    for (hash, reads) in [
        (pipelined(data, threads), "whole reads"),
        (
            pipelined(ShortReader::new(data, seed), threads),
            "short reads",
        ),
    ] {
        assert_eq!(
            hash.unwrap(),
            expected,
            "tree, {len} bytes, {threads} threads, {reads}"
        );
    }
    for (checksums, reads) in [
        (pipelined_checksums(data, threads), "whole reads"),
        (
            pipelined_checksums(ShortReader::new(data, seed), threads),
            "short reads",
        ),
    ] {
        let checksums = checksums.unwrap();
        assert_eq!(
            checksums.tree_hash, expected,
            "checksums, {len} bytes, {reads}"
        );
        assert_eq!(
            checksums.sha256.as_bytes(),
            &sha256(data),
            "checksums, {len} bytes, {reads}"
        );
    }
}

#[test]
fn pipelines_at_their_block_edges() {
    let mut lengths = around(&tree_block_ends(1));
    lengths.extend(around(&block_ends(1)));
    lengths.sort_unstable();
    lengths.dedup();
    for len in lengths {
        check_pipelines(&splitmix64_bytes(len as u64, len), 1, 1);
    }
}

/// The blocks are sized by the pool: their edges in pools of several sizes.
#[test]
fn pipelines_at_their_block_edges_in_any_pool() {
    for threads in [2, 3] {
        for ends in [tree_block_ends(threads), block_ends(threads)] {
            for len in [ends[2] - 1, ends[3] + 1, ends[4] + 1] {
                check_pipelines(&splitmix64_bytes(len as u64 ^ 77, len), threads, 3);
            }
        }
    }
}

#[test]
fn pipelines_return_the_readers_error_at_every_stage() {
    let tree_ends = tree_block_ends(1);
    let ends = block_ends(1);
    let mut goods = vec![0, 1, MIB - 1, MIB, MIB + 1];
    for end in tree_ends.iter().chain(&ends) {
        goods.extend([end - 1, *end, end + 1]);
    }
    let data = splitmix64_bytes(5, goods.iter().max().unwrap() + MIB);
    for good in goods {
        let error = pipelined(FailingReader { data: &data, good }, 1)
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(
            error.to_string(),
            "disk on fire",
            "tree, after {good} bytes"
        );
        let error = pipelined_checksums(FailingReader { data: &data, good }, 1)
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(
            error.to_string(),
            "disk on fire",
            "checksums, after {good} bytes"
        );
        let error = calculate_tree_hash(FailingReader { data: &data, good })
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(
            error.to_string(),
            "disk on fire",
            "serial, after {good} bytes"
        );
    }
}

#[test]
fn inside_a_one_thread_pool_nothing_deadlocks() {
    // Long enough that the reading thread waits for blocks to come back.
    let len = tree_block_ends(1).last().unwrap() + 9;
    let data = splitmix64_bytes(6, len);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let expected = reference(&data);
    pool.install(|| {
        assert_eq!(
            TreeHasher::new()
                .update_reader_rayon(ShortReader::new(&data, 6))
                .unwrap()
                .finalize(),
            expected
        );
        assert_eq!(
            ChecksumHasher::new()
                .update_reader_rayon(&data[..])
                .unwrap()
                .finalize()
                .tree_hash,
            expected
        );
        assert_eq!(tree_hash(&data), expected);
        assert_eq!(calculate_tree_hash(&data[..]).unwrap(), expected);
    });
    // And from several pool threads at once, each running its own pipeline.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let results = pool.install(|| {
        rayon::join(
            || {
                TreeHasher::new()
                    .update_reader_rayon(&data[..])
                    .unwrap()
                    .finalize()
            },
            || {
                TreeHasher::new()
                    .update_reader_rayon(ShortReader::new(&data, 7))
                    .unwrap()
                    .finalize()
            },
        )
    });
    assert_eq!(results, (expected, expected));
}

/// A tree hasher with bytes of a leaf in progress: the pipeline first finishes that leaf.
#[test]
fn pipeline_after_a_partial_leaf() {
    let data = splitmix64_bytes(8, 40 * MIB + 3);
    for split in [1, MIB - 1, MIB + 5, 3 * MIB + 7] {
        let hash = pool(2).install(|| {
            TreeHasher::new()
                .update(&data[..split])
                .update_reader_rayon(ShortReader::new(&data[split..], 2))
                .unwrap()
                .finalize()
        });
        assert_eq!(hash, reference(&data), "split at {split}");
    }
}

#[test]
fn files_of_every_edge_size() {
    for len in [
        0,
        1,
        MIB - 1,
        MIB,
        MIB + 1,
        2 * MIB,
        3 * MIB + 1,
        8 * MIB + 1,
        33 * MIB - 1,
    ] {
        let data = splitmix64_bytes(len as u64 + 9, len);
        let file = TempFile::new(&format!("edge-{len}"), &data);
        let expected = reference(&data);
        assert_eq!(
            support::tree_hash_path(file.path()).unwrap(),
            expected,
            "{len} bytes"
        );
        let opened = std::fs::File::open(file.path()).unwrap();
        let parallel = TreeHasher::new()
            .update_file_rayon(&opened, ..)
            .unwrap()
            .finalize();
        assert_eq!(parallel, expected, "{len} bytes, update_file_rayon");
        #[cfg(feature = "mmap")]
        {
            let mapped = TreeHasher::new()
                .update_mmap_rayon(&opened, ..)
                .unwrap()
                .finalize();
            assert_eq!(mapped, expected, "{len} bytes, update_mmap_rayon");
        }
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let error = support::tree_hash_path("/nonexistent/glacier-tree-hash").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
}

#[cfg(unix)]
#[test]
fn a_pipe_is_read_as_a_stream() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let data = splitmix64_bytes(10, 2 * MIB + 3);
    // `/dev/stdin` of a child is a pipe: not a regular file, so the stream path is taken.
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cat");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn({
        let data = data.clone();
        move || stdin.write_all(&data)
    });
    let stdout = child.stdout.take().unwrap();
    assert_eq!(calculate_tree_hash(stdout).unwrap(), reference(&data));
    writer.join().unwrap().unwrap();
    child.wait().unwrap();
}

/// `MultipartHasher::update_file_rayon` hashes whole parts side by side: in groups through the
/// leaf engine (small parts, few threads) or one per task (large parts, or many threads). Every
/// way, after a part in progress and over any range, it is `update` of the same bytes.
#[test]
fn multipart_files_hash_whole_parts_side_by_side_exactly() {
    let data = splitmix64_bytes(31, 21 * MIB + 5);
    let temp = TempFile::new("parts-side-by-side", &data);
    let file = std::fs::File::open(temp.path()).unwrap();
    let len = data.len() as u64;
    let mib = MIB as u64;
    for threads in [1, 2, 64] {
        for part_size in [MIB as u64, 2 * mib, 4 * mib] {
            let part_size = PartSize::new(part_size).unwrap();
            for (prefix, range) in [
                (0, 0..len),
                (0, 3..len),
                (5, 0..len),
                (mib as usize + 7, mib - 1..20 * mib + 1),
                (0, 2 * mib..18 * mib),
            ] {
                let bytes = &data[range.start as usize..range.end as usize];
                let expected = MultipartHasher::new(part_size)
                    .update(&data[..prefix])
                    .update(bytes)
                    .finalize()
                    .unwrap();
                let summary = pool(threads).install(|| {
                    MultipartHasher::new(part_size)
                        .update(&data[..prefix])
                        .update_file_rayon(&file, range.clone())
                        .unwrap()
                        .finalize()
                        .unwrap()
                });
                assert_eq!(
                    summary, expected,
                    "{threads} threads, {part_size:#} parts, prefix {prefix}, {range:?}"
                );
            }
        }
    }
    // A bounded range past the end is still an error.
    let error = MultipartHasher::new(PartSize::MIN)
        .update_file_rayon(&file, 0..len + 1)
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
}
