//! `--check`: lists of checksum lines read back, each listed file hashed and compared.
//!
//! A list is read in one format, chosen by the flags, so that a line is never read two ways:
//! the default `<tree hash>  <name>` (sha256sum's ` *name` and escaped lines too), or with
//! `--sha256` only `<tree hash>  <sha256>  <name>`. A name that starts with 64 hex digits and
//! two spaces is a name in the first and a malformed or different line in the second, never a
//! guess between them. With `-z`, records end with NUL and names are taken as they are.

use crate::args::{Args, PROGRAM};
use crate::hashing::{Hashed, Hashing, What};
use crate::names::{self, describe, escape_for_check_output, quote};
use crate::output::{Output, WriteFailed, message};
use crate::platform;
use glacier_tree_hash::{Sha256Hash, TreeHash};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// The longest list line read, delimiter aside: a name the system can open (4,096 bytes),
/// escaped (twice that), with both hashes and their separators, fits with room to spare. A
/// longer line is malformed, and its bytes are skipped without being kept.
const MAX_LINE: usize = 16 << 10;

/// How the lines of a list are written.
#[derive(Clone, Copy)]
struct Format {
    /// `<tree hash>  <sha256>  <name>` (`--sha256`), not `<tree hash>  <name>`.
    sha256: bool,
    /// Records end with NUL and names are not escaped (`-z`).
    zero: bool,
}

impl Format {
    fn of(args: &Args) -> Format {
        Format {
            sha256: args.sha256,
            zero: args.zero,
        }
    }

    fn delimiter(self) -> u8 {
        if self.zero { b'\0' } else { b'\n' }
    }
}

/// One line of a list: what to check.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    tree_hash: TreeHash,
    sha256: Option<Sha256Hash>,
    name: OsString,
}

/// Why a list line was not read.
#[derive(Debug, PartialEq, Eq)]
enum Malformed {
    /// Not a checksum line of the list's format.
    Format,
    /// A line of `--part-size` or `--json` output.
    Unsupported,
    /// Longer than [`MAX_LINE`].
    TooLong,
}

impl Malformed {
    fn why(&self, format: Format) -> &'static str {
        match (self, format.sha256) {
            (Malformed::Format, false) => "improperly formatted tree hash line",
            (Malformed::Format, true) => {
                "improperly formatted --sha256 line (<tree hash>  <sha256>  <name>)"
            }
            (Malformed::Unsupported, _) => {
                "a line of --part-size or --json output, which --check does not read"
            }
            (Malformed::TooLong, _) => "line too long (over 16 KiB)",
        }
    }
}

/// Parses one list line (without its delimiter). `None` for a blank or comment line.
fn parse_line(line: &[u8], format: Format) -> Option<Result<Entry, Malformed>> {
    if line.is_empty() {
        return None;
    }
    let line = trim_leading_blanks(line);
    if line.first() == Some(&b'#') {
        return None;
    }
    if line.starts_with(b"part\t") || line.starts_with(b"archive\t") || line.starts_with(b"{") {
        return Some(Err(Malformed::Unsupported));
    }
    Some(parse_entry(line, format).ok_or(Malformed::Format))
}

fn trim_leading_blanks(mut line: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = line {
        line = rest;
    }
    line
}

fn parse_entry(line: &[u8], format: Format) -> Option<Entry> {
    // An escaped line starts with a backslash; -z lists are never escaped.
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) if !format.zero => (true, rest),
        _ => (false, line),
    };
    let (hex, rest) = line.split_at_checked(64)?;
    let tree_hash = TreeHash::from_hex(hex).ok()?;
    let (sha256, name) = if format.sha256 {
        // Exactly what --sha256 writes: two spaces, the SHA-256, two spaces, the name.
        let rest = rest.strip_prefix(b"  ")?;
        let (hex, rest) = rest.split_at_checked(64)?;
        (
            Some(Sha256Hash::from_hex(hex).ok()?),
            rest.strip_prefix(b"  ")?,
        )
    } else {
        // As sha256sum: a space or tab, then a second space or `*` (binary mode), then the
        // name.
        let rest = rest
            .strip_prefix(b" ")
            .or_else(|| rest.strip_prefix(b"\t"))?;
        let name = rest
            .strip_prefix(b" ")
            .or_else(|| rest.strip_prefix(b"*"))
            .unwrap_or(rest);
        (None, name)
    };
    if name.is_empty() {
        return None;
    }
    let name = if escaped {
        names::unescape(name)?
    } else {
        name.to_vec()
    };
    Some(Entry {
        tree_hash,
        sha256,
        name: platform::name_from_bytes(name),
    })
}

