//! `glacier-tree-hash`: print or check Amazon S3 Glacier SHA-256 tree hashes, with the habits
//! of `sha256sum`.
//!
//! Every input is opened once and handed to the library as an open `File`, so regular files
//! (standard input included, when it is one) take the positional fast path, and FIFOs are read
//! once. Nothing is printed for an input until its hash is complete and error free.

#![forbid(unsafe_code)]

mod names;
mod progress;

use clap::{CommandFactory, FromArgMatches, Parser};
// The library's methods, beside the tool's own `Hasher` trait below.
use glacier_tree_hash::Hasher as _;
use glacier_tree_hash::{
    ChecksumHasher, Checksums, MultipartHasher, MultipartSummary, PartSize, Sha256Hash, TreeHash,
    TreeHasher,
};
use names::{describe, escape_for_check_output, escape_for_list, quote};
use progress::Progress;
use serde::Serialize;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Bound;
use std::process::ExitCode;
use std::time::Duration;

/// The program's name in messages.
const PROGRAM: &str = "glacier-tree-hash";

/// Input of at most this many bytes is hashed on the calling thread, with no thread pool.
const SERIAL_LIMIT: u64 = 1 << 20;

/// The leaf SHA-256 backend, for `--version` (and bug reports).
fn leaf_backend() -> &'static str {
    glacier_tree_hash::leaf_backend()
}

const LONG_ABOUT: &str = "\
Print or check Amazon S3 Glacier SHA-256 tree hashes (x-amz-sha256-tree-hash).

With no FILE, or when FILE is -, read standard input.

Output formats (one record per input; names that contain a newline, a carriage return or a
backslash are escaped as sha256sum escapes them: the line starts with a backslash and the name
has \\n, \\r and \\\\ in their place; -z turns escaping off and ends records with NUL):

  default      <tree hash>  <name>
               (64 lowercase hex digits, two spaces; what sha256sum writes, and for input of
               1 MiB or less the same line, since its tree hash is its SHA-256)
  --sha256     <tree hash>  <sha256>  <name>
               (adds x-amz-content-sha256, computed in the same read)
  --part-size  one line per part of a multipart upload, tab separated:
                 part  <index>  <Content-Range>  <tree hash>  <sha256>
               then one line for CompleteMultipartUpload:
                 archive  <x-amz-archive-size>  <tree hash>  <name>
               (the whole archive's SHA-256 is left out: multipart requests do not use it)
  --json       one JSON object per input, on one line:
                 {\"file\", \"archive_size\", \"tree_hash\", \"sha256\"}, or with --part-size
                 {\"file\", \"archive_size\", \"tree_hash\", \"part_size\", \"parts\": [{\"index\",
                 \"range\": {\"start\", \"end\"}, \"content_range\", \"tree_hash\", \"sha256\"}]}
               (\"file\" is the name; bytes that are not UTF-8 become U+FFFD there)

--check reads lists in the default or the --sha256 format (sha256sum's ` *name` and escaped
lines too), from each FILE in turn or standard input, and prints `<name>: OK`, `<name>: FAILED`
or `<name>: FAILED open or read` per line, then warnings with counts on standard error.

A progress bar (bytes, rate, ETA) is drawn on standard error only when it is a terminal and only
for inputs over 64 MiB; never on standard output.";

const AFTER_HELP: &str = "\
Exit status:
  0  every input was hashed, or every listed file matched
  1  a mismatch, an unreadable input or list, an output error, or (with --strict) a malformed
     list line
  2  a usage error";

/// Print or check Amazon S3 Glacier SHA-256 tree hashes, like sha256sum.
#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    version,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    max_term_width = 100
)]
struct Args {
    /// Files to hash, or with --check lists to check (- for standard input).
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,

    /// Read tree hashes from the FILEs (lists) and check them.
    #[arg(short, long)]
    check: bool,

    /// With --check: do not print OK for each file that matches.
    #[arg(long, requires = "check", overrides_with_all = ["status", "warn"])]
    quiet: bool,

    /// With --check: print nothing on standard output and no warnings; the exit status tells.
    /// Of --quiet, --status and --warn the last one given wins, as in sha256sum.
    #[arg(long, requires = "check", overrides_with_all = ["quiet", "warn"])]
    status: bool,

    /// With --check: skip listed files that do not exist, without a message.
    #[arg(long, requires = "check")]
    ignore_missing: bool,

    /// With --check: exit 1 if a list has a malformed line.
    #[arg(long, requires = "check")]
    strict: bool,

    /// With --check: warn about each malformed line, with its number. This is the default
    /// (sha256sum only counts them unless --warn), except after --status.
    #[arg(short, long, requires = "check", overrides_with_all = ["quiet", "status"])]
    warn: bool,

    /// End each output record with NUL, not newline, and do not escape names.
    #[arg(short, long, conflicts_with = "check")]
    zero: bool,

    /// Also print the linear SHA-256 (x-amz-content-sha256), from the same read.
    #[arg(long, conflicts_with = "check")]
    sha256: bool,

    /// Print each part of a multipart upload in parts of SIZE (1MiB, 2MiB, 4MiB, ... 4GiB, or
    /// bytes); refused before reading if the input needs more than 10,000 parts.
    #[arg(long, value_name = "SIZE", conflicts_with_all = ["check", "sha256"])]
    part_size: Option<PartSize>,

    /// Print one JSON object per input (see the formats above).
    #[arg(long, conflicts_with = "check")]
    json: bool,

    /// Hash with at most N threads (default: RAYON_NUM_THREADS, or one per core; never more
    /// than the cores, nor than the input has 1 MiB chunks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    threads: Option<u32>,

    /// Never draw a progress bar.
    #[arg(long)]
    no_progress: bool,

    /// Print a completion script for SHELL and exit.
    #[arg(long, value_name = "SHELL", hide = true, exclusive = true)]
    completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long, hide = true, exclusive = true)]
    man: bool,
}

