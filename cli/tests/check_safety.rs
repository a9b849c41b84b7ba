//! Issue 19: never "OK" for a file that was not checked. Lists are read one way only, closed
//! standard streams are errors, and the smaller holes of the same hostile run are closed.
//! Each case runs the real binary under a time limit, beside `sha256sum` where it has an answer.

#![cfg(unix)]

mod support;

use support::*;

const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Runs `sh -c 'exec BIN "$@" REDIRECTIONS'` with `args`, so that the binary starts with the
/// descriptors the redirections leave (closed ones included).
fn run_redirected(dir: &Dir, redirections: &str, args: &[&str]) -> Ran {
    shell(
        dir,
        &format!("exec \"$0\" \"$@\" {redirections}"),
        BIN,
        args,
    )
}

fn sha256sum_redirected(dir: &Dir, redirections: &str, args: &[&str]) -> Ran {
    shell(
        dir,
        &format!("exec \"$0\" \"$@\" {redirections}"),
        "sha256sum",
        args,
    )
}

fn shell(dir: &Dir, script: &str, program: &str, args: &[&str]) -> Ran {
    let mut command = command("sh", dir.path(), &Input::Null);
    command.arg("-c").arg(script).arg(program).args(args);
    let what = format!("{program} {args:?} with {script}");
    wait(command.spawn().unwrap(), Input::Null, LIMIT, &what)
}

// ---------------------------------------------------------------------------------------------
// 1. A name that begins with 64 hex digits and two spaces.

