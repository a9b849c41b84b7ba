//! `glacier-tree-hash`: the Glacier SHA-256 tree hash of files, like `sha256sum` (feature `cli`).

use clap::Parser;
use glacier_tree_hash::{calculate_tree_hash, tree_hash_file, TreeHash};
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Print or check Amazon S3 Glacier SHA-256 tree hashes.
///
/// With no FILE, or when FILE is -, read standard input. Each line of output is
/// `<64 hex digits>  <name>`, as sha256sum writes; --check reads such lines back.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Files to hash (- for standard input).
    #[arg(value_name = "FILE")]
    files: Vec<String>,

    /// Read `<hash>  <name>` lines from LIST (- for standard input) and check each file.
    #[arg(short, long, value_name = "LIST", conflicts_with = "files")]
    check: Option<String>,

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
        match hash_named(name, args) {
            Ok(hash) => {
                if writeln!(io::stdout(), "{hash}  {name}").is_err() {
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

/// The tree hash of the file called `name`, or of standard input for `-`.
fn hash_named(name: &str, args: &Args) -> io::Result<TreeHash> {
    let show_progress = !args.no_progress && io::stderr().is_terminal();
    if name == "-" {
        let stdin = io::stdin().lock();
        return if show_progress {
            with_progress(name, None, |counter| {
                calculate_tree_hash(Counting {
                    inner: stdin,
                    counter,
                })
            })
        } else {
            calculate_tree_hash(stdin)
        };
    }
    let path = Path::new(name);
    let size = std::fs::metadata(path)?.len();
    if show_progress && size > PROGRESS_THRESHOLD {
        let file = File::open(path)?;
        with_progress(name, Some(size), |counter| {
            calculate_tree_hash(Counting {
                inner: file,
                counter,
            })
        })
    } else {
        tree_hash_file(path)
    }
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

/// Inputs above this size get a progress bar when stderr is a terminal.
const PROGRESS_THRESHOLD: u64 = 64 << 20;

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

/// Runs `work` while a thread redraws a progress line on stderr (bytes, rate, ETA when the
/// size is known), then erases the line.
fn with_progress<T>(name: &str, size: Option<u64>, work: impl FnOnce(&AtomicU64) -> T) -> T {
    let counter = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let bytes = counter.load(Ordering::Relaxed);
                let seconds = start.elapsed().as_secs_f64().max(1e-3);
                let rate = bytes as f64 / seconds;
                let mut line = format!("{name}: {}", human(bytes as f64));
                if let Some(size) = size {
                    let left = size.saturating_sub(bytes) as f64 / rate.max(1.0);
                    line += &format!(
                        " of {} ({:.0}%), ETA {:.0} s",
                        human(size as f64),
                        100.0 * bytes as f64 / size.max(1) as f64,
                        left
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
