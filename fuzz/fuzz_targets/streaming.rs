//! Every streaming path against the naive reference. The input describes an input length (up to
//! 24 MiB, so multi-chunk trees are reached), the seed its bytes are expanded from, split points
//! for `update` and `update_rayon`, and read sizes (with `Interrupted`) for the readers.
#![no_main]

use glacier_tree_hash_reference as reference;

use glacier_tree_hash::{calculate_tree_hash, tree_hash, Hasher, TreeHash, TreeHasher};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use reference::{reference_tree_hash, MIB};
use std::io::{self, Read};

/// Reads of the sizes in `sizes` (cycled; 0 means an `Interrupted` error), never more than asked.
/// After `end_at` bytes it returns `Ok(0)` once, then goes on with the rest of `data`, which a
/// correct caller never asks for: the first `Ok(0)` is the end.
struct ScriptedReader<'a> {
    data: &'a [u8],
    sizes: &'a [u32],
    next: usize,
    end_at: usize,
    delivered: usize,
}

impl<'a> ScriptedReader<'a> {
    fn new(data: &'a [u8], sizes: &'a [u32], end_at: usize) -> ScriptedReader<'a> {
        ScriptedReader {
            data,
            sizes,
            next: 0,
            end_at,
            delivered: 0,
        }
    }
}

impl Read for ScriptedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = match self.sizes.get(self.next % self.sizes.len().max(1)) {
            Some(0) if self.next < 4 * self.sizes.len() => {
                self.next += 1;
                return Err(io::Error::new(io::ErrorKind::Interrupted, "scripted"));
            }
            Some(size) => *size as usize,
            None => usize::MAX,
        };
        self.next += 1;
        if self.delivered == self.end_at {
            self.end_at = usize::MAX; // only once
            return Ok(0);
        }
        let left = self.end_at.saturating_sub(self.delivered);
        let n = size.max(1).min(buf.len()).min(self.data.len()).min(left);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.delivered += n;
        Ok(n)
    }
}

fn split_points(u: &mut Unstructured, len: usize) -> Result<Vec<usize>> {
    let count = u.int_in_range(0..=16)?;
    let mut points = Vec::with_capacity(count);
    for _ in 0..count {
        points.push(u.int_in_range(0..=len)?);
    }
    points.sort_unstable();
    Ok(points)
}

fn pieces<'a>(data: &'a [u8], points: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let starts = std::iter::once(0).chain(points.iter().copied());
    let ends = points.iter().copied().chain(std::iter::once(data.len()));
    starts.zip(ends).map(move |(start, end)| &data[start..end])
}

fn run(u: &mut Unstructured) -> Result<()> {
    // Mostly small trees (cheap, so many runs), sometimes up to 24 chunks.
    let chunks: usize = if u.ratio(1, 4)? {
        u.int_in_range(5..=24)?
    } else {
        u.int_in_range(0..=4)?
    };
    let offset: isize = u.int_in_range(-2..=2)?;
    let tail: usize = if u.arbitrary()? {
        u.int_in_range(0..=MIB - 1)?
    } else {
        0
    };
    let len = (chunks * MIB + tail).saturating_add_signed(offset);
    let seed: u64 = u.arbitrary()?;
    let data = reference::splitmix64_bytes(seed, len);
    let expected = TreeHash::from(reference_tree_hash(&data));

    assert_eq!(tree_hash(&data), expected, "tree_hash, {len} bytes");

    let points = split_points(u, len)?;
    let mut serial = TreeHasher::new();
    let mut parallel = TreeHasher::new();
    for (i, piece) in pieces(&data, &points).enumerate() {
        serial.update(piece);
        // Alternate serial and parallel calls on the second hasher.
        if i % 2 == 0 {
            parallel.update_rayon(piece);
        } else {
            parallel.update(piece);
        }
    }
    assert_eq!(serial.finalize(), expected, "update at {points:?}");
    assert_eq!(parallel.finalize(), expected, "update_rayon at {points:?}");
    assert_eq!(serial.count(), len as u64);

    let sizes: Vec<u32> = (0..u.int_in_range(0..=8)?)
        .map(|_| u.int_in_range(0..=3 * MIB as u32))
        .collect::<Result<_>>()?;
    let reader = ScriptedReader::new(&data, &sizes, usize::MAX);
    assert_eq!(
        calculate_tree_hash(reader).unwrap(),
        expected,
        "reads of {sizes:?}"
    );
    let mut pipelined = TreeHasher::new();
    pipelined
        .update_reader_rayon(ScriptedReader::new(&data, &sizes, usize::MAX))
        .unwrap();
    assert_eq!(
        pipelined.finalize(),
        expected,
        "pipeline, reads of {sizes:?}"
    );

    // A reader that ends once, then would go on: only what came before the end counts.
    let end_at = u.int_in_range(0..=len)?;
    let before_end = TreeHash::from(reference_tree_hash(&data[..end_at]));
    let reader = ScriptedReader::new(&data, &sizes, end_at);
    assert_eq!(
        calculate_tree_hash(reader).unwrap(),
        before_end,
        "end at {end_at}, reads of {sizes:?}"
    );
    let mut pipelined = TreeHasher::new();
    pipelined
        .update_reader_rayon(ScriptedReader::new(&data, &sizes, end_at))
        .unwrap();
    assert_eq!(
        pipelined.finalize(),
        before_end,
        "pipeline, end at {end_at}, reads of {sizes:?}"
    );
    Ok(())
}

fuzz_target!(|bytes: &[u8]| {
    let _ = run(&mut Unstructured::new(bytes));
});
