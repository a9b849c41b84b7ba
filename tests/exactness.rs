//! Never a wrong hash, never a hang, on every input the OS can hand over: files whose reported
//! size is wrong, FIFOs, files that shrink, readers that end once, archives with too many
//! parts. Each test here failed before the fix it covers.
#![cfg(feature = "std")]

mod support;

use glacier_tree_hash::{
    ChecksumHasher, Checksums, MultipartHasher, PartSize, TooManyParts, TreeHash, TreeHasher,
    calculate_tree_hash, tree_hash, tree_hash_file,
};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::ops::{Bound, RangeBounds};
use support::{MIB, TempFile, splitmix64_bytes};

/// Every file entry point over the whole of `file`: they all agree, or the test says which not.
fn every_file_path(file: &File) -> io::Result<TreeHash> {
    let serial = TreeHasher::new().update_file(file, ..)?.finalize();
    for (name, way) in tree_file_ways() {
        let mut hasher = TreeHasher::new();
        way(&mut hasher, file, bounds(&..))?;
        assert_eq!(hasher.finalize(), serial, "TreeHasher::{name}");
    }
    let checksums = ChecksumHasher::new().update_file(file, ..)?.finalize();
    let multipart = MultipartHasher::new(PartSize::MIN)
        .update_file(file, ..)?
        .finalize()
        .map_err(io::Error::other)?;
    assert_eq!(checksums.tree_hash, serial, "ChecksumHasher::update_file");
    assert_eq!(multipart.tree_hash, serial, "MultipartHasher::update_file");
    #[cfg(feature = "rayon")]
    {
        let checksums = ChecksumHasher::new()
            .update_file_rayon(file, ..)?
            .finalize();
        assert_eq!(
            checksums.tree_hash, serial,
            "ChecksumHasher::update_file_rayon"
        );
    }
    Ok(serial)
}

/// A byte range of a file, bounded or not.
type Bounds = (Bound<u64>, Bound<u64>);

/// A way a `TreeHasher` takes a byte range of a file, and its name.
type FileWay = (
    &'static str,
    fn(&mut TreeHasher, &File, Bounds) -> io::Result<()>,
);

/// `range` as bounds.
fn bounds(range: &impl RangeBounds<u64>) -> Bounds {
    (range.start_bound().cloned(), range.end_bound().cloned())
}

/// Every way a `TreeHasher` takes a byte range of a file, in this build.
fn tree_file_ways() -> Vec<FileWay> {
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

/// `/proc/version` reports 0 bytes but holds a line of text.
#[cfg(target_os = "linux")]
#[test]
fn a_file_that_reports_zero_bytes_is_hashed_by_what_it_holds() {
    let content = std::fs::read("/proc/version").unwrap();
    assert!(!content.is_empty());
    assert_eq!(std::fs::metadata("/proc/version").unwrap().len(), 0);
    let expected = tree_hash(&content);
    assert_eq!(tree_hash_file("/proc/version").unwrap(), expected);
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
    assert_eq!(tree_hash_file(path).unwrap(), expected);
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
        for (name, way) in tree_file_ways() {
            for prefix in [&b""[..], b"prefix"] {
                let mut hasher = TreeHasher::new();
                hasher.update(prefix);
                way(&mut hasher, &file, bounds(&range)).unwrap();
                let expected = tree_hash(&[prefix, bytes].concat());
                assert_eq!(hasher.finalize(), expected, "{name}, {range:?}, {prefix:?}");
            }
        }
    }
    for (name, way) in tree_file_ways() {
        let error = way(&mut TreeHasher::new(), &file, bounds(&(len - 1..len + 1))).unwrap_err();
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
        let inner = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<TooManyParts>());
        assert_eq!(inner.map(TooManyParts::part_count), Some(10_001), "{error}");
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
        for (name, way) in tree_file_ways() {
            let error = way(&mut TreeHasher::new(), &file, bounds(&range)).unwrap_err();
            let kind = error.kind();
            assert_eq!(
                kind,
                io::ErrorKind::UnexpectedEof,
                "{name}, {range:?}: {error}"
            );
        }
    }
    // A range that starts past the end is an error, not the empty-input hash; one that starts
    // exactly at the end is empty.
    for start in [11u64, 100, 1 << 40] {
        for error in [
            TreeHasher::new().update_file(&file, start..).map(drop),
            ChecksumHasher::new().update_file(&file, start..).map(drop),
            MultipartHasher::new(PartSize::MIN)
                .update_file(&file, start..)
                .map(drop),
        ] {
            let error = error.unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::UnexpectedEof,
                "{start}..: {error}"
            );
        }
    }
    // The error names the caller's range and where it really starts to fail.
    let error = TreeHasher::new().update_file(&file, 12..20).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the file has no byte 12, where the range 12..20 starts"
    );
    let at_the_end = TreeHasher::new()
        .update_file(&file, 10..)
        .unwrap()
        .finalize();
    assert_eq!(at_the_end, tree_hash(b""));
    // Up to the last byte a file could have: the whole file.
    let everything = TreeHasher::new()
        .update_file(&file, ..=u64::MAX)
        .unwrap()
        .finalize();
    assert_eq!(everything, tree_hash(&data));
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