/// The clap command, with the leaf backend in `--version`.
fn command() -> clap::Command {
    let long_version: &'static str = Box::leak(
        format!(
            "{}\nleaf backend: {}",
            env!("CARGO_PKG_VERSION"),
            leaf_backend()
        )
        .into_boxed_str(),
    );
    Args::command().long_version(long_version)
}

/// Standard output could not be written: the run stops with exit status 1.
#[derive(Debug)]
struct WriteFailed(io::Error);

fn main() -> ExitCode {
    let matches = command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let mut out = Output::new();
    let result = run(&args, &mut out).and_then(|ok| out.flush().map(|()| ok));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // The reader of a pipe went away (`| head -1`): stop quietly, as sha256sum stops on
        // SIGPIPE, but not with status 0.
        Err(WriteFailed(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
        Err(WriteFailed(error)) => {
            eprintln!("{PROGRAM}: write error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// Runs the mode the arguments ask for: true if everything succeeded.
fn run(args: &Args, out: &mut Output) -> Result<bool, WriteFailed> {
    if let Some(shell) = args.completions {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command(), PROGRAM, &mut script);
        out.write(&script)?;
        return Ok(true);
    }
    if args.man {
        let mut page = Vec::new();
        clap_mangen::Man::new(command())
            .render(&mut page)
            .map_err(WriteFailed)?;
        out.write(&page)?;
        return Ok(true);
    }
    let mut hashing = Hashing::new(args);
    let stdin = [OsString::from("-")];
    let files = if args.files.is_empty() {
        &stdin[..]
    } else {
        &args.files[..]
    };
    if args.check {
        let mut ok = true;
        for list in files {
            ok &= check_list(list, args, &mut hashing, out)?;
        }
        return Ok(ok);
    }
    let what = match args.part_size {
        Some(size) => What::Parts(size),
        None if args.sha256 || args.json => What::Both,
        None => What::Tree,
    };
    let mut ok = true;
    for name in files {
        match hashing.hash_named(name, what) {
            Ok(result) => out.write(&render(name, &result, args))?,
            Err(error) => {
                eprintln!("{PROGRAM}: {}: {}", quote(name), describe(&error));
                ok = false;
            }
        }
    }
    Ok(ok)
}

/// Standard output as a `File` made from its descriptor, opened at the first write, so that
/// a descriptor that is closed or not writable is an error rather than silence.
struct Output {
    file: Option<io::BufWriter<File>>,
}

impl Output {
    fn new() -> Output {
        Output { file: None }
    }

    /// Writes `bytes` and flushes them, so that standard output and standard error interleave
    /// in order.
    fn write(&mut self, bytes: &[u8]) -> Result<(), WriteFailed> {
        if self.file.is_none() {
            let file = platform::stdout_file().map_err(WriteFailed)?;
            self.file = Some(io::BufWriter::new(file));
        }
        if let Some(file) = &mut self.file {
            file.write_all(bytes).map_err(WriteFailed)?;
            file.flush().map_err(WriteFailed)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), WriteFailed> {
        match &mut self.file {
            Some(file) => file.flush().map_err(WriteFailed),
            None => Ok(()),
        }
    }
}

/// What to compute for an input.
#[derive(Clone, Copy, Debug)]
enum What {
    /// The tree hash.
    Tree,
    /// The tree hash and the linear SHA-256.
    Both,
    /// Every part's checksums and the archive's tree hash.
    Parts(PartSize),
}

/// What was computed for an input.
enum Hashed {
    Tree(TreeHash),
    Both { checksums: Checksums, size: u64 },
    Parts(MultipartSummary),
}

/// The text printed for input `name`.
fn render(name: &OsStr, hashed: &Hashed, args: &Args) -> Vec<u8> {
    let end = if args.zero { b'\0' } else { b'\n' };
    let mut text = Vec::new();
    if args.json {
        let file = name.to_string_lossy();
        let json = match hashed {
            Hashed::Tree(hash) => serde_json::to_vec(&JsonWhole {
                file: &file,
                archive_size: None,
                tree_hash: *hash,
                sha256: None,
            }),
            Hashed::Both { checksums, size } => serde_json::to_vec(&JsonWhole {
                file: &file,
                archive_size: Some(*size),
                tree_hash: checksums.tree_hash,
                sha256: Some(checksums.sha256),
            }),
            Hashed::Parts(summary) => serde_json::to_vec(&JsonParts::new(&file, summary)),
        };
        // Serializing strings, numbers and hex hashes into a Vec cannot fail.
        text = json.unwrap_or_default();
        text.push(end);
        return text;
    }
    // sha256sum's rule: a name that needs escaping starts its line with a backslash.
    let (escaped, name) = if args.zero {
        (false, platform::name_bytes(name).into_owned())
    } else {
        escape_for_list(name)
    };
    let lead: &[u8] = if escaped { b"\\" } else { b"" };
    match hashed {
        Hashed::Tree(hash) => {
            text.extend_from_slice(lead);
            text.extend_from_slice(format!("{hash}  ").as_bytes());
        }
        Hashed::Both { checksums, .. } => {
            text.extend_from_slice(lead);
            text.extend_from_slice(
                format!("{}  {}  ", checksums.tree_hash, checksums.sha256).as_bytes(),
            );
        }
        Hashed::Parts(summary) => {
            for part in &summary.parts {
                text.extend_from_slice(
                    format!(
                        "part\t{}\t{}\t{}\t{}",
                        part.part.index(),
                        part.part.content_range(),
                        part.checksums.tree_hash,
                        part.checksums.sha256
                    )
                    .as_bytes(),
                );
                text.push(end);
            }
            text.extend_from_slice(lead);
            text.extend_from_slice(
                format!("archive\t{}\t{}\t", summary.archive_size, summary.tree_hash).as_bytes(),
            );
        }
    }
    text.extend_from_slice(&name);
    text.push(end);
    text
}

/// `--json` for a whole input.
#[derive(Serialize)]
struct JsonWhole<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    archive_size: Option<u64>,
    tree_hash: TreeHash,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<Sha256Hash>,
}

/// `--json --part-size`.
#[derive(Serialize)]
struct JsonParts<'a> {
    file: &'a str,
    archive_size: u64,
    tree_hash: TreeHash,
    part_size: PartSize,
    parts: Vec<JsonPart>,
}

#[derive(Serialize)]
struct JsonPart {
    index: u64,
    range: JsonRange,
    content_range: String,
    tree_hash: TreeHash,
    sha256: Sha256Hash,
}

#[derive(Serialize)]
struct JsonRange {
    start: u64,
    end: u64,
}

impl<'a> JsonParts<'a> {
    fn new(file: &'a str, summary: &MultipartSummary) -> JsonParts<'a> {
        JsonParts {
            file,
            archive_size: summary.archive_size,
            tree_hash: summary.tree_hash,
            part_size: summary.part_size,
            parts: summary
                .parts
                .iter()
                .map(|part| JsonPart {
                    index: part.part.index(),
                    range: JsonRange {
                        start: part.part.range().start,
                        end: part.part.range().end,
                    },
                    content_range: part.part.content_range().to_string(),
                    tree_hash: part.checksums.tree_hash,
                    sha256: part.checksums.sha256,
                })
                .collect(),
        }
    }
}

/// The hashers the tool drives, behind one interface.
trait Hasher: Send {
    fn new_for(what: What) -> Self;
    fn bytes(&mut self, data: &[u8]);
    fn file(&mut self, file: &File, range: (Bound<u64>, Bound<u64>)) -> io::Result<()>;
    fn file_rayon(&mut self, file: &File, range: (Bound<u64>, Bound<u64>)) -> io::Result<()>;
    fn reader_rayon(&mut self, reader: impl Read) -> io::Result<()>;
}

macro_rules! hasher {
    ($type:ty, $new:expr) => {
        impl Hasher for $type {
            fn new_for(what: What) -> Self {
                #[allow(clippy::redundant_closure_call)]
                ($new)(what)
            }
            fn bytes(&mut self, data: &[u8]) {
                self.update(data);
            }
            fn file(&mut self, file: &File, range: (Bound<u64>, Bound<u64>)) -> io::Result<()> {
                self.update_file(file, range).map(|_| ())
            }
            fn file_rayon(
                &mut self,
                file: &File,
                range: (Bound<u64>, Bound<u64>),
            ) -> io::Result<()> {
                self.update_file_rayon(file, range).map(|_| ())
            }
            fn reader_rayon(&mut self, reader: impl Read) -> io::Result<()> {
                self.update_reader_rayon(reader).map(|_| ())
            }
        }
    };
}

hasher!(TreeHasher, |_| TreeHasher::new());
hasher!(ChecksumHasher, |_| ChecksumHasher::new());
hasher!(MultipartHasher, |what| match what {
    What::Parts(size) => MultipartHasher::new(size),
    _ => MultipartHasher::new(PartSize::MIN),
});

/// Hashes inputs: one open `File` each, on a thread pool built only when an input is big
/// enough to use it, with as many threads as it can use.
struct Hashing {
    /// The most threads a pool may have.
    max_threads: usize,
    /// The pool so far, and its thread count.
    pool: Option<(usize, rayon::ThreadPool)>,
    /// Whether a progress bar may be drawn at all (terminal, no --no-progress).
    progress: bool,
}

impl Hashing {
    fn new(args: &Args) -> Hashing {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let requested = args
            .threads
            .map(|n| n as usize)
            .or_else(|| {
                std::env::var("RAYON_NUM_THREADS")
                    .ok()
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .filter(|&n| n > 0)
            })
            .unwrap_or(cores);
        Hashing {
            max_threads: requested.clamp(1, cores),
            pool: None,
            progress: progress::enabled(args.no_progress),
        }
    }

    /// A pool with at least `wanted` threads (capped at `max_threads`), built on first need.
    fn pool(&mut self, wanted: u64) -> io::Result<&rayon::ThreadPool> {
        let wanted = usize::try_from(wanted)
            .unwrap_or(usize::MAX)
            .clamp(1, self.max_threads);
        let reuse = matches!(&self.pool, Some((threads, _)) if *threads >= wanted);
        if !reuse {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(wanted)
                .build()
                .map_err(|error| io::Error::other(format!("cannot start threads: {error}")))?;
            self.pool = Some((wanted, pool));
        }
        match &self.pool {
            Some((_, pool)) => Ok(pool),
            None => Err(io::Error::other("no thread pool")),
        }
    }

    /// Opens `name` (standard input for `-`) once and hashes it.
    fn hash_named(&mut self, name: &OsStr, what: What) -> io::Result<Hashed> {
        let file = if name == "-" {
            platform::stdin_file()?
        } else {
            File::open(name)?
        };
        self.hash_file(&file, name, what)
    }

    /// Hashes the open `file` from its cursor (`pos..`), whatever kind of file it is.
    fn hash_file(&mut self, file: &File, name: &OsStr, what: What) -> io::Result<Hashed> {
        // Standard input that is a regular file is hashed from its offset, and left at the end
        // of what was hashed, as sha256sum leaves it: `(read x; glacier-tree-hash) < f` hashes
        // the rest of `f`, and `glacier-tree-hash - -  < f` hashes it, then nothing.
        let stdin_start = if name == "-" && file.metadata()?.is_file() {
            let mut cursor = file;
            Some(cursor.stream_position()?)
        } else {
            None
        };
        let start = stdin_start.unwrap_or(0);
        let (hashed, size) = match what {
            What::Tree => {
                let hasher = self.run::<TreeHasher>(file, name, start, what)?;
                (Hashed::Tree(hasher.finalize()), hasher.count())
            }
            What::Both => {
                let hasher = self.run::<ChecksumHasher>(file, name, start, what)?;
                let size = hasher.count();
                let checksums = hasher.finalize();
                (Hashed::Both { checksums, size }, size)
            }
            What::Parts(_) => {
                let hasher = self.run::<MultipartHasher>(file, name, start, what)?;
                let summary = hasher
                    .finalize()
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
                let size = summary.archive_size;
                (Hashed::Parts(summary), size)
            }
        };
        if let Some(start) = stdin_start {
            let mut cursor = file;
            cursor.seek(SeekFrom::Start(start.saturating_add(size)))?;
        }
        Ok(hashed)
    }

    /// Hashes `file`: a regular file from `start`, anything else through its cursor.
    fn run<H: Hasher>(
        &mut self,
        file: &File,
        name: &OsStr,
        start: u64,
        what: What,
    ) -> io::Result<H> {
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "Is a directory",
            ));
        }
        let mut hasher = H::new_for(what);
        if metadata.is_file() {
            let len = metadata.len();
            let remaining = len.saturating_sub(start);
            if let What::Parts(size) = what {
                // Refused before the first read, whichever path reads it.
                size.check_archive_size(remaining)
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
            }
            if remaining <= SERIAL_LIMIT {
                hasher.file(file, (Bound::Included(start), Bound::Unbounded))?;
                return Ok(hasher);
            }
            let chunks = remaining.div_ceil(SERIAL_LIMIT);
            let draw = progress::draws(self.progress, remaining);
            let pool = self.pool(chunks)?;
            let threads = pool.current_num_threads();
            pool.install(|| {
                if draw {
                    let bar = Progress::new(name, Some(remaining), 0, Duration::ZERO);
                    let segment = progress::segment_for(threads);
                    let result = progress::by_segments(&bar, segment, start, len, |range| {
                        hasher.file_rayon(file, range)
                    });
                    bar.clear();
                    result
                } else {
                    hasher.file_rayon(file, (Bound::Included(start), Bound::Unbounded))
                }
            })?;
            return Ok(hasher);
        }
        // A pipe, FIFO, terminal or device: read through the cursor, the first MiB and a byte
        // here, so that a short stream needs no thread pool.
        let mut reader = file;
        let mut head = Vec::new();
        (&mut reader)
            .take(SERIAL_LIMIT + 1)
            .read_to_end(&mut head)?;
        if head.len() as u64 <= SERIAL_LIMIT {
            // `read_to_end` stopped at the first `Ok(0)`: that is the end of the input.
            hasher.bytes(&head);
            return Ok(hasher);
        }
        let enabled = self.progress;
        let pool = self.pool(u64::MAX)?;
        pool.install(|| {
            let mut counted =
                progress::Counting::new(io::Cursor::new(head).chain(reader), name, enabled);
            let result = hasher.reader_rayon(&mut counted);
            counted.clear();
            result
        })?;
        Ok(hasher)
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
    /// Not a checksum line.
    Format,
    /// A line of `--part-size` or `--json` output.
    Unsupported,
}

/// Parses one list line (without its newline): `<tree>  <name>`, `<tree> *<name>`,
/// `<tree>  <sha256>  <name>`, each possibly escaped (a leading backslash). `None` for a
/// comment line.
fn parse_line(line: &[u8]) -> Option<Result<Entry, Malformed>> {
    let line = trim_leading_blanks(line);
    if line.first() == Some(&b'#') {
        return None;
    }
    if line.starts_with(b"part\t") || line.starts_with(b"archive\t") || line.starts_with(b"{") {
        return Some(Err(Malformed::Unsupported));
    }
    Some(parse_entry(line).ok_or(Malformed::Format))
}

fn trim_leading_blanks(mut line: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = line {
        line = rest;
    }
    line
}

fn parse_entry(line: &[u8]) -> Option<Entry> {
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (hex, rest) = line.split_at_checked(64)?;
    let tree_hash = TreeHash::from_hex(hex).ok()?;
    // As sha256sum: one space, then a second space or `*` (binary mode), then the name.
    let rest = rest.strip_prefix(b" ")?;
    let rest = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b"*"))
        .unwrap_or(rest);
    // `<tree>  <sha256>  <name>`: a line of --sha256.
    let (sha256, name) = match rest.split_at_checked(66) {
        Some((fields, name)) if fields.ends_with(b"  ") => {
            match Sha256Hash::from_hex(&fields[..64]) {
                Ok(sha256) => (Some(sha256), name),
                Err(_) => (None, rest),
            }
        }
        _ => (None, rest),
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

/// `--check` of one list: true if every listed file matched (and, with --strict, every line
/// was well formed).
fn check_list(
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
    let opened = if list_is_stdin {
        platform::stdin_file()
    } else {
        File::open(list)
    };
    let file = match opened.and_then(|file| {
        if file.metadata()?.is_dir() {
            Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "Is a directory",
            ))
        } else {
            Ok(file)
        }
    }) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{PROGRAM}: {list_label}: {}", describe(&error));
            return Ok(false);
        }
    };
    let warn = !args.status;
    let mut reader = BufReader::new(&file);
    let mut tally = Tally::default();
    let mut read_failed = false;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                eprintln!("{PROGRAM}: {list_label}: {}", describe(&error));
                read_failed = true;
                break;
            }
        }
        number += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
            // As sha256sum: a list with CRLF line ends reads the same (a name that ends with a
            // carriage return is written escaped, as `\r`).
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let entry = match parse_line(&line) {
            None => continue,
            Some(Ok(entry)) => {
                tally.formatted += 1;
                entry
            }
            Some(Err(malformed)) => {
                tally.malformed += 1;
                if warn {
                    let why = match malformed {
                        Malformed::Format => "improperly formatted tree hash line",
                        Malformed::Unsupported => {
                            "a line of --part-size or --json output, which --check does not read"
                        }
                    };
                    eprintln!("{PROGRAM}: {list_label}: {number}: {why}");
                }
                continue;
            }
        };
        check_entry(&entry, list_is_stdin, args, hashing, out, &mut tally)?;
    }
    if !args.status {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                one.to_string()
            } else {
                format!("{n} {many}")
            }
        };
        if tally.malformed > 0 {
            eprintln!(
                "{PROGRAM}: WARNING: {}",
                plural(
                    tally.malformed,
                    "1 line is improperly formatted",
                    "lines are improperly formatted"
                )
            );
        }
        if tally.unreadable > 0 {
            eprintln!(
                "{PROGRAM}: WARNING: {}",
                plural(
                    tally.unreadable,
                    "1 listed file could not be read",
                    "listed files could not be read"
                )
            );
        }
        if tally.failed > 0 {
            eprintln!(
                "{PROGRAM}: WARNING: {}",
                plural(
                    tally.failed,
                    "1 computed checksum did NOT match",
                    "computed checksums did NOT match"
                )
            );
        }
    }
    let seen = tally.matched + tally.failed + tally.unreadable;
    if !read_failed && tally.formatted == 0 {
        eprintln!("{PROGRAM}: {list_label}: no properly formatted checksum lines found");
        return Ok(false);
    }
    if !read_failed && seen == 0 && args.ignore_missing {
        eprintln!("{PROGRAM}: {list_label}: no file was verified");
        return Ok(false);
    }
    Ok(!read_failed
        && tally.failed == 0
        && tally.unreadable == 0
        && !(args.strict && tally.malformed > 0))
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
            eprintln!("{PROGRAM}: {}: {}", quote(&entry.name), describe(&error));
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

