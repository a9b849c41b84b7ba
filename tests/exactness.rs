//! Never a wrong hash, never a hang, on every input the OS can hand over: files whose reported
//! size is wrong, FIFOs, files that shrink, readers that end once, archives with too many
//! parts. Each test here failed before the fix it covers.
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{
    ChecksumHasher, Checksums, Hasher, MultipartHasher, PartSize, TooManyParts, TreeHash,
    TreeHasher, calculate_tree_hash, tree_hash,
};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::ops::{Bound, RangeBounds};
use support::{MIB, TempFile, splitmix64_bytes};

/// Every file entry point over the whole of `file`: they all agree, or the test says which not.
fn every_file_path(file: &File) -> io::Result<TreeHash> {
    let serial = TreeHasher::new().update_file(file, ..)?.finalize();
    for (name, result) in every_file_method(file, bounds(&..), b"") {
        assert_eq!(result?, serial, "{name}");
    }
    Ok(serial)
}

/// A byte range of a file, bounded or not.
type Bounds = (Bound<u64>, Bound<u64>);

/// `range` as bounds.
fn bounds(range: &impl RangeBounds<u64>) -> Bounds {
    (range.start_bound().cloned(), range.end_bound().cloned())
}

/// Every file method of the `Hasher` trait in this build, by name.
#[allow(clippy::type_complexity)]
fn file_methods<H: Hasher>() -> Vec<(&'static str, fn(&mut H, &File, Bounds) -> io::Result<()>)> {
    vec![
        ("update_file", |h, f, r| h.update_file(f, r).map(drop)),
        #[cfg(feature = "rayon")]
        ("update_file_rayon", |h, f, r| {
            h.update_file_rayon(f, r).map(drop)
        }),
        #[cfg(feature = "mmap")]
        ("update_mmap", |h, f, r| h.update_mmap(f, r).map(drop)),
        #[cfg(all(feature = "mmap", feature = "rayon"))]
        ("update_mmap_rayon", |h, f, r| {
            h.update_mmap_rayon(f, r).map(drop)
        }),
    ]
}

/// The tree hash that every file method of every hasher gives for `range` of `file` after
/// `prefix` (given to `update` first), named `Type::method`.
fn every_file_method(
    file: &File,
    range: Bounds,
    prefix: &[u8],
) -> Vec<(String, io::Result<TreeHash>)> {
    fn each<H: Hasher>(
        type_name: &str,
        new: impl Fn() -> H,
        tree_hash: impl Fn(H::Output) -> io::Result<TreeHash>,
        (file, range, prefix): (&File, Bounds, &[u8]),
        out: &mut Vec<(String, io::Result<TreeHash>)>,
    ) {
        for (name, method) in file_methods::<H>() {
            let mut hasher = new();
            hasher.update(prefix);
            let result =
                method(&mut hasher, file, range).and_then(|()| tree_hash(hasher.finalize()));
            out.push((format!("{type_name}::{name}"), result));
        }
    }
    let input = (file, range, prefix);
    let mut out = Vec::new();
    each("TreeHasher", TreeHasher::new, Ok, input, &mut out);
    each(
        "ChecksumHasher",
        ChecksumHasher::new,
        |c| Ok(c.tree_hash),
        input,
        &mut out,
    );
    let multipart = || MultipartHasher::new(PartSize::MIN);
    let summary_hash = |s: Result<glacier_tree_hash::MultipartSummary, TooManyParts>| {
        Ok(s.map_err(io::Error::other)?.tree_hash)
    };
    each("MultipartHasher", multipart, summary_hash, input, &mut out);
    out
}

/// `/proc/version` reports 0 bytes but holds a line of text.
#[cfg(target_os = "linux")]
#[test]
fn a_file_that_reports_zero_bytes_is_hashed_by_what_it_holds() {
    let content = std::fs::read("/proc/version").unwrap();
    assert!(!content.is_empty());
    assert_eq!(std::fs::metadata("/proc/version").unwrap().len(), 0);
    let expected = tree_hash(&content);
    assert_eq!(support::tree_hash_path("/proc/version").unwrap(), expected);
    let file = File::open("/proc/version").unwrap();
    assert_eq!(every_file_path(&file).unwrap(), expected);
}

