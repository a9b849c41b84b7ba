//! The real `glacier-tree-hash` binary, compared with the reference and with `sha256sum`
//! wherever the two do the same thing. Every run has a time limit: a hang fails the test.

#![cfg(unix)]

mod support;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::time::{Duration, Instant};
use support::*;

const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---------------------------------------------------------------------------------------------
// Hashing: every kind of input gives the reference's hash.

#[test]
fn vectors_through_a_path_a_pipe_and_stdin_as_a_file() {
    let dir = Dir::new("vectors");
    for vector in vectors(8 * MIB) {
        let data = vector.bytes();
        let path = dir.file(&vector.name, &data);
        let ran = run(dir.path(), [&vector.name], Input::Null);
        assert_eq!(ran.code(), Some(0), "{}: {}", vector.name, ran.err());
        assert_eq!(
            ran.out(),
            format!("{}  {}\n", vector.tree_hash, vector.name)
        );
        for args in [&["-"][..], &[][..]] {
            let ran = run(dir.path(), args, Input::Bytes(data.clone()));
            assert_eq!(
                ran.out(),
                format!("{}  -\n", vector.tree_hash),
                "{}",
                vector.name
            );
            let ran = run(dir.path(), args, Input::File(File::open(&path).unwrap()));
            assert_eq!(
                ran.out(),
                format!("{}  -\n", vector.tree_hash),
                "{}",
                vector.name
            );
        }
    }
}

#[test]
fn sizes_around_the_serial_limit_match_the_reference() {
    let dir = Dir::new("sizes");
    for (seed, size) in [
        (1, MIB - 1),
        (2, MIB),
        (3, MIB + 1),
        (4, 2 * MIB + 1),
        (5, 5 * MIB + 3),
    ] {
        let data = splitmix64_bytes(seed, size);
        let name = format!("s{size}");
        let path = dir.file(&name, &data);
        let expected = tree(&data);
        let ran = run(dir.path(), [&name], Input::Null);
        assert_eq!(ran.out(), format!("{expected}  {name}\n"));
        let ran = run(dir.path(), ["-"], Input::Bytes(data.clone()));
        assert_eq!(ran.out(), format!("{expected}  -\n"));
        let ran = run(
            dir.path(),
            ["--threads", "1", "-"],
            Input::File(File::open(&path).unwrap()),
        );
        assert_eq!(ran.out(), format!("{expected}  -\n"));
    }
}

#[test]
fn stdin_that_is_a_file_is_hashed_from_its_cursor_like_sha256sum() {
    let dir = Dir::new("cursor");
    let data = splitmix64_bytes(6, 3 * MIB + 5);
    let path = dir.file("data", &data);
    for offset in [10, 2 * MIB + 1, data.len()] {
        let mut file = File::open(&path).unwrap();
        file.seek(SeekFrom::Start(offset as u64)).unwrap();
        let ran = run(dir.path(), [] as [&str; 0], Input::File(file));
        assert_eq!(ran.code(), Some(0), "{}", ran.err());
        assert_eq!(
            ran.out(),
            format!("{}  -\n", tree(&data[offset..])),
            "from {offset}"
        );
    }
    // Where the tree hash is the SHA-256 (1 MiB or less), the two tools print the same line.
    let small = dir.file("small", &data[..1000]);
    let mut file = File::open(&small).unwrap();
    file.seek(SeekFrom::Start(17)).unwrap();
    let ours = run(dir.path(), ["-"], Input::File(file.try_clone().unwrap()));
    file.seek(SeekFrom::Start(17)).unwrap();
    let theirs = sha256sum(dir.path(), ["-"], Input::File(file));
    assert_eq!(ours.stdout, theirs.stdout);
    // Both leave the offset after what they hashed: `- -` hashes the file, then nothing.
    for (path, args) in [
        (&small, &["-", "-"][..]),
        (&path, &["-", "-", "--sha256"][..]),
    ] {
        let mut file = File::open(path).unwrap();
        file.seek(SeekFrom::Start(5)).unwrap();
        let ours = run(dir.path(), args, Input::File(file.try_clone().unwrap()));
        assert_eq!(
            file.stream_position().unwrap(),
            file.metadata().unwrap().len()
        );
        let rest = &std::fs::read(path).unwrap()[5..];
        let first = if args.contains(&"--sha256") {
            format!("{}  {}  -\n", tree(rest), sha(rest))
        } else {
            format!("{}  -\n", tree(rest))
        };
        let second = if args.contains(&"--sha256") {
            format!("{EMPTY}  {EMPTY}  -\n")
        } else {
            format!("{EMPTY}  -\n")
        };
        assert_eq!(ours.out(), first + &second, "{args:?}");
        if !args.contains(&"--sha256") {
            file.seek(SeekFrom::Start(5)).unwrap();
            let theirs = sha256sum(dir.path(), args, Input::File(file));
            assert_eq!(ours.stdout, theirs.stdout);
        }
    }
}