/// What differs between operating systems: descriptors, and names as bytes.
mod platform {
    use std::borrow::Cow;
    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;

    /// Standard input as a `File` of its own descriptor: a regular file keeps the fast path,
    /// and a descriptor that cannot be read gives its real error.
    #[cfg(unix)]
    pub fn stdin_file() -> io::Result<File> {
        use std::os::fd::AsFd;
        Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
    }

    /// Standard output as a `File` of its own descriptor.
    #[cfg(unix)]
    pub fn stdout_file() -> io::Result<File> {
        use std::os::fd::AsFd;
        Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
    }

    #[cfg(windows)]
    pub fn stdin_file() -> io::Result<File> {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdin().as_handle().try_clone_to_owned()?))
    }

    #[cfg(windows)]
    pub fn stdout_file() -> io::Result<File> {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
    }

    /// The bytes of a name, exactly (Unix), or as UTF-8 with U+FFFD elsewhere.
    pub fn name_bytes(name: &OsStr) -> Cow<'_, [u8]> {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            Cow::Borrowed(name.as_bytes())
        }
        #[cfg(not(unix))]
        {
            match name.to_string_lossy() {
                Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                Cow::Owned(text) => Cow::Owned(text.into_bytes()),
            }
        }
    }

    /// A name from the bytes of a list line.
    pub fn name_from_bytes(bytes: Vec<u8>) -> OsString {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            OsString::from_vec(bytes)
        }
        #[cfg(not(unix))]
        {
            OsString::from(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definitions_are_consistent() {
        command().debug_assert();
    }

    #[test]
    fn version_names_the_leaf_backend() {
        let version = command().render_long_version();
        let expected = format!("leaf backend: {}", glacier_tree_hash::leaf_backend());
        assert!(version.contains(&expected), "{version}");
    }

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn list_lines_parse() {
        let tree = TreeHash::from_hex(HEX).unwrap();
        let plain = |name: &str| {
            Some(Ok(Entry {
                tree_hash: tree,
                sha256: None,
                name: name.into(),
            }))
        };
        assert_eq!(parse_line(format!("{HEX}  a b").as_bytes()), plain("a b"));
        assert_eq!(parse_line(format!("{HEX} *bin").as_bytes()), plain("bin"));
        assert_eq!(parse_line(format!("{HEX} one").as_bytes()), plain("one"));
        assert_eq!(
            parse_line(format!("\\{HEX}  a\\nb\\\\c\\rd").as_bytes()),
            plain("a\nb\\c\rd")
        );
        assert_eq!(
            parse_line(format!("{HEX}  a\\nb").as_bytes()),
            plain("a\\nb")
        );
        assert_eq!(
            parse_line(format!("{HEX}  {HEX}  x").as_bytes()),
            Some(Ok(Entry {
                tree_hash: tree,
                sha256: Some(Sha256Hash::from_hex(HEX).unwrap()),
                name: "x".into(),
            }))
        );
        assert_eq!(parse_line(b"# comment"), None);
        assert_eq!(parse_line(b""), Some(Err(Malformed::Format)));
        assert_eq!(
            parse_line(format!("{HEX}  ").as_bytes()),
            Some(Err(Malformed::Format))
        );
        assert_eq!(
            parse_line(format!("\\{HEX}  a\\q").as_bytes()),
            Some(Err(Malformed::Format))
        );
        assert_eq!(
            parse_line(&HEX.as_bytes()[..63]),
            Some(Err(Malformed::Format))
        );
        assert_eq!(
            parse_line(b"part\t0\tbytes 0-1/*"),
            Some(Err(Malformed::Unsupported))
        );
        assert_eq!(
            parse_line(b"{\"file\":1}"),
            Some(Err(Malformed::Unsupported))
        );
    }
}