/// sysfs files report 4096 bytes and hold a few: no false "shrank" error, the real content.
#[cfg(target_os = "linux")]
#[test]
fn a_file_that_reports_more_than_it_holds_is_hashed_by_what_it_holds() {
    let path = "/sys/kernel/mm/transparent_hugepage/enabled";
    let content = std::fs::read(path).expect("this Linux machine has transparent huge pages");
    assert_eq!(std::fs::metadata(path).unwrap().len(), 4096);
    assert!(content.len() < 4096);
    let expected = tree_hash(&content);
    assert_eq!(support::tree_hash_path(path).unwrap(), expected);
    assert_eq!(
        every_file_path(&File::open(path).unwrap()).unwrap(),
        expected
    );
}

/// A FIFO is opened once and read to its end; a short writer's bytes are never lost.
#[cfg(unix)]
#[test]
fn a_fifo_is_read_once_to_its_end() {
    use std::io::Write;

    let dir = std::env::temp_dir().join(format!("glacier-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    for (round, len) in [0, 2, 3 * MIB + 1].into_iter().enumerate() {
        let _ = std::fs::remove_file(&fifo);
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let data = splitmix64_bytes(round as u64, len);
        let writer = std::thread::spawn({
            let (fifo, data) = (fifo.clone(), data.clone());
            move || File::create(fifo).unwrap().write_all(&data).unwrap()
        });
        let file = File::open(&fifo).unwrap();
        #[cfg(feature = "rayon")]
        let hash = TreeHasher::new()
            .update_file_rayon(&file, ..)
            .unwrap()
            .finalize();
        #[cfg(not(feature = "rayon"))]
        let hash = TreeHasher::new().update_file(&file, ..).unwrap().finalize();
        writer.join().unwrap();
        assert_eq!(hash, tree_hash(&data), "{len} bytes through a FIFO");
        // A range of a FIFO has no meaning: refused, not guessed.
        let error = TreeHasher::new().update_file(&file, 1..).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ranges_of_a_file_are_exact_and_checked() {
    let data = splitmix64_bytes(21, 5 * MIB + 77);
    let temp = TempFile::new("ranges", &data);
    let file = File::open(temp.path()).unwrap();
    let len = data.len() as u64;
    for range in [
        0..len,
        0..0,
        1..2,
        MIB as u64 - 1..3 * MIB as u64 + 1,
        2 * MIB as u64..4 * MIB as u64,
        len - 5..len,
    ] {
        let bytes = &data[range.start as usize..range.end as usize];
        let checksums = ChecksumHasher::new()
            .update_file(&file, range.clone())
            .unwrap()
            .finalize();
        assert_eq!(checksums, Checksums::of(bytes), "{range:?}");
        // From a leaf boundary, and after a partial leaf (maps and positional reads then start
        // mid-leaf, at any offset).
        for prefix in [&b""[..], b"prefix"] {
            let expected = tree_hash(&[prefix, bytes].concat());
            for (name, result) in every_file_method(&file, bounds(&range), prefix) {
                assert_eq!(result.unwrap(), expected, "{name}, {range:?}, {prefix:?}");
            }
        }
    }
    for (name, result) in every_file_method(&file, bounds(&(len - 1..len + 1)), b"") {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{name}");
        assert!(
            error.to_string().contains(&format!("ends at byte {len}")),
            "{name}: {error}"
        );
    }
    let from_middle = TreeHasher::new()
        .update_file(&file, 3 * MIB as u64..)
        .unwrap()
        .finalize();
    assert_eq!(from_middle, tree_hash(&data[3 * MIB..]));

    #[allow(clippy::reversed_empty_ranges)]
    let backwards = TreeHasher::new().update_file(&file, 5..4).unwrap_err();
    assert_eq!(backwards.kind(), io::ErrorKind::InvalidInput);
    let directory = File::open(std::env::temp_dir()).unwrap();
    let error = TreeHasher::new().update_file(&directory, ..).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
}

/// A file truncated while it is hashed gives an error, never a hash of what was left. The
/// truncation races with hashing, so each round accepts the hash of the whole file (finished
/// first) or an error naming the shrinking, never anything else; and some round must see it.
#[test]
fn a_file_that_shrinks_while_hashed_is_an_error() {
    let len = 256 * MIB as u64;
    let temp = TempFile::new("shrinking", b"");
    let whole = tree_hash(&vec![0u8; len as usize]);
    let mut shrank = 0;
    for round in 0..12 {
        let writer = OpenOptions::new().write(true).open(temp.path()).unwrap();
        writer.set_len(len).unwrap(); // sparse: zeros, cheap to read
        let file = File::open(temp.path()).unwrap();
        let truncate = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(5 + 5 * round));
            writer.set_len(MIB as u64 / 2).unwrap();
        });
        let result = match round % 4 {
            0 => TreeHasher::new()
                .update_file(&file, ..)
                .map(|h| h.finalize()),
            1 => ChecksumHasher::new()
                .update_file(&file, ..)
                .map(|h| h.finalize().tree_hash),
            // Whole parts in parallel: in groups (4 MiB) and one at a time (64 MiB).
            #[cfg(feature = "rayon")]
            2 => MultipartHasher::new(PartSize::new(4 * MIB as u64).unwrap())
                .update_file_rayon(&file, ..)
                .map(|h| h.finalize().unwrap().tree_hash),
            #[cfg(feature = "rayon")]
            3 => MultipartHasher::new(PartSize::COMMON)
                .update_file_rayon(&file, ..)
                .map(|h| h.finalize().unwrap().tree_hash),
            _ => TreeHasher::new()
                .update_file(&file, ..)
                .map(|h| h.finalize()),
        };
        truncate.join().unwrap();
        match result {
            Ok(hash) => assert_eq!(hash, whole, "round {round}: a hash of part of the file"),
            Err(error) => {
                assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
                assert!(error.to_string().contains("shrank"), "{error}");
                shrank += 1;
            }
        }
    }
    assert!(
        shrank > 0,
        "no round truncated the file while it was hashed"
    );
}

