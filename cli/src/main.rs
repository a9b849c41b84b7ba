//! `glacier-tree-hash`: the Glacier SHA-256 tree hash of files, like `sha256sum` (feature `cli`).

use clap::Parser;
use glacier_tree_hash::{
    ChecksumHasher, Checksums, MultipartHasher, MultipartSummary, PartSize, Sha256Hash, TreeHash,
    TreeHasher,
};
use sha2::Sha256;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Print or check Amazon S3 Glacier SHA-256 tree hashes.
///
/// With no FILE, or when FILE is -, read standard input. Each line of output is
/// `<64 hex digits>  <name>`, as sha256sum writes; --check reads such lines back.
///
/// With --sha256 each line is `<tree hash>  <sha256>  <name>`. With --part-size each file gives
/// tab-separated lines `part <index> <Content-Range> <tree hash> <sha256>`, one per part of a
/// multipart upload, then `archive <archiveSize> <tree hash> <sha256> <name>`: the values
/// UploadMultipartPart and CompleteMultipartUpload need. --json prints one JSON document per
/// file instead.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Files to hash (- for standard input).
    #[arg(value_name = "FILE")]
    files: Vec<String>,

    /// Read `<hash>  <name>` lines from LIST (- for standard input) and check each file.
    #[arg(short, long, value_name = "LIST", conflicts_with = "files")]
    check: Option<String>,

    /// Also print the linear SHA-256 (x-amz-content-sha256), computed in the same pass.
    #[arg(long, conflicts_with = "check")]
    sha256: bool,

    /// Print every part of a multipart upload with parts of SIZE (1MiB, 2MiB, 4MiB, ... 4GiB).
    #[arg(long, value_name = "SIZE", conflicts_with = "check")]
    part_size: Option<PartSize>,

    /// Print one JSON document per file: archive_size, tree_hash, sha256 (and parts).
    #[arg(long, conflicts_with = "check")]
    json: bool,

    /// Hash with at most N threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,

    /// Never show a progress bar (it is shown only on a terminal, for inputs over 64 MiB).
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .build();
    let run = || match &args.check {
        Some(list) => check(list, &args),
        None => hash_all(&args),
    };
    let ok = match pool {
        Ok(pool) => pool.install(run),
        Err(error) => {
            eprintln!("glacier-tree-hash: cannot start threads: {error}");
            false
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Hashes every file on the command line; reports failures and goes on. True if all succeeded.
fn hash_all(args: &Args) -> bool {
    let stdin_only = [String::from("-")];
    let files = if args.files.is_empty() {
        &stdin_only[..]
    } else {
        &args.files[..]
    };
    let mut ok = true;
    for name in files {
        let report = if args.sha256 || args.json || args.part_size.is_some() {
            checksums_named(name, args).map(|report| report.render(name, args.json))
        } else {
            hash_named(name, args).map(|hash| format!("{hash}  {name}\n"))
        };
        match report {
            Ok(text) => {
                if io::stdout().write_all(text.as_bytes()).is_err() {
                    return false;
                }
            }
            Err(error) => {
                eprintln!("glacier-tree-hash: {name}: {error}");
                ok = false;
            }
        }
    }
    ok
}

/// The tree hash of the file called `name`, or of standard input for `-`: by the fastest path,
/// `tree_hash_file`, unless a progress bar is drawn.
fn hash_named(name: &str, args: &Args) -> io::Result<TreeHash> {
    if name != "-" {
        let file = File::open(name)?;
        let size = file
            .metadata()?
            .is_file()
            .then(|| file.metadata().map(|m| m.len()))
            .transpose()?;
        if !shows_progress(size, args) {
            return Ok(TreeHasher::new().update_file_rayon(&file, ..)?.finalize());
        }
    }
    let (input, size) = open(name)?;
    with_progress(name, size, args, |counter| {
        Ok(TreeHasher::new()
            .update_reader_rayon(Counting {
                inner: input,
                counter,
            })?
            .finalize())
    })
}

/// What --sha256, --part-size and --json print for one input.
enum Report {
    Whole {
        checksums: Checksums,
        size: u64,
    },
    Parts {
        summary: MultipartSummary,
        sha256: Sha256Hash,
    },
}

/// Both checksums of `name`, and its parts with --part-size, in one read.
fn checksums_named(name: &str, args: &Args) -> io::Result<Report> {
    let (input, size) = open(name)?;
    with_progress(name, size, args, |counter| {
        let mut input = Counting {
            inner: input,
            counter,
        };
        match args.part_size {
            None => {
                let checksums = ChecksumHasher::new()
                    .update_reader_rayon(&mut input)?
                    .finalize();
                let size = counter.load(Ordering::Relaxed);
                Ok(Report::Whole { checksums, size })
            }
            Some(part_size) => {
                // The reading thread computes the archive's own SHA-256, beside the part
                // hashes in the pool.
                let mut sha256 = <Sha256 as sha2::Digest>::new();
                let reader = Sha256Reader {
                    inner: input,
                    sha256: &mut sha256,
                };
                let mut hasher = MultipartHasher::new(part_size);
                hasher.update_reader_rayon(reader)?;
                let summary = hasher.finalize().map_err(io::Error::other)?;
                let sha256 = Sha256Hash::from(<[u8; 32]>::from(sha2::Digest::finalize(sha256)));
                Ok(Report::Parts { summary, sha256 })
            }
        }
    })
}

impl Report {
    /// The text printed for input `name`.
    fn render(&self, name: &str, json: bool) -> String {
        match (self, json) {
            (Report::Whole { checksums, .. }, false) => {
                format!("{}  {}  {name}\n", checksums.tree_hash, checksums.sha256)
            }
            (Report::Whole { checksums, size }, true) => format!(
                "{{\"file\":{},\"archive_size\":{size},\"tree_hash\":\"{}\",\"sha256\":\"{}\"}}\n",
                json_string(name),
                checksums.tree_hash,
                checksums.sha256
            ),
            (Report::Parts { summary, sha256 }, false) => {
                let mut text = String::new();
                for (index, part) in summary.parts.iter().enumerate() {
                    text += &format!(
                        "part\t{index}\t{}\t{}\t{}\n",
                        part.part.content_range(),
                        part.checksums.tree_hash,
                        part.checksums.sha256
                    );
                }
                text += &format!(
                    "archive\t{}\t{}\t{sha256}\t{name}\n",
                    summary.archive_size, summary.tree_hash
                );
                text
            }
            (Report::Parts { summary, sha256 }, true) => {
                let parts: Vec<String> = summary
                    .parts
                    .iter()
                    .map(|part| {
                        format!(
                            "{{\"range\":{{\"start\":{},\"end\":{}}},\"content_range\":\"{}\",\"tree_hash\":\"{}\",\"sha256\":\"{}\"}}",
                            part.part.range().start,
                            part.part.range().end,
                            part.part.content_range(),
                            part.checksums.tree_hash,
                            part.checksums.sha256
                        )
                    })
                    .collect();
                format!(
                    "{{\"file\":{},\"archive_size\":{},\"tree_hash\":\"{}\",\"sha256\":\"{sha256}\",\"part_size\":{},\"parts\":[{}]}}\n",
                    json_string(name),
                    summary.archive_size,
                    summary.tree_hash,
                    summary.part_size.bytes(),
                    parts.join(",")
                )
            }
        }
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted += "\\\"",
            '\\' => quoted += "\\\\",
            c if u32::from(c) < 0x20 => quoted += &format!("\\u{:04x}", u32::from(c)),
            c => quoted.push(c),
        }
    }
    quoted + "\""
}

/// The input called `name` (standard input for `-`) and its size, if it is a regular file.
fn open(name: &str) -> io::Result<(Box<dyn Read>, Option<u64>)> {
    if name == "-" {
        return Ok((Box::new(io::stdin().lock()), None));
    }
    let file = File::open(name)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    let size = metadata.is_file().then_some(metadata.len());
    Ok((Box::new(file), size))
}

/// `--check LIST`: true if every listed file matched and every line was well formed.
fn check(list: &str, args: &Args) -> bool {
    let reader: Box<dyn BufRead> = if list == "-" {
        Box::new(io::stdin().lock())
    } else {
        match File::open(list) {
            Ok(file) => Box::new(BufReader::new(file)),
            Err(error) => {
                eprintln!("glacier-tree-hash: {list}: {error}");
                return false;
            }
        }
    };
    let (mut matched, mut failed, mut unreadable, mut malformed) = (0u64, 0u64, 0u64, 0u64);
    for (index, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                eprintln!("glacier-tree-hash: {list}: {error}");
                return false;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let Some((expected, name)) = parse_check_line(&line) else {
            eprintln!(
                "glacier-tree-hash: {list}:{}: not a `<64 hex digits>  <name>` line",
                index + 1
            );
            malformed += 1;
            continue;
        };
        let verdict = match hash_named(name, args) {
            Ok(hash) if hash == expected => {
                matched += 1;
                "OK"
            }
            Ok(_) => {
                failed += 1;
                "FAILED"
            }
            Err(error) => {
                eprintln!("glacier-tree-hash: {name}: {error}");
                unreadable += 1;
                "FAILED open or read"
            }
        };
        if writeln!(io::stdout(), "{name}: {verdict}").is_err() {
            return false;
        }
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if malformed > 0 {
        eprintln!(
            "glacier-tree-hash: WARNING: {malformed} line{} malformed",
            plural(malformed)
        );
    }
    if unreadable > 0 {
        eprintln!(
            "glacier-tree-hash: WARNING: {unreadable} listed file{} could not be read",
            plural(unreadable)
        );
    }
    if failed > 0 {
        eprintln!(
            "glacier-tree-hash: WARNING: {failed} computed tree hash{} did NOT match",
            if failed == 1 { "" } else { "es" }
        );
    }
    if matched + failed + unreadable == 0 {
        eprintln!("glacier-tree-hash: {list}: no properly formatted tree hash lines found");
        return false;
    }
    failed + unreadable + malformed == 0
}

/// `<64 hex digits>` then two spaces (or a space and `*`, as sha256sum writes for binary mode)
/// then the name.
fn parse_check_line(line: &str) -> Option<(TreeHash, &str)> {
    let (hex, rest) = line.split_at_checked(64)?;
    let hash = hex.parse().ok()?;
    let name = rest
        .strip_prefix("  ")
        .or_else(|| rest.strip_prefix(" *"))?;
    (!name.is_empty()).then_some((hash, name))
}

/// Inputs above this size (or of unknown size) get a progress bar when stderr is a terminal.
const PROGRESS_THRESHOLD: u64 = 64 << 20;

/// Whether an input of `size` bytes (`None`: unknown) gets a progress bar.
fn shows_progress(size: Option<u64>, args: &Args) -> bool {
    !args.no_progress
        && io::stderr().is_terminal()
        && size.is_none_or(|size| size > PROGRESS_THRESHOLD)
}

/// A reader that adds the bytes it yields to `counter`.
struct Counting<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A reader that feeds every byte it yields to a SHA-256.
struct Sha256Reader<'a, R> {
    inner: R,
    sha256: &'a mut Sha256,
}

impl<R: Read> Read for Sha256Reader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(self.sha256, &buf[..n]);
        Ok(n)
    }
}

