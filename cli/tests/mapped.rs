//! Files hashed from memory maps: the same output as reads, and a file cut short while mapped
//! is an error for that file only, never a death by `SIGBUS`.

#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

/// The tool's map window (cli/src/mapped.rs).
const WINDOW: usize = 64 * MIB;

/// Sizes over the map threshold of 1 MiB, around the window's edges.
const SIZES: [usize; 5] = [
    MIB + 1,
    3 * MIB,
    WINDOW - 1,
    WINDOW + 5,
    2 * WINDOW + 3 * MIB + 7,
];

/// Every output mode.
const MODES: [&[&str]; 5] = [
    &[],
    &["--sha256"],
    &["--json"],
    &["--part-size", "4MiB"],
    &["--part-size", "1MiB", "--json"],
];

#[test]
fn maps_and_reads_print_the_same_in_every_mode() {
    let dir = Dir::new("map-same");
    for (seed, size) in SIZES.into_iter().enumerate() {
        let data = splitmix64_bytes(seed as u64 + 40, size);
        let name = format!("s{size}");
        let path = dir.file(&name, &data);
        let expected = glacier_tree_hash::tree_hash(&data);
        for mode in MODES {
            let mapped = run(dir.path(), mode.iter().chain([&name.as_str()]), Input::Null);
            let read = run(
                dir.path(),
                mode.iter().chain(["--no-mmap", name.as_str()].iter()),
                Input::Null,
            );
            assert_eq!(mapped.code(), Some(0), "{mode:?} {size}: {}", mapped.err());
            assert_eq!(mapped.out(), read.out(), "{mode:?} {size}");
            assert!(mapped.out().contains(&expected.to_string()), "{mode:?}");
        }
        // Standard input that is a regular file, from its cursor (not a page boundary).
        let from = size as u64 / 2 + 3;
        let mut stdin = File::open(&path).unwrap();
        stdin.seek(SeekFrom::Start(from)).unwrap();
        let ran = run(dir.path(), ["-"], Input::File(stdin));
        let rest = glacier_tree_hash::tree_hash(&data[from as usize..]);
        assert_eq!(ran.out(), format!("{rest}  -\n"), "{size}");
    }
}

/// Waits until `pid` maps `path`: true if it did within 20 s.
fn wait_for_map(pid: u32, path: &Path) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if maps(pid, path) {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

fn cut(path: &Path, len: u64) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

#[test]
fn a_file_cut_while_mapped_gets_an_error_and_the_next_file_its_hash_in_every_mode() {
    let dir = Dir::new("map-cut");
    let big = dir.path().join("big");
    let next = splitmix64_bytes(50, 20 * MIB + 3);
    dir.file("next", &next);
    // To 0; into a leaf of the first window; into the middle of the window; to a page edge.
    let cuts = [
        0,
        MIB as u64 / 2 + 123,
        (WINDOW / 2) as u64 + 4097,
        3 * MIB as u64,
    ];
    for (index, mode) in MODES
        .iter()
        .chain([&["--threads", "1"][..]].iter())
        .enumerate()
    {
        let alone = run(dir.path(), mode.iter().chain(["next"].iter()), Input::Null);
        assert_eq!(alone.code(), Some(0), "{mode:?}: {}", alone.err());
        let to = cuts[index % cuts.len()];
        // Sparse: hashing it takes seconds, so the cut comes while a window is mapped.
        File::create(&big).unwrap().set_len(8 << 30).unwrap();
        let mut command = command(BIN, dir.path(), &Input::Null);
        command.args(*mode).args(["big", "next"]);
        let child = command.spawn().unwrap();
        assert!(wait_for_map(child.id(), &big), "{mode:?}: never mapped");
        cut(&big, to);
        let ran = wait(child, Input::Null, LIMIT, "a file cut while mapped");
        assert_eq!(ran.status.signal(), None, "{mode:?}: killed by a signal");
        assert_eq!(ran.code(), Some(1), "{mode:?}: {}", ran.err());
        let err = ran.err();
        assert!(
            err.starts_with("glacier-tree-hash: big: ") && err.contains("shrank"),
            "{mode:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{mode:?}: {err}");
        assert_eq!(ran.out(), alone.out(), "{mode:?}: cut to {to}");
    }
}

#[test]
fn a_file_replaced_by_rename_while_mapped_is_hashed_as_opened() {
    let dir = Dir::new("map-rename");
    let path = dir.path().join("a");
    File::create(&path).unwrap().set_len(2 << 30).unwrap();
    let expected = run(dir.path(), ["--no-mmap", "a"], Input::Null);
    assert_eq!(expected.code(), Some(0), "{}", expected.err());
    dir.file("b", &splitmix64_bytes(51, 3 * MIB));
    let child = command(BIN, dir.path(), &Input::Null)
        .arg("a")
        .spawn()
        .unwrap();
    assert!(wait_for_map(child.id(), &path), "never mapped");
    std::fs::rename(dir.path().join("b"), &path).unwrap();
    let ran = wait(child, Input::Null, LIMIT, "a file replaced while mapped");
    assert_eq!(ran.code(), Some(0), "{}", ran.err());
    assert_eq!(ran.out(), expected.out());
}