#[test]
fn a_tampered_file_whose_name_starts_like_a_sha256_line_fails() {
    // The reproduction of the issue, step by step.
    let dir = Dir::new("tampered");
    dir.file("foo", b"hello");
    let s = sha(b"hello");
    let tricky = format!("{s}  foo");
    dir.file(&tricky, b"hello");
    let listed = run(dir.path(), ["--", tricky.as_str()], Input::Null);
    assert_eq!(listed.code(), Some(0));
    dir.file("list", &listed.stdout);
    dir.file(&tricky, b"tampered");
    let ours = run(dir.path(), ["-c", "list"], Input::Null);
    let theirs = sha256sum(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(theirs.code(), Some(1));
    assert_eq!(ours.code(), Some(1), "{}", ours.out());
    assert_eq!(ours.out(), format!("{tricky}: FAILED\n"));
    assert_eq!(ours.stdout, theirs.stdout);
    // Without `foo`, the same name still reads back as itself (sha256sum: OK).
    dir.file(&tricky, b"hello");
    std::fs::remove_file(dir.path().join("foo")).unwrap();
    let ours = run(dir.path(), ["-c", "list"], Input::Null);
    let theirs = sha256sum(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(
        (ours.code(), theirs.code()),
        (Some(0), Some(0)),
        "{}",
        ours.err()
    );
    assert_eq!(ours.stdout, theirs.stdout);
}

/// Names that begin with 64 hex digits and two spaces, plain and needing escapes.
fn hex_led_names() -> Vec<String> {
    let s = sha(b"x");
    vec![
        format!("{s}  plain"),
        format!("{s}  {s}  twice"),
        format!("{}  upper", s.to_uppercase()),
        format!("{s}  new\nline"),
        format!("{s}  back\\slash"),
        format!("{s}  cr\r"),
        format!("{s} *star"),
    ]
}

#[test]
fn every_line_the_tool_writes_reads_back_as_that_name() {
    let dir = Dir::new("round-trip");
    let names = hex_led_names();
    for (index, name) in names.iter().enumerate() {
        dir.file(name, &splitmix64_bytes(index as u64, 100 + index));
    }
    // Each output format with the --check flags that read it.
    let formats: [(&[&str], &[&str]); 4] = [
        (&[], &["-c"]),
        (&["--sha256"], &["-c", "--sha256"]),
        (&["-z"], &["-c", "-z"]),
        (&["--sha256", "-z"], &["-c", "--sha256", "-z"]),
    ];
    for (write, read) in formats {
        let mut args: Vec<&str> = write.to_vec();
        args.push("--");
        args.extend(names.iter().map(String::as_str));
        let listed = run(dir.path(), &args, Input::Null);
        assert_eq!(listed.code(), Some(0), "{write:?}: {}", listed.err());
        dir.file("list", &listed.stdout);
        let mut check: Vec<&str> = read.to_vec();
        check.push("list");
        let ran = run(dir.path(), &check, Input::Null);
        assert_eq!(ran.code(), Some(0), "{write:?}: {}{}", ran.out(), ran.err());
        assert_eq!(
            ran.stdout
                .split(|&b| b == b'\n')
                .filter(|l| l.ends_with(b": OK"))
                .count(),
            names.len(),
            "{write:?}: {}",
            ran.out()
        );
        // Every file changed: every line fails, none is read as another file.
        for (index, name) in names.iter().enumerate() {
            dir.file(name, &splitmix64_bytes(index as u64 + 1000, 100 + index));
        }
        let ran = run(dir.path(), &check, Input::Null);
        assert_eq!(ran.code(), Some(1), "{write:?}");
        assert!(!ran.out().contains(": OK"), "{write:?}: {}", ran.out());
        assert_eq!(
            ran.out().matches(": FAILED\n").count(),
            names.len(),
            "{write:?}: {}{}",
            ran.out(),
            ran.err()
        );
        for (index, name) in names.iter().enumerate() {
            dir.file(name, &splitmix64_bytes(index as u64, 100 + index));
        }
    }
}

#[test]
fn a_sha256_list_is_read_only_with_sha256() {
    let dir = Dir::new("sha256-list");
    let data = splitmix64_bytes(3, 2 * MIB + 5);
    dir.file("data", &data);
    let listed = run(dir.path(), ["--sha256", "data"], Input::Null);
    dir.file("list", &listed.stdout);
    // Read as the default format, the line names a file that is not there: never an OK for
    // `data`, and the message says what to do.
    let ran = run(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(
        ran.out(),
        format!("{}  data: FAILED open or read\n", sha(&data))
    );
    assert!(
        ran.err().contains("check it with --check --sha256"),
        "{}",
        ran.err()
    );
    let ran = run(dir.path(), ["-c", "--sha256", "list"], Input::Null);
    assert_eq!(
        (ran.code(), ran.out()),
        (Some(0), String::from("data: OK\n"))
    );
    // A default line in a --sha256 list is malformed, with its number.
    let plain = run(dir.path(), ["data"], Input::Null);
    dir.file("plain", &plain.stdout);
    let ran = run(dir.path(), ["-c", "--sha256", "plain"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert!(ran.stdout.is_empty());
    assert!(
        ran.err()
            .contains("plain: 1: improperly formatted --sha256 line"),
        "{}",
        ran.err()
    );
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Closed standard streams.

#[test]
fn closed_standard_input_is_an_error_and_dev_null_is_empty_input() {
    let dir = Dir::new("closed-stdin");
    for args in [&[][..], &["-"]] {
        let ours = run_redirected(&dir, "0<&-", args);
        let theirs = sha256sum_redirected(&dir, "0<&-", args);
        assert_eq!((ours.code(), theirs.code()), (Some(1), Some(1)), "{args:?}");
        assert!(ours.stdout.is_empty(), "{args:?}: {}", ours.out());
        assert_eq!(ours.err(), "glacier-tree-hash: -: Bad file descriptor\n");
        // sha256sum adds a second line when it closes standard input at exit.
        assert!(as_ours(&theirs.stderr).starts_with(&ours.err()));
        // `/dev/null` opened for reading, or for reading and writing as Python's
        // `subprocess.DEVNULL` opens it, is empty input.
        for redirection in ["< /dev/null", "<> /dev/null"] {
            let ours = run_redirected(&dir, redirection, args);
            assert_eq!(ours.code(), Some(0), "{redirection}: {}", ours.err());
            assert_eq!(ours.out(), format!("{EMPTY}  -\n"));
        }
    }
    // A list on closed standard input, and a listed `-`.
    let ran = run_redirected(&dir, "0<&-", &["-c"]);
    assert_eq!(ran.code(), Some(1));
    assert!(ran.err().contains("Bad file descriptor"), "{}", ran.err());
    dir.file("list", format!("{EMPTY}  -\n").as_bytes());
    let ran = run_redirected(&dir, "0<&-", &["-c", "list"]);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(ran.out(), "-: FAILED open or read\n");
}

#[test]
fn closed_standard_output_is_an_error_in_every_mode() {
    let dir = Dir::new("closed-stdout");
    dir.file("data", &splitmix64_bytes(5, MIB + 1));
    dir.file(
        "list",
        format!("{}  data\n", tree(&splitmix64_bytes(5, MIB + 1))).as_bytes(),
    );
    for args in [
        &["data"][..],
        &["--json", "data"],
        &["--sha256", "data"],
        &["--part-size", "1MiB", "data"],
        &["-c", "list"],
    ] {
        let ours = run_redirected(&dir, ">&-", args);
        assert_eq!(ours.code(), Some(1), "{args:?}");
        assert_eq!(
            ours.err(),
            "glacier-tree-hash: write error: Bad file descriptor\n",
            "{args:?}"
        );
        for redirection in ["> /dev/null", "1<> /dev/null"] {
            let ours = run_redirected(&dir, redirection, args);
            assert_eq!(
                ours.code(),
                Some(0),
                "{args:?} {redirection}: {}",
                ours.err()
            );
        }
    }
    let theirs = sha256sum_redirected(&dir, ">&-", &["data"]);
    assert_eq!(theirs.code(), Some(1));
}

// ---------------------------------------------------------------------------------------------
// The smaller items.

#[test]
fn blank_lines_are_skipped_even_with_strict() {
    let dir = Dir::new("blank");
    dir.file("a", b"a");
    for list in [
        format!("\n{}  a\n\n", sha(b"a")),
        format!("{}  a\r\n\r\n", sha(b"a")),
        format!("{}  a\r\n\r\n\r\n", sha(b"a")),
    ] {
        dir.file("list", list.as_bytes());
        let ours = run(dir.path(), ["-c", "--strict", "list"], Input::Null);
        let theirs = sha256sum(dir.path(), ["-c", "--strict", "list"], Input::Null);
        assert_eq!(
            (ours.code(), theirs.code()),
            (Some(0), Some(0)),
            "{list:?}: {}",
            ours.err()
        );
        assert_eq!(ours.stdout, theirs.stdout);
        assert!(ours.stderr.is_empty(), "{}", ours.err());
    }
    // A line of blanks is not blank, as in sha256sum.
    dir.file("list", format!("{}  a\n  \n", sha(b"a")).as_bytes());
    let ours = run(dir.path(), ["-c", "--strict", "list"], Input::Null);
    let theirs = sha256sum(dir.path(), ["-c", "--strict", "list"], Input::Null);
    assert_eq!((ours.code(), theirs.code()), (Some(1), Some(1)));
}

#[test]
fn help_and_version_fail_when_they_cannot_be_written() {
    let dir = Dir::new("help-full");
    for flag in ["--help", "--version", "-h", "-V"] {
        for redirection in ["> /dev/full", ">&-"] {
            let ours = run_redirected(&dir, redirection, &[flag]);
            assert_eq!(ours.code(), Some(1), "{flag} {redirection}");
            assert!(ours.err().contains("write error"), "{flag}: {}", ours.err());
        }
        let ours = run(dir.path(), [flag], Input::Null);
        assert_eq!(ours.code(), Some(0));
        assert!(!ours.stdout.is_empty());
    }
    let theirs = sha256sum_redirected(&dir, "> /dev/full", &["--help"]);
    assert_eq!(theirs.code(), Some(1));
}

#[test]
fn part_size_of_an_empty_input_is_an_error_and_the_next_input_is_hashed() {
    let dir = Dir::new("empty-parts");
    dir.file("empty", b"");
    dir.file("data", b"data");
    for extra in [&[][..], &["--json"]] {
        let mut args = vec!["--part-size", "1MiB"];
        args.extend_from_slice(extra);
        args.extend(["empty", "data"]);
        let ran = run(dir.path(), &args, Input::Null);
        assert_eq!(ran.code(), Some(1), "{args:?}");
        assert!(
            ran.err()
                .contains("empty: empty input: Glacier refuses a multipart upload of 0 bytes"),
            "{}",
            ran.err()
        );
        assert!(!ran.out().contains("empty"), "{}", ran.out());
        assert!(ran.out().contains(&sha(b"data")), "{}", ran.out());
    }
    let ran = run(dir.path(), ["--part-size", "1MiB"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert!(ran.stdout.is_empty());
}

#[test]
fn a_nul_in_a_list_line_is_escaped_in_the_verdict() {
    let dir = Dir::new("nul");
    dir.file("list", format!("{EMPTY}  a\0b\n").as_bytes());
    let ran = run(dir.path(), ["-c", "list"], Input::Null);
    assert_eq!(ran.code(), Some(1));
    assert!(!ran.stdout.contains(&0), "{:?}", ran.stdout);
    assert_eq!(ran.out(), "\\a\\0b: FAILED open or read\n");
    assert!(!ran.stderr.contains(&0), "{:?}", ran.stderr);
    assert!(ran.err().contains("'a'$'\\000''b'"), "{}", ran.err());
}

#[test]
fn a_line_of_unbounded_length_is_refused_in_bounded_memory() {
    let dir = Dir::new("long-line");
    dir.file("a", b"a");
    // 400 MB without a newline, then a good line, under a 256 MiB address-space limit: the
    // old reader kept the whole line (up to three times over) and could not.
    let script = |flags: &str| {
        format!(
            "{{ head -c 400000000 /dev/zero | tr '\\0' a; printf '\\n{}  a\\n'; }} | \
             {{ ulimit -v 262144; exec \"$0\" -c {flags}; }}",
            sha(b"a")
        )
    };
    let ran = shell(&dir, &script(""), BIN, &[]);
    assert_eq!(ran.code(), Some(0), "{}", ran.err());
    assert_eq!(ran.out(), "a: OK\n");
    assert!(
        ran.err().contains("'standard input': 1: line too long"),
        "{}",
        ran.err()
    );
    let ran = shell(&dir, &script("--strict"), BIN, &[]);
    assert_eq!(ran.code(), Some(1));
}

#[test]
fn a_full_or_closed_standard_error_loses_messages_not_the_run() {
    // Found by a hostile run after the fix: `eprintln!` panicked (exit 101) and the check
    // stopped at its first warning.
    let dir = Dir::new("stderr-full");
    dir.file("foo", b"hello");
    dir.file("empty", b"");
    dir.file(
        "list",
        format!("garbage\n{}  foo\n{EMPTY}  missing\n", sha(b"hello")).as_bytes(),
    );
    for redirection in ["2>/dev/full", "2>&-"] {
        let ran = run_redirected(&dir, redirection, &["-c", "list"]);
        assert_eq!(ran.code(), Some(1), "{redirection}");
        assert_eq!(ran.out(), "foo: OK\nmissing: FAILED open or read\n");
        let ran = run_redirected(&dir, redirection, &["missing", "foo"]);
        assert_eq!(ran.code(), Some(1), "{redirection}");
        assert_eq!(ran.out(), format!("{}  foo\n", sha(b"hello")));
        let ran = run_redirected(&dir, redirection, &["--part-size", "1MiB", "empty", "foo"]);
        assert_eq!(ran.code(), Some(1), "{redirection}");
        assert!(ran.out().ends_with("\tfoo\n"), "{}", ran.out());
    }
}