/// Runs `work` with a byte counter for the reader it wraps. When a progress bar is shown, a
/// thread redraws one line on stderr meanwhile (bytes and rate, and the percentage and ETA when
/// the size is known) and erases it at the end.
fn with_progress<T>(
    name: &str,
    size: Option<u64>,
    args: &Args,
    work: impl FnOnce(&AtomicU64) -> T,
) -> T {
    let counter = AtomicU64::new(0);
    if !shows_progress(size, args) {
        return work(&counter);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let bytes = counter.load(Ordering::Relaxed);
                let rate = bytes as f64 / start.elapsed().as_secs_f64().max(1e-3);
                let mut line = format!("{name}: {}", human(bytes as f64));
                if let Some(size) = size {
                    let left = size.saturating_sub(bytes) as f64 / rate.max(1.0);
                    line += &format!(
                        " of {} ({:.0}%), ETA {left:.0} s",
                        human(size as f64),
                        100.0 * bytes as f64 / size.max(1) as f64,
                    );
                }
                line += &format!(", {}/s", human(rate));
                eprint!("\r\x1b[2K{line}");
            }
            eprint!("\r\x1b[2K");
        });
        let result = work(&counter);
        done.store(true, Ordering::Relaxed);
        result
    })
}

/// Bytes in binary units with one decimal, e.g. `1.5 GiB`.
fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}
