//! Throughput of every entry point against raw SHA-256 over the same bytes, side by side in one
//! run, from 4 KiB to 1 GiB, and the `aws-tree-hash` crate as the peer.
//!
//!     cargo bench --bench throughput                 # everything (about 10 minutes)
//!     cargo bench --bench throughput --features mmap # and `update_mmap_rayon`
//!     cargo bench --bench throughput -- 256MiB       # one size
//!     cargo bench --bench throughput -- leaf_batch   # the leaf engine's crossover
//!     cargo bench --bench throughput -- serial_cpu   # serial paths in thread CPU time
//!
//! The groups `serial_cpu` and `leaf_batch` measure the calling thread's CPU time instead of
//! wall time (their throughputs read "GB/s (cpu)", decimal): on a machine shared with other
//! work, a serial hash's CPU time is barely affected by load, where wall time is.
//!
//! `update` at 256 MiB against `sha2_sha256` is the leaf engine's gain on one core (feature
//! `multi-buffer`; the backend is printed first). `update_64KiB_pieces` is `update` fed the way
//! `io::copy` feeds a writer: whole leaves never arrive in one call, so they are hashed one at a
//! time with `sha2`, like the raw stream.
//!
//! Raw `sha2::Sha256` on one core is the ceiling for a serial tree hash; the parallel paths are
//! judged as multiples of the serial tree hash. Files are written once under `target/` and read
//! from the page cache (criterion's warm-up reads them first).

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glacier_tree_hash::{
    ChecksumHasher, Hasher, MultipartHasher, PartSize, TreeHasher, calculate_tree_hash,
};
use sha2::Sha256;
use std::fs::File;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn input(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

fn label(len: usize) -> String {
    if len < MIB {
        format!("{}KiB", len / KIB)
    } else {
        format!("{}MiB", len / MIB)
    }
}

/// `data` in a file under target/, written if missing or of another size.
fn file_of(data: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data directory");
    let path = dir.join(label(data.len()));
    let up_to_date = std::fs::metadata(&path).is_ok_and(|m| m.len() == data.len() as u64);
    if !up_to_date {
        std::fs::write(&path, data).expect("bench data file");
    }
    path
}

fn entry_points(c: &mut Criterion) {
    eprintln!(
        "leaf engine: {} ({} threads)",
        glacier_tree_hash::leaf_backend(),
        rayon::current_num_threads()
    );
    for len in [4 * KIB, MIB, 16 * MIB, 256 * MIB, 1024 * MIB] {
        let data = input(len);
        let path = file_of(&data);
        let mut group = c.benchmark_group(label(len));
        group.throughput(Throughput::Bytes(len as u64));
        if len >= 256 * MIB {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(if len > 256 * MIB { 12 } else { 6 }));
        }
        group.bench_function(BenchmarkId::from_parameter("sha2_sha256"), |b| {
            b.iter(|| <Sha256 as sha2::Digest>::digest(black_box(&data)))
        });
        group.bench_function(BenchmarkId::from_parameter("update"), |b| {
            b.iter(|| TreeHasher::new().update(black_box(&data)).finalize())
        });
        group.bench_function(BenchmarkId::from_parameter("update_64KiB_pieces"), |b| {
            b.iter(|| {
                let mut hasher = TreeHasher::new();
                for piece in black_box(&data).chunks(64 * KIB) {
                    hasher.update(piece);
                }
                hasher.finalize()
            })
        });
        group.bench_function(BenchmarkId::from_parameter("update_rayon"), |b| {
            b.iter(|| TreeHasher::new().update_rayon(black_box(&data)).finalize())
        });
        // Serial: `calculate_tree_hash(File)`.
        group.bench_function(BenchmarkId::from_parameter("update_reader_file"), |b| {
            b.iter(|| calculate_tree_hash(File::open(&path).unwrap()).unwrap())
        });
        group.bench_function(
            BenchmarkId::from_parameter("update_reader_rayon_file"),
            |b| {
                b.iter(|| {
                    let file = File::open(&path).unwrap();
                    TreeHasher::new()
                        .update_reader_rayon(file)
                        .unwrap()
                        .finalize()
                })
            },
        );
        // Serial: the file opened, then `update_file` of all of it.
        group.bench_function(BenchmarkId::from_parameter("update_file"), |b| {
            b.iter(|| {
                let file = File::open(&path).unwrap();
                TreeHasher::new().update_file(&file, ..).unwrap().finalize()
            })
        });
        group.bench_function(BenchmarkId::from_parameter("update_file_rayon"), |b| {
            b.iter(|| {
                let file = File::open(&path).unwrap();
                TreeHasher::new()
                    .update_file_rayon(&file, ..)
                    .unwrap()
                    .finalize()
            })
        });
        // Both checksums of an UploadArchive body: the linear SHA-256 is one stream.
        group.bench_function(BenchmarkId::from_parameter("checksums_update_rayon"), |b| {
            b.iter(|| {
                ChecksumHasher::new()
                    .update_rayon(black_box(&data))
                    .finalize()
            })
        });
        // A multipart upload's checksums in 8 MiB parts: every part's SHA-256 too.
        if len >= 16 * MIB {
            let part_size = PartSize::new(8 * MIB as u64).unwrap();
            group.bench_function(BenchmarkId::from_parameter("multipart_8MiB_update"), |b| {
                b.iter(|| {
                    MultipartHasher::new(part_size)
                        .update(black_box(&data))
                        .finalize()
                })
            });
            group.bench_function(
                BenchmarkId::from_parameter("multipart_8MiB_update_file_rayon"),
                |b| {
                    b.iter(|| {
                        let file = File::open(&path).unwrap();
                        MultipartHasher::new(part_size)
                            .update_file_rayon(&file, ..)
                            .unwrap()
                            .finalize()
                    })
                },
            );
        }
        #[cfg(feature = "mmap")]
        group.bench_function(BenchmarkId::from_parameter("update_mmap_rayon"), |b| {
            b.iter(|| {
                let file = File::open(&path).unwrap();
                TreeHasher::new()
                    .update_mmap_rayon(&file, ..)
                    .unwrap()
                    .finalize()
            })
        });
        group.bench_function(BenchmarkId::from_parameter("aws_tree_hash_crate"), |b| {
            b.iter(|| aws_tree_hash::calculate_tree_hash(black_box(&data)))
        });
        group.finish();
    }
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`), for single-threaded benches.
struct ThreadCpu;

/// Times as ms, throughputs as decimal GB/s of CPU time.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|ns| *ns /= 1e6);
        "ms (cpu)"
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let bytes = match *throughput {
            Throughput::Bytes(bytes) | Throughput::BytesDecimal(bytes) => bytes as f64,
            _ => return "(no byte throughput)",
        };
        // Bytes per nanosecond are GB/s.
        values.iter_mut().for_each(|ns| *ns = bytes / *ns);
        "GB/s (cpu)"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for ThreadCpu {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }

    fn end(&self, start: ThreadTime) -> Duration {
        start.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// The serial tree hash (`update`, one call) against raw one-stream `sha2` over the same bytes,
/// in thread CPU time: the leaf engine's gain on one core.
fn serial_cpu(c: &mut Criterion<ThreadCpu>) {
    for len in [4 * KIB, MIB, 16 * MIB, 256 * MIB] {
        let data = input(len);
        let mut group = c.benchmark_group(format!("serial_cpu/{}", label(len)));
        group.throughput(Throughput::Bytes(len as u64));
        if len >= 256 * MIB {
            group
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(6));
        }
        group.bench_function("sha2_sha256", |b| {
            b.iter(|| <Sha256 as sha2::Digest>::digest(black_box(&data)))
        });
        group.bench_function("update", |b| {
            b.iter(|| TreeHasher::new().update(black_box(&data)).finalize())
        });
        group.finish();
    }
}

/// `n` whole 1 MiB leaves: one at a time with `sha2`, and in one `tape_sha256::hash_many` call.
/// Where `hash_many` starts to win is the engine's `MIN_BATCH` (src/leaves.rs).
fn leaf_batch(c: &mut Criterion<ThreadCpu>) {
    let data = input(16 * MIB);
    let mut group = c.benchmark_group("leaf_batch");
    for n in [1usize, 2, 3, 4, 5, 8, 16] {
        let leaves: Vec<&[u8]> = data.chunks(MIB).take(n).collect();
        group.throughput(Throughput::Bytes((n * MIB) as u64));
        group.bench_function(BenchmarkId::new("sha2", n), |b| {
            b.iter(|| {
                let mut out = [[0u8; 32]; 16];
                for (digest, leaf) in out.iter_mut().zip(black_box(&leaves)) {
                    *digest = <Sha256 as sha2::Digest>::digest(leaf).into();
                }
                out
            })
        });
        #[cfg(feature = "multi-buffer")]
        group.bench_function(BenchmarkId::new("hash_many", n), |b| {
            b.iter(|| {
                let mut out = [[0u8; 32]; 16];
                tape_sha256::hash_many(black_box(&leaves), &mut out[..n]);
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, entry_points);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = serial_cpu, leaf_batch
}
criterion_main!(benches, cpu);