#[test]
fn proc_files_hash_their_real_content() {
    let dir = Dir::new("proc");
    for name in ["/proc/version", "/proc/self/maps"] {
        if std::fs::metadata(name).is_err() {
            continue;
        }
        // /proc/version is the same for both readers; /proc/self/maps is not, but must not be
        // the empty-input hash, which is what trusting its reported size of 0 gives.
        let ours = run(dir.path(), [name], Input::Null);
        assert_eq!(ours.code(), Some(0), "{}", ours.err());
        assert!(!ours.out().starts_with(EMPTY), "{name}: {}", ours.out());
        if name == "/proc/version" {
            let theirs = sha256sum(dir.path(), [name], Input::Null);
            assert_eq!(ours.out(), theirs.out());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Names: sha256sum's escaping, byte for byte, and round trips through both tools' --check.

/// Names that need care: newline, backslash, carriage return, tab, spaces, a leading dash, a
/// leading star, bytes that are not UTF-8.
fn awkward_names() -> Vec<&'static OsStr> {
    [
        &b"new\nline"[..],
        b"back\\slash",
        b"both\\and\nnewline",
        b"carriage\rreturn",
        b"tab\there",
        b"two  spaces",
        b" leading space",
        b"-leading-dash",
        b"*star",
        b"not-utf8-\xff\xfe",
        b"plain.txt",
    ]
    .into_iter()
    .map(os)
    .collect()
}

#[test]
fn lines_and_escaping_are_byte_identical_to_sha256sum() {
    let dir = Dir::new("escaping");
    let names = awkward_names();
    for (index, name) in names.iter().enumerate() {
        // At most 1 MiB: the tree hash is the SHA-256, so the lines must be identical.
        dir.file(name, &splitmix64_bytes(index as u64, 1000 * index));
    }
    let args = |extra: &[&'static str]| -> Vec<&'static OsStr> {
        let mut args: Vec<&'static OsStr> = extra.iter().map(|s| OsStr::new(*s)).collect();
        args.push(OsStr::new("--"));
        args.extend(names.iter().copied());
        args
    };
    for extra in [&[][..], &["-z"][..], &["--zero"][..]] {
        let ours = run(dir.path(), args(extra), Input::Null);
        let theirs = sha256sum(dir.path(), args(extra), Input::Null);
        assert_eq!(ours.code(), Some(0), "{}", ours.err());
        assert_eq!(
            ours.stdout,
            theirs.stdout,
            "{extra:?}:\n{}\n{}",
            ours.out(),
            theirs.out()
        );
    }
    assert!(
        run(dir.path(), args(&[]), Input::Null)
            .out()
            .starts_with("\\")
    );
}

#[test]
fn check_reads_back_both_tools_lists_with_awkward_names() {
    let dir = Dir::new("roundtrip");
    let names = awkward_names();
    for (index, name) in names.iter().enumerate() {
        // Over 1 MiB for some, so the tree hash differs from the SHA-256 there.
        let size = if index % 3 == 0 {
            MIB + 1 + 7 * index
        } else {
            100 * index
        };
        dir.file(name, &splitmix64_bytes(100 + index as u64, size));
    }
    let mut args: Vec<&OsStr> = vec![OsStr::new("--")];
    args.extend(names.iter().copied());
    let ours = run(dir.path(), &args, Input::Null);
    let theirs = sha256sum(dir.path(), &args, Input::Null);
    dir.file("ours.list", &ours.stdout);
    dir.file("theirs.list", &theirs.stdout);
    let mut expected_check = Vec::new();
    for name in &names {
        let bytes = bytes_of(name);
        if bytes.contains(&b'\n') {
            expected_check.push(b'\\');
            for &b in bytes {
                match b {
                    b'\n' => expected_check.extend_from_slice(b"\\n"),
                    b'\\' => expected_check.extend_from_slice(b"\\\\"),
                    b'\r' => expected_check.extend_from_slice(b"\\r"),
                    b => expected_check.push(b),
                }
            }
        } else {
            expected_check.extend_from_slice(bytes);
        }
        expected_check.extend_from_slice(b": OK\n");
    }
    let ours_checks_ours = run(dir.path(), ["-c", "ours.list"], Input::Null);
    assert_eq!(
        ours_checks_ours.code(),
        Some(0),
        "{}",
        ours_checks_ours.err()
    );
    assert_eq!(
        ours_checks_ours.stdout,
        expected_check,
        "{}",
        ours_checks_ours.out()
    );
    // The same output as sha256sum checking its own list.
    let theirs_checks_theirs = sha256sum(dir.path(), ["-c", "theirs.list"], Input::Null);
    assert_eq!(ours_checks_ours.stdout, theirs_checks_theirs.stdout);
    // Names read back from sha256sum's list are the same files: the small ones match, the
    // ones over 1 MiB fail (their SHA-256 is not their tree hash), with the same lines.
    let ours_checks_theirs = run(dir.path(), ["-c", "theirs.list"], Input::Null);
    let theirs_checks_ours = sha256sum(dir.path(), ["-c", "ours.list"], Input::Null);
    assert_eq!(ours_checks_theirs.code(), Some(1));
    assert_eq!(theirs_checks_ours.code(), Some(1));
    assert_eq!(ours_checks_theirs.stdout, theirs_checks_ours.stdout);
    let failed = ours_checks_theirs.out().matches(": FAILED\n").count();
    assert_eq!(
        failed,
        names.len().div_ceil(3),
        "{}",
        ours_checks_theirs.out()
    );
    assert_eq!(
        ours_checks_theirs.err(),
        as_ours(&theirs_checks_ours.stderr)
    );
}

#[test]
fn messages_quote_control_characters_in_names() {
    let dir = Dir::new("quote");
    let name = os(b"evil\n\x1b[31mname\xff");
    let ran = run(dir.path(), [name], Input::Null);
    assert_eq!(ran.code(), Some(1));
    let err = ran.err();
    assert_eq!(
        err,
        "glacier-tree-hash: 'evil'$'\\n'$'\\033''[31mname'$'\\377': No such file or directory\n"
    );
    assert!(!ran.stderr.contains(&0x1b));
}

// ---------------------------------------------------------------------------------------------
// --check, flag by flag, against sha256sum.

/// A directory with a good file, a changed one, a list naming them, a missing file, a
/// malformed line and a comment.
fn check_fixture() -> Dir {
    let dir = Dir::new("check");
    let good = splitmix64_bytes(7, 1000);
    let changed = splitmix64_bytes(8, 2000);
    dir.file("good", &good);
    dir.file("changed", &changed[1..]);
    let list = format!(
        "# a comment\n{}  good\n{}  changed\nnot a line at all\n{EMPTY}  missing\n{} *good\n",
        sha(&good),
        sha(&changed),
        sha(&good).to_uppercase()
    );
    dir.file("list", list.as_bytes());
    dir
}

#[test]
fn check_flags_behave_as_in_sha256sum() {
    let dir = check_fixture();
    let flag_sets: [&[&str]; 10] = [
        &[],
        &["--quiet"],
        &["--status"],
        &["--ignore-missing"],
        &["--strict"],
        &["--warn"],
        &["-w", "--quiet", "--ignore-missing"],
        &["--status", "--warn"],
        &["--quiet", "--status"],
        &["--status", "--quiet"],
    ];
    for flags in flag_sets {
        let mut args = vec!["--check"];
        args.extend_from_slice(flags);
        args.push("list");
        let ours = run(dir.path(), &args, Input::Null);
        // Standard output and the exit status are sha256sum's with the same flags.
        let theirs = sha256sum(dir.path(), &args, Input::Null);
        assert_eq!(ours.code(), theirs.code(), "{flags:?}: {}", ours.err());
        assert_eq!(ours.code(), Some(1), "{flags:?}");
        assert_eq!(ours.out(), theirs.out(), "{flags:?}");
        // Standard error too, except that our default is sha256sum's --warn (each malformed
        // line, with its number) unless --status is in effect (the last of --quiet, --status
        // and --warn wins, as in sha256sum).
        let last = flags
            .iter()
            .rev()
            .find(|flag| ["--quiet", "--status", "--warn", "-w"].contains(flag));
        let mut warn_args = args.clone();
        if last != Some(&"--status") {
            warn_args.insert(warn_args.len() - 1, "--warn");
        }
        let theirs = sha256sum(dir.path(), &warn_args, Input::Null);
        assert_eq!(ours.err(), as_ours(&theirs.stderr), "{flags:?}");
    }
}

#[test]
fn check_exit_status_follows_strict_and_ignore_missing() {
    let dir = Dir::new("check-status");
    let good = splitmix64_bytes(9, MIB + 1);
    dir.file("good", &good);
    let ok_and_malformed = format!("{}  good\nnonsense\n", tree(&good));
    dir.file("list", ok_and_malformed.as_bytes());
    let ran = run(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(ran.code(), Some(0), "a malformed line alone is a warning");
    assert_eq!(ran.out(), "good: OK\n");
    assert!(
        ran.err().contains("list: 2: improperly formatted"),
        "{}",
        ran.err()
    );
    assert!(
        ran.err()
            .contains("WARNING: 1 line is improperly formatted")
    );
    let ran = run(dir.path(), ["-c", "--strict", "list"], Input::Null);
    assert_eq!(ran.code(), Some(1), "--strict");
    let ran = run(dir.path(), ["-c", "--status", "list"], Input::Null);
    assert_eq!(
        (ran.code(), ran.stdout.len(), ran.stderr.len()),
        (Some(0), 0, 0)
    );

    dir.file("missing.list", format!("{EMPTY}  missing\n").as_bytes());
    let ran = run(
        dir.path(),
        ["-c", "--ignore-missing", "missing.list"],
        Input::Null,
    );
    assert_eq!(ran.code(), Some(1));
    assert!(
        ran.err().contains("missing.list: no file was verified"),
        "{}",
        ran.err()
    );
    let both = format!("{EMPTY}  missing\n{}  good\n", tree(&good));
    dir.file("both.list", both.as_bytes());
    let ran = run(
        dir.path(),
        ["-c", "--ignore-missing", "both.list"],
        Input::Null,
    );
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(0), String::from("good: OK\n"))
    );

    dir.file("empty.list", b"");
    for list in ["empty.list", "/dev/null"] {
        let ours = run(dir.path(), ["-c", list], Input::Null);
        let theirs = sha256sum(dir.path(), ["-c", list], Input::Null);
        assert_eq!(ours.code(), Some(1));
        assert_eq!(ours.err(), as_ours(&theirs.stderr));
    }
}

#[test]
fn check_lists_come_from_every_file_in_turn_or_stdin() {
    let dir = Dir::new("lists");
    let a = splitmix64_bytes(10, 2 * MIB + 3);
    let b = splitmix64_bytes(11, 17);
    dir.file("a", &a);
    dir.file("b", &b);
    dir.file("a.list", format!("{}  a\n", tree(&a)).as_bytes());
    dir.file("b.list", format!("{}  b\n", tree(&b)).as_bytes());
    let ran = run(dir.path(), ["-c", "a.list", "b.list"], Input::Null);
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(0), String::from("a: OK\nb: OK\n"))
    );
    let list = format!("{}  b\n{}  a\n", tree(&b), tree(&a));
    for args in [&["-c"][..], &["--check", "-"][..]] {
        let ran = run(dir.path(), args, Input::Bytes(list.clone().into_bytes()));
        assert_eq!(
            (ran.code(), ran.out()),
            (Some(0), String::from("b: OK\na: OK\n")),
            "{args:?}"
        );
    }
    // A missing list is an error for that list; the next is still checked.
    let ran = run(dir.path(), ["-c", "nope.list", "b.list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(ran.out(), "b: OK\n");
    assert!(
        ran.err().contains("nope.list: No such file or directory"),
        "{}",
        ran.err()
    );
}

#[test]
fn check_reads_sha256_lines_and_checks_both_hashes() {
    let dir = Dir::new("check-sha256");
    let data = splitmix64_bytes(12, 2 * MIB + 3);
    dir.file("data", &data);
    let ran = run(dir.path(), ["--sha256", "data"], Input::Null);
    assert_eq!(
        ran.out(),
        format!("{}  {}  data\n", tree(&data), sha(&data))
    );
    dir.file("good.list", &ran.stdout);
    // Issue 19: a --sha256 list is read only when asked for.
    let ran = run(dir.path(), ["-c", "--sha256", "good.list"], Input::Null);
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(0), String::from("data: OK\n")),
        "{}",
        ran.err()
    );
    // A wrong SHA-256 with the right tree hash fails.
    let wrong = format!("{}  {}  data\n", tree(&data), sha(&data[1..]));
    dir.file("bad.list", wrong.as_bytes());
    let ran = run(dir.path(), ["-c", "--sha256", "bad.list"], Input::Null);
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(1), String::from("data: FAILED\n"))
    );
}

