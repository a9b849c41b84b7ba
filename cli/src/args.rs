//! The command line: its flags, its help text, and how it is read.

use clap::{CommandFactory, FromArgMatches, Parser};
use glacier_tree_hash::PartSize;
use std::ffi::OsString;

/// The program's name in messages.
pub const PROGRAM: &str = "glacier-tree-hash";

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

--check reads lists of one format at a time, so that no line is ever read two ways: the
default format (sha256sum's, its ` *name` and escaped lines too), or with --sha256 the --sha256
format. A name that begins with 64 hex digits and two spaces is just a name in a default list.
With -z the list's records end with NUL and names are not escaped, as -z writes them. Each
listed file prints `<name>: OK`, `<name>: FAILED` or `<name>: FAILED open or read`, then
warnings with counts go to standard error. Blank lines and lines starting with # are skipped;
a line longer than 16 KiB (more than any name the system can open, escaped, plus its hashes)
is malformed.

--part-size of an empty input is an error: Glacier refuses a multipart upload of 0 bytes
(send it with UploadArchive, whose tree hash the default format prints).

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
pub struct Args {
    /// Files to hash, or with --check lists to check (- for standard input).
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,

    /// Read tree hashes from the FILEs (lists) and check them.
    #[arg(short, long)]
    pub check: bool,

    /// With --check: do not print OK for each file that matches.
    #[arg(long, requires = "check", overrides_with_all = ["status", "warn"])]
    pub quiet: bool,

    /// With --check: print nothing on standard output and no warnings; the exit status tells.
    /// Of --quiet, --status and --warn the last one given wins, as in sha256sum.
    #[arg(long, requires = "check", overrides_with_all = ["quiet", "warn"])]
    pub status: bool,

    /// With --check: skip listed files that do not exist, without a message.
    #[arg(long, requires = "check")]
    pub ignore_missing: bool,

    /// With --check: exit 1 if a list has a malformed line.
    #[arg(long, requires = "check")]
    pub strict: bool,

    /// With --check: warn about each malformed line, with its number. This is the default
    /// (sha256sum only counts them unless --warn), except after --status.
    #[arg(short, long, requires = "check", overrides_with_all = ["quiet", "status"])]
    pub warn: bool,

    /// End each output record with NUL, not newline, and do not escape names (with --check:
    /// read lists written that way).
    #[arg(short, long)]
    pub zero: bool,

    /// Also print the linear SHA-256 (x-amz-content-sha256), from the same read (with
    /// --check: read lists in this format, and check both hashes).
    #[arg(long)]
    pub sha256: bool,

    /// Print each part of a multipart upload in parts of SIZE (1MiB, 2MiB, 4MiB, ... 4GiB, or
    /// bytes; M, MB and Mi mean MiB, as K and G mean KiB and GiB, since a part size is always
    /// 1 MiB × 2^k); refused before reading if the input needs more than 10,000 parts.
    #[arg(long, value_name = "SIZE", conflicts_with_all = ["check", "sha256"])]
    pub part_size: Option<PartSize>,

    /// Print one JSON object per input (see the formats above).
    #[arg(long, conflicts_with = "check")]
    pub json: bool,

    /// Hash with at most N threads (default: RAYON_NUM_THREADS, or one per core; never more
    /// than the cores, nor than the input has 1 MiB chunks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,

    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Read regular files instead of hashing them in place from memory maps. Maps are faster
    /// (no copy out of the page cache); a file cut short while mapped is reported as shrunk
    /// either way.
    #[arg(long)]
    pub no_mmap: bool,

    /// Print a completion script for SHELL and exit.
    #[arg(long, value_name = "SHELL", hide = true, exclusive = true)]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit.
    #[arg(long, hide = true, exclusive = true)]
    pub man: bool,
}

/// The clap command, with the leaf backend in `--version`.
pub fn command() -> clap::Command {
    let long_version: &'static str = Box::leak(
        format!(
            "{}\nleaf backend: {}",
            env!("CARGO_PKG_VERSION"),
            glacier_tree_hash::leaf_backend()
        )
        .into_boxed_str(),
    );
    Args::command().long_version(long_version)
}

/// What the command line asks for.
pub enum Parsed {
    /// Run with these arguments.
    Run(Args),
    /// Print this text (`--help`, `--version`) on standard output, then exit 0 if it was
    /// written.
    Print(String),
}

/// Reads the command line. A usage error is printed on standard error and exits with status
/// 2 here, as clap does; help and version text are returned, so that the caller writes them
/// through the same checked standard output as everything else (a full or closed standard
/// output is then exit status 1, as in sha256sum).
pub fn parse() -> Parsed {
    let matches = match command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => match error.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let rendered = error.render();
                let text = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    rendered.ansi().to_string()
                } else {
                    rendered.to_string()
                };
                return Parsed::Print(text);
            }
            _ => error.exit(),
        },
    };
    Parsed::Run(Args::from_arg_matches(&matches).unwrap_or_else(|error| error.exit()))
}
