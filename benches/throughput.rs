//! Throughput of the tree hash against raw SHA-256 over the same bytes, side by side.
//!
//!     cargo bench --bench throughput
//!
//! Ratios are what matter: raw `sha2::Sha256` on one core is the ceiling for a serial tree hash.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use glacier_tree_hash::TreeHasher;
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::time::Duration;

const MIB: usize = 1 << 20;

fn input(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9) as u8)
        .collect()
}

fn serial(c: &mut Criterion) {
    let mut group = c.benchmark_group("serial");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for len in [MIB, 256 * MIB] {
        let data = input(len);
        group.throughput(Throughput::Bytes(len as u64));
        let label = format!("{}MiB", len / MIB);
        group.bench_with_input(BenchmarkId::new("sha2_sha256", &label), &data, |b, data| {
            b.iter(|| Sha256::digest(black_box(data)))
        });
        group.bench_with_input(
            BenchmarkId::new("tree_hasher_update", &label),
            &data,
            |b, data| b.iter(|| TreeHasher::new().update(black_box(data)).finalize()),
        );
    }
    group.finish();
}

criterion_group!(benches, serial);
criterion_main!(benches);
