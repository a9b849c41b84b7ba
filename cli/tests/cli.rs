//! The real `glacier-tree-hash` binary: output format, stdin, --check, exit codes.

#[path = "../../tests/support/mod.rs"]
mod support;

use glacier_tree_hash::{tree_hash, MultipartHasher, PartSize, Sha256Hash};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::{splitmix64_bytes, vectors, TempFile, MIB};

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_glacier-tree-hash"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    // A binary that exits before reading all of stdin closes the pipe: that is fine here.
    let _ = writer.join().unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn path_str(file: &TempFile) -> &str {
    file.path().to_str().unwrap()
}

#[test]
fn vectors_through_files_and_stdin() {
    for vector in vectors(8 * MIB) {
        let data = vector.bytes();
        let file = TempFile::new(&format!("cli-{}", vector.name), &data);
        let out = run(&[path_str(&file)], b"");
        assert!(
            out.status.success(),
            "{}: {}",
            vector.name,
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            format!("{}  {}\n", vector.tree_hash, path_str(&file))
        );
        let out = run(&["-"], &data);
        assert_eq!(text(&out.stdout), format!("{}  -\n", vector.tree_hash));
        let out = run(&[], &data);
        assert_eq!(text(&out.stdout), format!("{}  -\n", vector.tree_hash));
    }
}

#[test]
fn a_missing_file_is_reported_and_the_others_still_hashed() {
    let data = splitmix64_bytes(1, MIB + 1);
    let good = TempFile::new("cli-good", &data);
    let out = run(
        &["/nonexistent/file", path_str(&good), "/nonexistent/other"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!("{}  {}\n", tree_hash(&data), path_str(&good))
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/file") && stderr.contains("/nonexistent/other"),
        "{stderr}"
    );
}

#[test]
fn check_reports_ok_failed_unreadable_and_malformed_lines() {
    let data = splitmix64_bytes(2, 2 * MIB + 5);
    let good = TempFile::new("cli-check-good", &data);
    let corrupted = TempFile::new("cli-check-corrupted", &data[1..]);
    let hash = tree_hash(&data);
    let list = format!(
        "{hash}  {good}\n{hash}  {corrupted}\nnot a line at all\n{hash}  /nonexistent/file\n\n{upper} *{good}\n",
        good = path_str(&good),
        corrupted = path_str(&corrupted),
        upper = hash.to_string().to_uppercase(),
    );
    let list_file = TempFile::new("cli-check-list", list.as_bytes());
    for (args, stdin) in [
        (vec!["--check", path_str(&list_file)], &b""[..]),
        (vec!["--check", "-"], list.as_bytes()),
    ] {
        let out = run(&args, stdin);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stdout),
            format!(
                "{good}: OK\n{corrupted}: FAILED\n/nonexistent/file: FAILED open or read\n{good}: OK\n",
                good = path_str(&good),
                corrupted = path_str(&corrupted),
            )
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(":3: not a"),
            "the malformed line's number: {stderr}"
        );
        assert!(
            stderr.contains("1 computed tree hash did NOT match"),
            "{stderr}"
        );
        assert!(stderr.contains("1 line malformed"), "{stderr}");
    }
}