/// What one read of a list gave.
enum Record {
    /// A line, in the buffer, with its delimiter if it had one.
    Line,
    /// A line longer than [`MAX_LINE`], skipped.
    TooLong,
    /// The end of the list.
    End,
}

/// Reads the next record up to `delimiter` into `line`, keeping at most [`MAX_LINE`] bytes.
fn next_record(reader: &mut impl BufRead, delimiter: u8, line: &mut Vec<u8>) -> io::Result<Record> {
    line.clear();
    let mut started = false;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(match (started, too_long) {
                (false, _) => Record::End,
                (true, false) => Record::Line,
                (true, true) => Record::TooLong,
            });
        }
        started = true;
        let (taken, ended) = match available.iter().position(|&byte| byte == delimiter) {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            // The delimiter does not count: a line may hold MAX_LINE bytes before it.
            if line.len() + taken - usize::from(ended) > MAX_LINE {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(&available[..taken]);
            }
        }
        reader.consume(taken);
        if ended {
            return Ok(if too_long {
                Record::TooLong
            } else {
                Record::Line
            });
        }
    }
}

/// Counts for one list.
#[derive(Default)]
struct Tally {
    matched: u64,
    failed: u64,
    unreadable: u64,
    malformed: u64,
    /// Well-formed lines, missing files skipped included.
    formatted: u64,
}

impl Tally {
    /// Prints the warnings (unless `--status`) and says whether the list passed.
    fn report(&self, list_label: &str, args: &Args, read_failed: bool) -> bool {
        if !args.status {
            for (count, one, many) in [
                (
                    self.malformed,
                    "1 line is improperly formatted",
                    "lines are improperly formatted",
                ),
                (
                    self.unreadable,
                    "1 listed file could not be read",
                    "listed files could not be read",
                ),
                (
                    self.failed,
                    "1 computed checksum did NOT match",
                    "computed checksums did NOT match",
                ),
            ] {
                match count {
                    0 => {}
                    1 => message!("{PROGRAM}: WARNING: {one}"),
                    n => message!("{PROGRAM}: WARNING: {n} {many}"),
                }
            }
        }
        if read_failed {
            return false;
        }
        if self.formatted == 0 {
            message!("{PROGRAM}: {list_label}: no properly formatted checksum lines found");
            return false;
        }
        if self.matched + self.failed + self.unreadable == 0 && args.ignore_missing {
            message!("{PROGRAM}: {list_label}: no file was verified");
            return false;
        }
        self.failed == 0 && self.unreadable == 0 && !(args.strict && self.malformed > 0)
    }
}

/// Opens a list (standard input for `-`); a directory is an error.
fn open_list(list: &OsStr) -> io::Result<File> {
    let file = if list == "-" {
        platform::stdin_file()?
    } else {
        File::open(list)?
    };
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "Is a directory",
        ));
    }
    Ok(file)
}

/// `--check` of one list: true if every listed file matched (and, with --strict, every line
/// was well formed).
pub fn check_list(
    list: &OsStr,
    args: &Args,
    hashing: &mut Hashing,
    out: &mut Output,
) -> Result<bool, WriteFailed> {
    let list_is_stdin = list == "-";
    let list_label = if list_is_stdin {
        String::from("'standard input'")
    } else {
        quote(list)
    };
    let file = match open_list(list) {
        Ok(file) => file,
        Err(error) => {
            message!("{PROGRAM}: {list_label}: {}", describe(&error));
            return Ok(false);
        }
    };
    let format = Format::of(args);
    let mut reader = BufReader::new(&file);
    let mut tally = Tally::default();
    let mut read_failed = false;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        let parsed = match next_record(&mut reader, format.delimiter(), &mut line) {
            Ok(Record::End) => break,
            Ok(Record::TooLong) => Some(Err(Malformed::TooLong)),
            Ok(Record::Line) => {
                if line.last() == Some(&format.delimiter()) {
                    line.pop();
                    // As sha256sum: a list with CRLF line ends reads the same (a name that
                    // ends with a carriage return is written escaped, as `\r`).
                    if !format.zero && line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                parse_line(&line, format)
            }
            Err(error) => {
                message!("{PROGRAM}: {list_label}: {}", describe(&error));
                read_failed = true;
                break;
            }
        };
        number += 1;
        match parsed {
            None => {}
            Some(Ok(entry)) => {
                tally.formatted += 1;
                check_entry(&entry, list_is_stdin, args, hashing, out, &mut tally)?;
            }
            Some(Err(malformed)) => {
                tally.malformed += 1;
                if !args.status {
                    let why = malformed.why(format);
                    message!("{PROGRAM}: {list_label}: {number}: {why}");
                }
            }
        }
    }
    Ok(tally.report(&list_label, args, read_failed))
}