#[test]
fn check_refuses_part_size_and_json_lines_by_number() {
    let dir = Dir::new("check-parts");
    let data = splitmix64_bytes(13, 3 * MIB);
    dir.file("data", &data);
    let parts = run(dir.path(), ["--part-size", "1MiB", "data"], Input::Null);
    let json = run(dir.path(), ["--json", "data"], Input::Null);
    dir.file("parts.list", &parts.stdout);
    dir.file("json.list", &json.stdout);
    let ran = run(dir.path(), ["-c", "parts.list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    let err = ran.err();
    for line in 1..=4 {
        assert!(
            err.contains(&format!(
                "parts.list: {line}: a line of --part-size or --json output"
            )),
            "{err}"
        );
    }
    assert!(
        err.contains("no properly formatted checksum lines found"),
        "{err}"
    );
    let ran = run(dir.path(), ["-c", "json.list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert!(
        ran.err()
            .contains("json.list: 1: a line of --part-size or --json output")
    );
}

#[test]
fn a_bad_line_does_not_end_the_check() {
    // Issue 11, item 11: a non-UTF-8 line is reported with its number, the rest is checked,
    // and the summary is printed.
    let dir = Dir::new("bad-line");
    let a = splitmix64_bytes(14, MIB + 2);
    dir.file("a", &a);
    dir.file(os(b"name-\xff"), b"x");
    let mut list = format!("{}  a\n", tree(&a)).into_bytes();
    list.extend_from_slice(b"\xff\xfe garbage \x80\n");
    list.extend_from_slice(format!("{}  name-", sha(b"x")).as_bytes());
    list.extend_from_slice(b"\xff\n");
    list.extend_from_slice(format!("{}  a\n", tree(&a[1..])).as_bytes());
    dir.file("list", &list);
    let ran = run(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(ran.stdout, b"a: OK\nname-\xff: OK\na: FAILED\n");
    let err = ran.err();
    assert!(
        err.contains("list: 2: improperly formatted tree hash line"),
        "{err}"
    );
    assert!(
        err.contains("WARNING: 1 line is improperly formatted"),
        "{err}"
    );
    assert!(
        err.contains("WARNING: 1 computed checksum did NOT match"),
        "{err}"
    );
}

#[test]
fn a_list_on_stdin_naming_stdin_is_an_error_not_a_hang() {
    // Issue 11, item 3.
    let dir = Dir::new("stdin-list");
    let list = format!("{EMPTY}  -\n");
    for args in [&["-c", "-"][..], &["-c"][..]] {
        let ran = run(dir.path(), args, Input::Bytes(list.clone().into_bytes()));
        assert_eq!(ran.code(), Some(1), "{args:?}");
        assert_eq!(ran.out(), "-: FAILED open or read\n");
        assert!(
            ran.err()
                .contains("-: standard input is the list being checked"),
            "{}",
            ran.err()
        );
        assert!(
            ran.err()
                .contains("WARNING: 1 listed file could not be read")
        );
    }
    // A list in a file may name standard input.
    dir.file("list", format!("{}  -\n", tree(b"piped")).as_bytes());
    let ran = run(dir.path(), ["-c", "list"], Input::Bytes(b"piped".to_vec()));
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(0), String::from("-: OK\n")),
        "{}",
        ran.err()
    );
}

// ---------------------------------------------------------------------------------------------
// Inputs that fail: reported, no hash printed for them, the others still hashed, exit 1.

#[test]
fn a_directory_or_missing_file_is_an_error_and_the_others_are_hashed() {
    let dir = Dir::new("dir-arg");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let data = splitmix64_bytes(15, 100);
    dir.file("file", &data);
    let args = ["sub", "file", "missing", "file"];
    let ours = run(dir.path(), args, Input::Null);
    let theirs = sha256sum(dir.path(), args, Input::Null);
    assert_eq!(ours.code(), Some(1));
    assert_eq!(ours.code(), theirs.code());
    assert_eq!(ours.out(), theirs.out());
    assert_eq!(ours.out(), format!("{0}  file\n{0}  file\n", tree(&data)));
    assert_eq!(ours.err(), as_ours(&theirs.stderr));
    for mode in [&["--sha256"][..], &["--json"], &["--part-size", "1MiB"]] {
        let mut all = mode.to_vec();
        all.extend(args);
        let ran = run(dir.path(), &all, Input::Null);
        assert_eq!(ran.code(), Some(1), "{mode:?}");
        assert!(
            ran.err().contains("sub: Is a directory"),
            "{mode:?}: {}",
            ran.err()
        );
        let mut alone = mode.to_vec();
        alone.push("file");
        let alone = run(dir.path(), &alone, Input::Null).out();
        assert_eq!(ran.out(), alone.repeat(2), "{mode:?}");
    }
}

#[test]
fn a_fifo_is_opened_once_and_never_hangs() {
    // Issue 11, item 2: `mkfifo f; (printf hi > f &); glacier-tree-hash f`, many times.
    let dir = Dir::new("fifo");
    let fifo = dir.path().join("f");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let expected = format!("{}  f\n", tree(b"hi"));
    for round in 0..25 {
        let writer = std::process::Command::new("sh")
            .arg("-c")
            .arg("printf hi > f")
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        let child = command(BIN, dir.path(), &Input::Null)
            .arg("f")
            .spawn()
            .unwrap();
        let ran = wait(child, Input::Null, Duration::from_secs(20), "fifo");
        let writer = wait(writer, Input::Null, Duration::from_secs(20), "fifo writer");
        assert!(writer.status.success());
        assert_eq!(ran.code(), Some(0), "round {round}: {}", ran.err());
        assert_eq!(ran.out(), expected, "round {round}");
    }
}

#[test]
fn unusable_stdin_and_stdout_are_errors_like_sha256sum() {
    // Issue 11, item 4.
    let dir = Dir::new("stdio");
    let path = dir.file("data", b"some data");
    let write_only = || File::options().write(true).open(&path).unwrap();
    // Standard input open for writing only: not the empty-input hash.
    let ours = run(dir.path(), [] as [&str; 0], Input::File(write_only()));
    let theirs = sha256sum(dir.path(), [] as [&str; 0], Input::File(write_only()));
    assert_eq!((ours.code(), theirs.code()), (Some(1), Some(1)));
    assert!(ours.stdout.is_empty(), "{}", ours.out());
    assert_eq!(ours.err(), "glacier-tree-hash: -: Bad file descriptor\n");
    // Also from a FIFO-less pipe? A write-only descriptor of a pipe.
    // Standard output open for reading only, and a full device.
    for (what, stdout) in [
        ("read-only", File::open(&path).unwrap()),
        (
            "/dev/full",
            File::options().write(true).open("/dev/full").unwrap(),
        ),
    ] {
        let mut ours = command(BIN, dir.path(), &Input::Null);
        ours.arg("data").stdout(stdout.try_clone().unwrap());
        let ours = wait(ours.spawn().unwrap(), Input::Null, LIMIT, what);
        let mut theirs = command("sha256sum", dir.path(), &Input::Null);
        theirs.arg("data").stdout(stdout);
        let theirs = wait(theirs.spawn().unwrap(), Input::Null, LIMIT, what);
        assert_eq!((ours.code(), theirs.code()), (Some(1), Some(1)), "{what}");
        assert!(ours.stdout.is_empty());
        // sha256sum (9.1) says a bare "write error"; the reason is given here.
        assert_eq!(as_ours(&theirs.stderr), "glacier-tree-hash: write error\n");
        let reason = if what == "/dev/full" {
            "No space left on device"
        } else {
            "Bad file descriptor"
        };
        assert_eq!(
            ours.err(),
            format!("glacier-tree-hash: write error: {reason}\n"),
            "{what}"
        );
    }
}

#[test]
fn a_closed_pipe_on_stdout_stops_quietly_with_status_1() {
    let dir = Dir::new("epipe");
    for index in 0..50 {
        dir.file(format!("f{index}"), &[index as u8; 100]);
    }
    let names: Vec<String> = (0..50).map(|index| format!("f{index}")).collect();
    let mut command = command(BIN, dir.path(), &Input::Null);
    command.args(&names);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command.stdout(writer);
    let ran = wait(command.spawn().unwrap(), Input::Null, LIMIT, "closed pipe");
    assert_eq!(ran.code(), Some(1));
    assert!(ran.stderr.is_empty(), "{}", ran.err());
}

/// Bytes the process has read so far (Linux), if it can be known.
fn bytes_read(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn a_file_that_shrinks_while_hashed_gets_no_hash_in_any_mode() {
    // Issue 11, item 5: a sparse file of 8 GiB, cut to 1 MiB once hashing is under way.
    let dir = Dir::new("shrink");
    let path = dir.path().join("big");
    for mode in [
        &[][..],
        &["--sha256"],
        &["--json"],
        &["--part-size", "4MiB"],
        &["--threads", "1"],
    ] {
        File::create(&path).unwrap().set_len(8 << 30).unwrap();
        let mut command = command(BIN, dir.path(), &Input::Null);
        command.args(mode).arg("big");
        let child = command.spawn().unwrap();
        let pid = child.id();
        let start = Instant::now();
        // Until 32 MiB of it have been read or it is mapped (or, where /proc/PID/io is
        // hidden, a while).
        loop {
            if maps(pid, &path) {
                break;
            }
            match bytes_read(pid) {
                Some(n) if n > 32 << 20 => break,
                Some(_) if start.elapsed() < Duration::from_secs(20) => {}
                None if start.elapsed() < Duration::from_millis(500) => {}
                _ => break,
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(MIB as u64)
            .unwrap();
        let ran = wait(child, Input::Null, LIMIT, "shrinking file");
        assert_eq!(ran.code(), Some(1), "{mode:?}: {}", ran.out());
        assert!(ran.stdout.is_empty(), "{mode:?}: printed {}", ran.out());
        let err = ran.err();
        assert!(
            err.starts_with("glacier-tree-hash: big: ") && err.contains("shrank"),
            "{mode:?}: {err}"
        );
    }
}

#[test]
fn too_many_parts_are_refused_before_reading() {
    // Issue 11, item 7: 10,000 MiB + 1 byte in parts of 1 MiB.
    let dir = Dir::new("parts-limit");
    let path = dir.path().join("huge");
    File::create(&path)
        .unwrap()
        .set_len((10_000 << 20) + 1)
        .unwrap();
    for (args, input) in [
        (vec!["--part-size", "1MiB", "huge"], Input::Null),
        (vec!["--part-size", "1MiB", "--json", "huge"], Input::Null),
        (
            vec!["--part-size", "1MiB"],
            Input::File(File::open(&path).unwrap()),
        ),
    ] {
        let ran = run(dir.path(), &args, input);
        assert_eq!(ran.code(), Some(1), "{args:?}");
        assert!(ran.stdout.is_empty());
        let err = ran.err();
        assert!(
            err.contains("10001 parts") && err.contains("at most 10,000"),
            "{err}"
        );
        assert!(err.contains("at least 2 MiB"), "{err}");
        assert!(
            ran.took < Duration::from_secs(3),
            "{args:?} took {:?}",
            ran.took
        );
    }
    // The same archive in parts of 2 MiB is accepted (only checked by size here: the first
    // part line comes out once it is read, so this run is not made).
}

#[test]
fn many_threads_asked_for_a_small_input_start_none() {
    // Issue 11, item 9: `--threads 4000` or RAYON_NUM_THREADS=2000 on 6 bytes took 13 s.
    let dir = Dir::new("threads");
    dir.file("six", b"sixsix");
    let small = splitmix64_bytes(16, 3 * MIB);
    dir.file("three", &small);
    for name in ["six", "three"] {
        let expected = if name == "six" {
            tree(b"sixsix")
        } else {
            tree(&small)
        };
        let ran = run(dir.path(), ["--threads", "4000", name], Input::Null);
        assert_eq!(ran.out(), format!("{expected}  {name}\n"));
        assert!(
            ran.took < Duration::from_millis(1500),
            "--threads 4000: {:?}",
            ran.took
        );
        let mut command = command(BIN, dir.path(), &Input::Null);
        command.env("RAYON_NUM_THREADS", "2000").arg(name);
        let ran = wait(
            command.spawn().unwrap(),
            Input::Null,
            LIMIT,
            "RAYON_NUM_THREADS",
        );
        assert_eq!(ran.out(), format!("{expected}  {name}\n"));
        assert!(
            ran.took < Duration::from_millis(1500),
            "RAYON_NUM_THREADS: {:?}",
            ran.took
        );
    }
    let ran = run(dir.path(), ["--threads", "1", "three"], Input::Null);
    assert_eq!(ran.out(), format!("{}  three\n", tree(&small)));
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    // Issue 11, item 10 (the terminal side is the unit test of the decision).
    let dir = Dir::new("progress");
    let path = dir.path().join("zeros");
    File::create(&path).unwrap().set_len(70 << 20).unwrap();
    let zeros = vec![0u8; 70 << 20];
    let expected = tree(&zeros);
    let ran = run(dir.path(), ["zeros"], Input::Null);
    assert_eq!(
        (ran.out(), ran.stderr.len()),
        (format!("{expected}  zeros\n"), 0)
    );
    let ran = run(dir.path(), ["-"], Input::Bytes(zeros));
    assert_eq!(
        (ran.out(), ran.stderr.len()),
        (format!("{expected}  -\n"), 0)
    );
    // Small inputs do not wait for a progress thread.
    let start = Instant::now();
    for _ in 0..5 {
        let ran = run(dir.path(), ["-"], Input::Bytes(b"tiny".to_vec()));
        assert_eq!(ran.code(), Some(0));
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Output formats.

#[test]
fn sha256_lines_have_both_hashes() {
    let dir = Dir::new("sha256");
    for vector in vectors(8 * MIB) {
        dir.file(&vector.name, &vector.bytes());
        let ran = run(dir.path(), ["--sha256", &vector.name], Input::Null);
        assert_eq!(
            ran.out(),
            format!(
                "{}  {}  {}\n",
                vector.tree_hash, vector.linear_sha256, vector.name
            )
        );
    }
    let ran = run(
        dir.path(),
        ["--sha256", "-z", "-"],
        Input::Bytes(b"abc".to_vec()),
    );
    assert_eq!(ran.out(), format!("{}  {}  -\0", tree(b"abc"), sha(b"abc")));
}

#[test]
fn part_size_lines_list_every_part_then_the_archive_without_its_sha256() {
    let dir = Dir::new("parts");
    let data = splitmix64_bytes(17, 5 * MIB + 3);
    dir.file("data", &data);
    let mut expected = String::new();
    for (index, piece) in data.chunks(2 * MIB).enumerate() {
        let first = index * 2 * MIB;
        expected += &format!(
            "part\t{index}\tbytes {first}-{}/*\t{}\t{}\n",
            first + piece.len() - 1,
            tree(piece),
            sha(piece)
        );
    }
    expected += &format!("archive\t{}\t{}\tdata\n", data.len(), tree(&data));
    for size in ["2MiB", "2 MiB", "2097152"] {
        let ran = run(dir.path(), ["--part-size", size, "data"], Input::Null);
        assert_eq!(ran.code(), Some(0), "{}", ran.err());
        assert_eq!(ran.out(), expected, "{size}");
        let ran = run(
            dir.path(),
            ["--part-size", size],
            Input::Bytes(data.clone()),
        );
        assert_eq!(
            ran.out(),
            expected.replace("\tdata\n", "\t-\n"),
            "{size} from a pipe"
        );
    }
    let ran = run(
        dir.path(),
        ["--part-size", "2MiB", "-z", "data"],
        Input::Null,
    );
    assert_eq!(ran.out(), expected.replace('\n', "\0"));
    // An escaped name starts the archive line with a backslash, as in the other formats.
    dir.file("a\nb", b"x");
    let ran = run(dir.path(), ["--part-size", "1MiB", "a\nb"], Input::Null);
    assert_eq!(
        ran.out().lines().last(),
        Some(format!("\\archive\t1\t{}\ta\\nb", tree(b"x")).as_str())
    );
}

#[test]
fn json_through_serde_json() {
    let dir = Dir::new("json");
    let data = splitmix64_bytes(18, 9 * MIB + 1);
    dir.file("data", &data);
    dir.file(os(b"odd\n\"name\xff"), b"z");
    let ran = run(
        dir.path(),
        [os(b"--json"), os(b"data"), os(b"odd\n\"name\xff"), os(b"-")],
        Input::Bytes(data[..10].to_vec()),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.err());
    let documents: Vec<serde_json::Value> = ran
        .out()
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(documents.len(), 3);
    assert_eq!(
        documents[0],
        serde_json::json!({
            "file": "data", "archive_size": data.len(), "tree_hash": tree(&data), "sha256": sha(&data)
        })
    );
    assert_eq!(documents[1]["file"], "odd\n\"name\u{fffd}");
    assert_eq!(documents[2]["archive_size"], 10);

    let ran = run(
        dir.path(),
        ["--json", "--part-size", "4M", "data"],
        Input::Null,
    );
    let document: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert_eq!(document["file"], "data");
    assert_eq!(document["archive_size"], data.len());
    assert_eq!(document["tree_hash"], tree(&data));
    assert_eq!(document["part_size"], 4 << 20);
    assert!(
        document.get("sha256").is_none(),
        "no whole-archive SHA-256 with --part-size"
    );
    let parts = document["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    for (index, (json, piece)) in parts.iter().zip(data.chunks(4 * MIB)).enumerate() {
        let start = index * 4 * MIB;
        assert_eq!(
            *json,
            serde_json::json!({
                "index": index,
                "range": {"start": start, "end": start + piece.len()},
                "content_range": format!("bytes {start}-{}/*", start + piece.len() - 1),
                "tree_hash": tree(piece),
                "sha256": sha(piece),
            })
        );
    }
    let ran = run(
        dir.path(),
        ["--json", "-z", "-"],
        Input::Bytes(b"q".to_vec()),
    );
    assert_eq!(ran.stdout.last(), Some(&0));
}

// ---------------------------------------------------------------------------------------------
// Arguments, help, version, completions, man page.

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new("usage");
    for args in [
        &["--threads", "0"][..],
        &["--part-size", "3MiB", "-"],
        &["--part-size", "8GiB", "-"],
        &["--quiet"],
        &["--status"],
        &["--ignore-missing"],
        &["--strict"],
        &["--warn"],
        &["-c", "--json"],
        &["-c", "--part-size", "1MiB"],
        &["--sha256", "--part-size", "1MiB"],
        &["--man", "x"],
        &["--completions", "nosuchshell"],
        &["--no-such-flag"],
    ] {
        let ran = run(dir.path(), args, Input::Null);
        assert_eq!(ran.code(), Some(2), "{args:?}: {}", ran.err());
        assert!(ran.stdout.is_empty());
    }
    let ran = run(dir.path(), ["--part-size", "3MiB", "-"], Input::Null);
    assert!(ran.err().contains("1, 2, 4, 8"), "{}", ran.err());
}

#[test]
fn help_states_exit_codes_and_formats() {
    let dir = Dir::new("help");
    let ran = run(dir.path(), ["--help"], Input::Null);
    assert_eq!(ran.code(), Some(0));
    let help = ran.out();
    for expected in [
        "Usage: glacier-tree-hash",
        "[FILE]...",
        "Exit status:",
        "0  every input was hashed",
        "1  a mismatch, an unreadable input",
        "2  a usage error",
        "<tree hash>  <name>",
        "<tree hash>  <sha256>  <name>",
        "part  <index>  <Content-Range>",
        "archive  <x-amz-archive-size>",
        "\"parts\"",
        "--check",
        "--quiet",
        "--status",
        "--ignore-missing",
        "--strict",
        "--warn",
        "--zero",
        "--sha256",
        "--part-size",
        "--json",
        "--threads",
        "--no-progress",
        "64 MiB",
    ] {
        assert!(
            help.contains(expected),
            "{expected:?} missing from:\n{help}"
        );
    }
    assert!(
        !help.contains("--completions") && !help.contains("--man"),
        "hidden"
    );
    let short = run(dir.path(), ["-h"], Input::Null).out();
    assert!(short.contains("Exit status:"), "{short}");
}

#[test]
fn version_names_the_leaf_backend() {
    let dir = Dir::new("version");
    let ran = run(dir.path(), ["--version"], Input::Null);
    assert_eq!(ran.code(), Some(0));
    let out = ran.out();
    assert!(
        out.starts_with(&format!("glacier-tree-hash {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let expected = format!("leaf backend: {}", glacier_tree_hash::leaf_backend());
    assert!(out.contains(&expected), "{out}");
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = Dir::new("completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let ran = run(dir.path(), ["--completions", shell], Input::Null);
        assert_eq!(ran.code(), Some(0), "{shell}: {}", ran.err());
        let script = ran.out();
        assert!(script.contains("glacier-tree-hash"), "{shell}");
        assert!(script.contains("ignore-missing"), "{shell}");
    }
    // The bash script is valid bash.
    let ran = run(dir.path(), ["--completions", "bash"], Input::Null);
    dir.file("completion.bash", &ran.stdout);
    let checked = run_program("bash", dir.path(), ["-n", "completion.bash"], Input::Null);
    assert_eq!(checked.code(), Some(0), "{}", checked.err());

    let ran = run(dir.path(), ["--man"], Input::Null);
    assert_eq!(ran.code(), Some(0));
    let page = ran.out();
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains(".TH glacier-tree-hash"), "{page}");
    assert!(page.contains("ignore\\-missing"), "{page}");
    assert!(page.contains("Exit status"), "{page}");
}

#[test]
fn check_reads_lists_with_crlf_line_ends_like_sha256sum() {
    let dir = Dir::new("crlf");
    dir.file("h", b"hi");
    dir.file("cr\r", b"cr");
    let list = format!("{}  h\r\n\\{}  cr\\r\r\n", sha(b"hi"), sha(b"cr"));
    dir.file("list", list.as_bytes());
    let ours = run(dir.path(), ["-c", "list"], Input::Null);
    let theirs = sha256sum(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(ours.code(), Some(0), "{}", ours.err());
    assert_eq!(ours.code(), theirs.code());
    assert_eq!(ours.stdout, theirs.stdout);
    assert_eq!(ours.stdout, b"h: OK\ncr\r: OK\n");
}

/// Runs `pipe '<binary>' args` with a pseudo-terminal as the standard streams, through
/// `script`; `None` where `script` or a pseudo-terminal is not available.
fn on_a_terminal(dir: &Dir, pipe: &str, args: &str) -> Option<Ran> {
    let line = format!("{pipe} '{BIN}' {args}");
    let probe = std::process::Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    Some(run_program(
        "script",
        dir.path(),
        ["-qec", line.as_str(), "/dev/null"],
        Input::Null,
    ))
}

#[test]
fn progress_on_a_terminal_only_past_64_mib_and_not_with_no_progress() {
    let dir = Dir::new("tty");
    File::create(dir.path().join("big"))
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    File::create(dir.path().join("exact"))
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let hash = run(dir.path(), ["big"], Input::Null).out()[..64].to_string();
    let Some(ran) = on_a_terminal(&dir, "", "big") else {
        eprintln!("no script(1) or no pseudo-terminal here: the terminal case is not run");
        return;
    };
    assert_eq!(ran.code(), Some(0));
    let seen = ran.out();
    assert!(seen.contains("ETA") && seen.contains("iB/s"), "{seen:?}");
    assert!(seen.contains(&format!("{hash}  big")), "{seen:?}");
    // A stream: bytes and rate once past 64 MiB.
    let ran = on_a_terminal(&dir, "cat big |", "").unwrap();
    let seen = ran.out();
    assert!(seen.contains("iB/s") && !seen.contains("ETA"), "{seen:?}");
    assert!(!seen.contains(" 0 B "), "drawn from 64 MiB on: {seen:?}");
    assert!(seen.contains(&format!("{hash}  -")), "{seen:?}");
    // Small inputs on a terminal draw nothing and wait for nothing (each waited 0.2 s).
    let start = Instant::now();
    let ran = on_a_terminal(
        &dir,
        "for i in 1 2 3 4 5 6 7 8 9 10; do printf hi |",
        "; done",
    )
    .unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(ran.out().matches(&tree(b"hi")).count(), 10, "{}", ran.out());
    assert!(!ran.out().contains('\x1b'), "{:?}", ran.out());
    for (pipe, args) in [
        ("", "exact"),
        ("head -c 67108864 big |", ""),
        ("", "--no-progress big"),
        ("", "--no-progress --sha256 big"),
        ("cat big |", "--no-progress"),
    ] {
        let ran = on_a_terminal(&dir, pipe, args).unwrap();
        assert_eq!(ran.code(), Some(0), "{pipe} {args}");
        let seen = ran.out();
        assert!(
            !seen.contains("B/s") && !seen.contains('\x1b'),
            "{pipe} {args}: {seen:?}"
        );
    }
}