/// Reads `data` in reads of at most 100 KiB, then `Ok(0)` once, then `more`: everything after
/// the first end must be ignored, and the reader never called again.
struct EndsOnce<'a> {
    data: &'a [u8],
    more: &'a [u8],
    ended: bool,
    reads_after_end: usize,
}

impl Read for EndsOnce<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ended {
            self.reads_after_end += 1;
            let n = buf.len().min(self.more.len());
            buf[..n].copy_from_slice(&self.more[..n]);
            self.more = &self.more[n..];
            return Ok(n);
        }
        let n = buf.len().min(self.data.len()).min(100 << 10);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ended = n == 0;
        Ok(n)
    }
}

#[test]
fn every_reader_stops_at_the_first_end() {
    let data = splitmix64_bytes(31, 3 * MIB + 5);
    let more = splitmix64_bytes(32, 2 * MIB);
    let expected = tree_hash(&data);
    let reader = || EndsOnce {
        data: &data,
        more: &more,
        ended: false,
        reads_after_end: 0,
    };
    let mut r = reader();
    assert_eq!(calculate_tree_hash(&mut r).unwrap(), expected);
    assert_eq!(r.reads_after_end, 0, "calculate_tree_hash");
    let mut r = reader();
    assert_eq!(
        Checksums::from_reader(&mut r).unwrap(),
        Checksums::of(&data)
    );
    assert_eq!(r.reads_after_end, 0, "Checksums::from_reader");
    let mut r = reader();
    let summary = MultipartHasher::new(PartSize::MIN)
        .update_reader(&mut r)
        .unwrap()
        .finalize()
        .unwrap();
    assert_eq!((summary.tree_hash, r.reads_after_end), (expected, 0));
    #[cfg(feature = "rayon")]
    {
        let mut r = reader();
        let hash = TreeHasher::new()
            .update_reader_rayon(&mut r)
            .unwrap()
            .finalize();
        assert_eq!(
            (hash, r.reads_after_end),
            (expected, 0),
            "update_reader_rayon"
        );
        let mut r = reader();
        let summary = MultipartHasher::new(PartSize::MIN)
            .update_reader_rayon(&mut r)
            .unwrap()
            .finalize()
            .unwrap();
        assert_eq!((summary.tree_hash, r.reads_after_end), (expected, 0));
    }
}