/// Whether `name` starts as the rest of a `--sha256` line does (a SHA-256 and two spaces):
/// a default-format list line with such a name that cannot be opened is probably a `--sha256`
/// list checked without `--sha256`, and the message says so.
fn looks_like_sha256_rest(name: &OsStr) -> bool {
    let bytes = platform::name_bytes(name);
    bytes.len() > 66 && bytes[64..66] == *b"  " && Sha256Hash::from_hex(&bytes[..64]).is_ok()
}

/// Checks one listed file and prints its verdict.
fn check_entry(
    entry: &Entry,
    list_is_stdin: bool,
    args: &Args,
    hashing: &mut Hashing,
    out: &mut Output,
    tally: &mut Tally,
) -> Result<(), WriteFailed> {
    let what = if entry.sha256.is_some() {
        What::Both
    } else {
        What::Tree
    };
    let result = if entry.name == "-" && list_is_stdin {
        Err(io::Error::other(
            "standard input is the list being checked; it cannot be a listed file too",
        ))
    } else {
        hashing.hash_named(&entry.name, what)
    };
    let verdict: &str = match result {
        Ok(hashed) => {
            let good = match hashed {
                Hashed::Tree(hash) => hash == entry.tree_hash,
                Hashed::Both { checksums, .. } => {
                    checksums.tree_hash == entry.tree_hash && Some(checksums.sha256) == entry.sha256
                }
                Hashed::Parts(_) => false,
            };
            if good {
                tally.matched += 1;
                if args.quiet || args.status {
                    return Ok(());
                }
                "OK"
            } else {
                tally.failed += 1;
                "FAILED"
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound && args.ignore_missing => {
            return Ok(());
        }
        Err(error) => {
            tally.unreadable += 1;
            let hint = if error.kind() == io::ErrorKind::NotFound
                && !args.sha256
                && looks_like_sha256_rest(&entry.name)
            {
                " (a list of --sha256 output? check it with --check --sha256)"
            } else {
                ""
            };
            message!(
                "{PROGRAM}: {}: {}{hint}",
                quote(&entry.name),
                describe(&error)
            );
            "FAILED open or read"
        }
    };
    if args.status {
        return Ok(());
    }
    let mut text = escape_for_check_output(&entry.name);
    text.extend_from_slice(format!(": {verdict}\n").as_bytes());
    out.write(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const DEFAULT: Format = Format {
        sha256: false,
        zero: false,
    };
    const SHA256: Format = Format {
        sha256: true,
        zero: false,
    };
    const ZERO: Format = Format {
        sha256: false,
        zero: true,
    };

    fn entry(sha256: bool, name: &str) -> Option<Result<Entry, Malformed>> {
        Some(Ok(Entry {
            tree_hash: TreeHash::from_hex(HEX).unwrap(),
            sha256: sha256.then(|| Sha256Hash::from_hex(HEX).unwrap()),
            name: name.into(),
        }))
    }

    #[test]
    fn default_lines_parse() {
        let line = |text: String| parse_line(text.as_bytes(), DEFAULT);
        assert_eq!(line(format!("{HEX}  a b")), entry(false, "a b"));
        assert_eq!(line(format!("{HEX} *bin")), entry(false, "bin"));
        assert_eq!(line(format!("{HEX} one")), entry(false, "one"));
        assert_eq!(line(format!("{HEX}\ttab")), entry(false, "tab"));
        assert_eq!(line(format!("{HEX}\t tab")), entry(false, "tab"));
        assert_eq!(
            line(format!("\\{HEX}  a\\nb\\\\c\\rd")),
            entry(false, "a\nb\\c\rd")
        );
        assert_eq!(line(format!("{HEX}  a\\nb")), entry(false, "a\\nb"));
        assert_eq!(parse_line(b"# comment", DEFAULT), None);
        assert_eq!(parse_line(b"", DEFAULT), None);
        assert_eq!(line(format!("{HEX}  ")), Some(Err(Malformed::Format)));
        assert_eq!(line(format!("\\{HEX}  a\\q")), Some(Err(Malformed::Format)));
        assert_eq!(line(HEX[..63].to_string()), Some(Err(Malformed::Format)));
        assert_eq!(line(" ".to_string()), Some(Err(Malformed::Format)));
        assert_eq!(
            parse_line(b"part\t0\tbytes 0-1/*", DEFAULT),
            Some(Err(Malformed::Unsupported))
        );
        assert_eq!(
            parse_line(b"{\"file\":1}", DEFAULT),
            Some(Err(Malformed::Unsupported))
        );
    }

    #[test]
    fn a_name_that_starts_like_a_sha256_is_read_one_way_per_format() {
        // Issue 19: the default format never takes a --sha256 reading of the line.
        let text = format!("{HEX}  {HEX}  x");
        assert_eq!(
            parse_line(text.as_bytes(), DEFAULT),
            entry(false, &format!("{HEX}  x"))
        );
        assert_eq!(parse_line(text.as_bytes(), SHA256), entry(true, "x"));
        // --sha256 lists hold only --sha256 lines.
        for line in [
            format!("{HEX}  x"),
            format!("{HEX} *{HEX}  x"),
            format!("{HEX}  {HEX} x"),
            format!("{HEX}  {HEX}  "),
        ] {
            assert_eq!(
                parse_line(line.as_bytes(), SHA256),
                Some(Err(Malformed::Format)),
                "{line}"
            );
        }
        assert!(looks_like_sha256_rest(OsStr::new(&format!("{HEX}  x"))));
        assert!(!looks_like_sha256_rest(OsStr::new(&format!("{HEX} x"))));
    }

    #[test]
    fn zero_lists_take_names_as_they_are() {
        let line = |text: String| parse_line(text.as_bytes(), ZERO);
        assert_eq!(line(format!("{HEX}  a\nb\\n")), entry(false, "a\nb\\n"));
        // A leading backslash is not an escape mark in a -z list.
        assert_eq!(line(format!("\\{HEX}  a")), Some(Err(Malformed::Format)));
    }

    #[test]
    fn records_are_bounded() {
        let long = vec![b'a'; MAX_LINE * 3];
        let mut input = long.clone();
        input.push(b'\n');
        input.extend_from_slice(b"short\nlast");
        let mut reader = BufReader::with_capacity(1000, &input[..]);
        let mut line = Vec::new();
        assert!(matches!(
            next_record(&mut reader, b'\n', &mut line),
            Ok(Record::TooLong)
        ));
        assert!(line.len() <= MAX_LINE);
        assert!(matches!(
            next_record(&mut reader, b'\n', &mut line),
            Ok(Record::Line)
        ));
        assert_eq!(line, b"short\n");
        assert!(matches!(
            next_record(&mut reader, b'\n', &mut line),
            Ok(Record::Line)
        ));
        assert_eq!(line, b"last");
        assert!(matches!(
            next_record(&mut reader, b'\n', &mut line),
            Ok(Record::End)
        ));
        // A line of exactly MAX_LINE bytes is kept, with or without its delimiter; one more
        // byte is too long, with or without.
        let exact = vec![b'b'; MAX_LINE];
        for (text, fits) in [
            ([&exact[..], b"\n"].concat(), true),
            (exact.clone(), true),
            ([&exact[..], b"b\n"].concat(), false),
            ([&exact[..], b"b"].concat(), false),
        ] {
            let mut reader = BufReader::with_capacity(100, &text[..]);
            let record = next_record(&mut reader, b'\n', &mut line);
            if fits {
                assert!(matches!(record, Ok(Record::Line)));
                assert_eq!(line, text);
            } else {
                assert!(matches!(record, Ok(Record::TooLong)));
            }
        }
    }
}