#[test]
fn check_passes_when_everything_matches() {
    let data = splitmix64_bytes(3, 3 * MIB);
    let file = TempFile::new("cli-check-all-good", &data);
    let out = run(&[path_str(&file)], b"");
    let list = TempFile::new("cli-check-all-good-list", &out.stdout);
    let out = run(&["--check", path_str(&list)], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}: OK\n", path_str(&file)));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn threads_limits_and_zero_is_refused() {
    let data = splitmix64_bytes(4, 5 * MIB);
    let file = TempFile::new("cli-threads", &data);
    let out = run(&["--threads", "1", path_str(&file)], b"");
    assert_eq!(
        text(&out.stdout),
        format!("{}  {}\n", tree_hash(&data), path_str(&file))
    );
    let out = run(&["--threads", "0", path_str(&file)], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--threads"));
}

#[test]
fn help_describes_the_tool() {
    let out = run(&["-h"], b"");
    assert!(out.status.success());
    let help = text(&out.stdout);
    for expected in [
        "Usage: glacier-tree-hash",
        "--check",
        "--threads",
        "[FILE]...",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}

#[test]
fn sha256_is_printed_beside_the_tree_hash() {
    for vector in vectors(8 * MIB) {
        let file = TempFile::new(&format!("cli-sha-{}", vector.name), &vector.bytes());
        let out = run(&["--sha256", path_str(&file)], b"");
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}  {}  {}\n",
                vector.tree_hash,
                vector.linear_sha256,
                path_str(&file)
            )
        );
    }
}

#[test]
fn part_size_text_lists_every_part_and_the_archive() {
    let data = splitmix64_bytes(5, 5 * MIB + 3);
    let file = TempFile::new("cli-parts", &data);
    let out = run(&["--part-size", "2MiB", path_str(&file)], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut expected = String::new();
    for (index, piece) in data.chunks(2 * MIB).enumerate() {
        let first = index * 2 * MIB;
        expected += &format!(
            "part\t{index}\tbytes {first}-{}/*\t{}\t{}\n",
            first + piece.len() - 1,
            tree_hash(piece),
            Sha256Hash::of(piece)
        );
    }
    expected += &format!(
        "archive\t{}\t{}\t{}\t{}\n",
        data.len(),
        tree_hash(&data),
        Sha256Hash::of(&data),
        path_str(&file)
    );
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn part_size_json_matches_the_library() {
    let data = splitmix64_bytes(6, 9 * MIB + 1);
    let file = TempFile::new("cli-parts-json", &data);
    let out = run(
        &["--json", "--part-size", "4M", path_str(&file), "-"],
        &data[..10],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let documents: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON document per line"))
        .collect();
    assert_eq!(documents.len(), 2);
    let summary = MultipartHasher::new(PartSize::new(4 << 20).unwrap())
        .update(&data)
        .finalize()
        .unwrap();
    let document = &documents[0];
    assert_eq!(document["file"], path_str(&file));
    assert_eq!(document["archive_size"], data.len() as u64);
    assert_eq!(document["tree_hash"], summary.tree_hash.to_string());
    assert_eq!(document["sha256"], Sha256Hash::of(&data).to_string());
    assert_eq!(document["part_size"], 4 << 20);
    let parts = document["parts"].as_array().unwrap();
    assert_eq!(parts.len(), summary.parts.len());
    for (json, part) in parts.iter().zip(&summary.parts) {
        assert_eq!(json["range"]["start"], part.part.range().start);
        assert_eq!(json["range"]["end"], part.part.range().end);
        assert_eq!(json["content_range"], part.part.content_range().to_string());
        assert_eq!(json["tree_hash"], part.checksums.tree_hash.to_string());
        assert_eq!(json["sha256"], part.checksums.sha256.to_string());
    }
    assert_eq!(documents[1]["file"], "-");
    assert_eq!(documents[1]["archive_size"], 10);
}

#[test]
fn json_without_parts_has_size_and_both_hashes() {
    let data = splitmix64_bytes(7, MIB + 9);
    let out = run(&["--json"], &data);
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["archive_size"], data.len() as u64);
    assert_eq!(document["tree_hash"], tree_hash(&data).to_string());
    assert_eq!(document["sha256"], Sha256Hash::of(&data).to_string());
    assert!(document.get("parts").is_none());
}

#[test]
fn a_bad_part_size_is_refused_with_the_valid_sizes() {
    for bad in ["3MiB", "8XB", "0", "8GiB"] {
        let out = run(&["--part-size", bad, "-"], b"");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("1, 2, 4, 8"), "{bad}: {stderr}");
    }
}