/// 10,000 MiB + 1 byte in parts of 1 MiB: refused before the first read. The file is opened for
/// writing only, so any read would fail with another error.
#[cfg(unix)]
#[test]
fn too_many_parts_are_refused_before_reading_a_file() {
    let temp = TempFile::new("too-many-parts", b"");
    let file = OpenOptions::new().write(true).open(temp.path()).unwrap();
    file.set_len((10_000 << 20) + 1).unwrap();
    for error in [
        MultipartHasher::new(PartSize::MIN)
            .update_file(&file, ..)
            .unwrap_err(),
        #[cfg(feature = "rayon")]
        MultipartHasher::new(PartSize::MIN)
            .update_file_rayon(&file, ..)
            .unwrap_err(),
    ] {
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        let inner = TooManyParts::from_io_error(&error);
        assert_eq!(inner.map(|e| e.part_count()), Some(10_001), "{error}");
    }
    // Exactly 10,000 parts is allowed, and so is the next part size up.
    file.set_len(10_000 << 20).unwrap();
    let error = MultipartHasher::new(PartSize::MIN)
        .update_file(&file, ..)
        .unwrap_err();
    assert_ne!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
}

/// Ranges far past the end of a small file: an error at once, never a read of every chunk the
/// range would hold (2^50 bytes would take hours), never a hash.
#[test]
fn ranges_far_past_the_end_are_errors_at_once() {
    let data = splitmix64_bytes(41, 10);
    let temp = TempFile::new("far-past-the-end", &data);
    let file = File::open(temp.path()).unwrap();
    for range in [
        0..1u64 << 50,
        0..u64::MAX,
        1u64 << 40..u64::MAX,
        5..1u64 << 34,
    ] {
        for (name, result) in every_file_method(&file, bounds(&range), b"") {
            let error = result.unwrap_err();
            let kind = error.kind();
            assert_eq!(
                kind,
                io::ErrorKind::UnexpectedEof,
                "{name}, {range:?}: {error}"
            );
        }
    }
    // A range that starts past the end is an error, not the empty-input hash, on every file
    // method, bounded or not, empty or not; so is `..=u64::MAX`, which reaches past the last
    // byte any file can have. One that starts exactly at the end is empty.
    let past_the_end: [Bounds; 9] = [
        bounds(&(11..)),
        bounds(&(100..)),
        bounds(&(1u64 << 40..)),
        bounds(&(15..15)),
        bounds(&(11..=11)),
        bounds(&(11..20)),
        bounds(&(..=u64::MAX)),
        bounds(&(5..=u64::MAX)),
        (Bound::Excluded(u64::MAX), Bound::Unbounded),
    ];
    for range in past_the_end {
        for (name, result) in every_file_method(&file, range, b"") {
            let error = result.unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::UnexpectedEof,
                "{name}, {range:?}: {error}"
            );
        }
    }
    // The error names the caller's range and where it really starts to fail.
    let error = TreeHasher::new().update_file(&file, 12..20).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the file has no byte 12, where the range 12..20 starts"
    );
    let error = TreeHasher::new().update_file(&file, 12..12).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the file ends before byte 12, where the range starts"
    );
    for range in [bounds(&(10..)), bounds(&(10..10)), bounds(&(3..3))] {
        for (name, result) in every_file_method(&file, range, b"") {
            assert_eq!(result.unwrap(), tree_hash(b""), "{name}, {range:?}");
        }
    }
}

