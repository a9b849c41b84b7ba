//! The parallel paths (feature `rayon`): the read-ahead pipeline at its edges, custom pools,
//! and files.
#![cfg(feature = "rayon")]

mod support;

use glacier_tree_hash::{TreeHash, TreeHasher, calculate_tree_hash, tree_hash, tree_hash_file};
use std::io;
use support::{FailingReader, MIB, ShortReader, TempFile, reference_tree_hash, splitmix64_bytes};

fn reference(data: &[u8]) -> TreeHash {
    TreeHash::from(reference_tree_hash(data))
}

/// `update_reader_rayon` in a pool of `threads` threads.
fn pipelined(reader: impl io::Read + Send, threads: usize) -> io::Result<TreeHash> {
    pool(threads).install(|| Ok(TreeHasher::new().update_reader_rayon(reader)?.finalize()))
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// The read-ahead buffer of `update_reader_rayon` in a pool of `threads` threads.
fn buffer_in(threads: usize) -> usize {
    pool(threads).install(glacier_tree_hash::__internal::read_ahead_buffer_size)
}

/// Where the pipeline's blocks end for a pool of `threads`: the first MiB goes through the
/// serial path, then blocks of 4 MiB doubling up to the buffer size.
fn block_ends(threads: usize) -> Vec<usize> {
    let buffer = buffer_in(threads);
    let (mut end, mut block) = (MIB, (4 * MIB).min(buffer));
    let mut ends = Vec::new();
    for _ in 0..6 {
        end += block;
        ends.push(end);
        block = (2 * block).min(buffer);
    }
    ends
}

#[test]
fn pipeline_at_buffer_edges() {
    let mut lengths = vec![0, 1, MIB - 1, MIB, MIB + 1];
    for end in block_ends(1).into_iter().take(4) {
        lengths.extend([end - 1, end, end + 1]);
    }
    for len in lengths {
        let data = splitmix64_bytes(len as u64, len);
        assert_eq!(
            pipelined(&data[..], 1).unwrap(),
            reference(&data),
            "{len} bytes, whole reads"
        );
        assert_eq!(
            pipelined(ShortReader::new(&data, 1), 1).unwrap(),
            reference(&data),
            "{len} bytes, short reads"
        );
    }
}

/// The buffers are sized by the pool: their edges in pools of several sizes.
#[test]
fn update_reader_rayon_at_its_buffer_edges_in_any_pool() {
    for threads in [1, 2, 3] {
        let ends = block_ends(threads);
        for len in [ends[2] - 1, ends[3] + 1, ends[4] + 1] {
            let data = splitmix64_bytes(len as u64 ^ 77, len);
            let hash = pipelined(ShortReader::new(&data, 3), threads).unwrap();
            assert_eq!(hash, reference(&data), "{len} bytes, {threads} threads");
        }
    }
}

#[test]
fn pipeline_returns_the_readers_error_at_every_stage() {
    let buffer = buffer_in(1);
    let data = splitmix64_bytes(5, 6 * buffer + MIB);
    for good in [
        0,
        1,
        buffer - 1,
        buffer,
        buffer + 1,
        2 * buffer,
        5 * buffer + 3,
    ] {
        let error = pipelined(FailingReader { data: &data, good }, 1)
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(error.to_string(), "disk on fire", "after {good} bytes");
        let error = calculate_tree_hash(FailingReader { data: &data, good })
            .expect_err("the reader failed, so there must be no hash");
        assert_eq!(error.to_string(), "disk on fire", "after {good} bytes");
    }
}

#[test]
fn inside_a_one_thread_pool_nothing_deadlocks() {
    let data = splitmix64_bytes(6, 7 * MIB + 9);
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
    ] {
        let data = splitmix64_bytes(len as u64 + 9, len);
        let file = TempFile::new(&format!("edge-{len}"), &data);
        assert_eq!(
            tree_hash_file(file.path()).unwrap(),
            reference(&data),
            "{len} bytes"
        );
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let error = tree_hash_file("/nonexistent/glacier-tree-hash").unwrap_err();
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