/// A block device reports no size but reads at offsets: hashed whole whatever its cursor, and by
/// ranges. Needs `losetup` and root (as CI runs); says so and checks nothing otherwise.
#[cfg(target_os = "linux")]
#[test]
fn a_block_device_is_hashed_by_offsets() {
    use std::process::Command;

    let data = splitmix64_bytes(51, 3 * MIB + 512);
    let temp = TempFile::new("block-device", &data);
    let attached = Command::new("losetup")
        .args(["--find", "--show"])
        .arg(temp.path())
        .output();
    let device = match attached {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap(),
        other => {
            eprintln!("no loop device here ({other:?}): block devices not tested");
            return;
        }
    };
    let device = device.trim().to_owned();
    let check = || {
        let file = File::open(&device).unwrap();
        let whole = tree_hash(&data);
        assert_eq!(every_file_path(&file).unwrap(), whole, "{device}");
        // Its cursor is not where hashing starts.
        let mut moved = File::open(&device).unwrap();
        moved.read_exact(&mut [0u8; 4096]).unwrap();
        let hash = TreeHasher::new()
            .update_file(&moved, ..)
            .unwrap()
            .finalize();
        assert_eq!(hash, whole, "after the cursor moved");
        let part = TreeHasher::new()
            .update_file(&file, MIB as u64..2 * MIB as u64 + 1)
            .unwrap()
            .finalize();
        assert_eq!(part, tree_hash(&data[MIB..2 * MIB + 1]));
    };
    let result = std::panic::catch_unwind(check);
    let _ = Command::new("losetup").args(["-d", &device]).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Every way a multipart hasher reads a file names the caller's range when the file ends
/// before it, even the one that hashes whole parts side by side and the rest apart.
#[test]
fn multipart_errors_name_the_callers_range() {
    let data = splitmix64_bytes(83, 3 * MIB + 5);
    let temp = TempFile::new("multipart-range-error", &data);
    let file = File::open(temp.path()).unwrap();
    let len = data.len() as u64;
    let expected = format!(
        "the file ends at byte {len}, before the end of the range 0..{}",
        len + 1
    );
    let serial = MultipartHasher::new(PartSize::MIN)
        .update_file(&file, 0..len + 1)
        .unwrap_err();
    assert_eq!(serial.to_string(), expected);
    #[cfg(feature = "rayon")]
    {
        let parallel = MultipartHasher::new(PartSize::MIN)
            .update_file_rayon(&file, 0..len + 1)
            .unwrap_err();
        assert_eq!(parallel.to_string(), expected);
    }
}

/// A file that grows while a multipart hasher near the 10,000-part limit hashes it never makes
/// it hold more than 10,000 parts: the growth can fall between the check of the file's size
/// and the reading of its whole parts, so each round races a thread that keeps resizing it.
#[cfg(feature = "rayon")]
#[test]
fn a_growing_file_never_takes_a_multipart_hasher_past_10000_parts() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let zeros = vec![0u8; 16 * MIB];
    let mut near_the_limit = MultipartHasher::new(PartSize::MIN);
    for _ in 0..624 {
        near_the_limit.update(&zeros);
    }
    near_the_limit.update(&zeros[..14 * MIB]);
    assert_eq!(near_the_limit.count(), 9_998 * MIB as u64);
    let temp = TempFile::new("growing-near-the-limit", b"");
    let stop = Arc::new(AtomicBool::new(false));
    let resizer = {
        let writer = OpenOptions::new().write(true).open(temp.path()).unwrap();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut big = false;
            while !stop.load(Ordering::Relaxed) {
                writer
                    .set_len(if big { 6 * MIB as u64 } else { MIB as u64 })
                    .unwrap();
                big = !big;
            }
        })
    };
    let file = File::open(temp.path()).unwrap();
    // The parts it holds, as its `Debug` shows them.
    let held = |hasher: &MultipartHasher| format!("{hasher:?}").matches("PartChecksums").count();
    for round in 0..1000 {
        let mut hasher = near_the_limit.clone();
        let result = hasher.update_file_rayon(&file, ..).map(drop);
        assert!(held(&hasher) <= 10_000, "round {round}: {result:?}");
        // Past the limit it only counts bytes.
        hasher.update(&zeros);
        assert!(held(&hasher) <= 10_000, "round {round}, after more bytes");
    }
    stop.store(true, Ordering::Relaxed);
    resizer.join().unwrap();
}
