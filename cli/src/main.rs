//! `glacier-tree-hash`: print or check Amazon S3 Glacier SHA-256 tree hashes, with the habits
//! of `sha256sum`.
//!
//! Every input is opened once, so regular files (standard input included, when it is one) are
//! hashed in place from memory maps (or, with `--no-mmap`, by the library's positional reads),
//! and FIFOs are read once. Nothing is printed for an input until its hash is complete and
//! error free.
//!
//! The modules, one job each:
//! - `args`: the flags, the help text, reading the command line;
//! - `hashing`: one input hashed (thread pool, regular files, streams);
//! - `mapped`: regular files hashed in place from memory maps, and the `SIGBUS` guard of those
//!   maps (the one module with `unsafe` code; it allows it itself);
//! - `output`: the formats printed, and the checked standard output;
//! - `check`: `--check`, lists read back and compared;
//! - `names`: names escaped in lines, unescaped from lists, quoted in messages;
//! - `progress`: the progress bar on a terminal;
//! - `platform`: standard descriptors and names as bytes.

#![deny(unsafe_code)]

mod args;
mod check;
mod hashing;
mod mapped;
mod names;
mod output;
mod platform;
mod progress;

use args::{Args, PROGRAM, Parsed};
use hashing::{Hashing, What};
use names::{describe, quote};
use output::{Output, WriteFailed, message};
use std::ffi::OsString;
use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut out = Output::new();
    let result = match args::parse() {
        Parsed::Print(text) => out.write(text.as_bytes()).map(|()| true),
        Parsed::Run(args) => run(&args, &mut out),
    };
    match result.and_then(|ok| out.flush().map(|()| ok)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // The reader of a pipe went away (`| head -1`): stop quietly, as sha256sum stops on
        // SIGPIPE, but not with status 0.
        Err(WriteFailed(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
        Err(WriteFailed(error)) => {
            message!("{PROGRAM}: write error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// Runs the mode the arguments ask for: true if everything succeeded.
fn run(args: &Args, out: &mut Output) -> Result<bool, WriteFailed> {
    if let Some(shell) = args.completions {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut args::command(), PROGRAM, &mut script);
        out.write(&script)?;
        return Ok(true);
    }
    if args.man {
        let mut page = Vec::new();
        clap_mangen::Man::new(args::command())
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
    let mut ok = true;
    if args.check {
        for list in files {
            ok &= check::check_list(list, args, &mut hashing, out)?;
        }
        return Ok(ok);
    }
    let what = match args.part_size {
        Some(size) => What::Parts(size),
        None if args.sha256 || args.json => What::Both,
        None => What::Tree,
    };
    for name in files {
        match hashing.hash_named(name, what) {
            Ok(result) => out.write(&output::render(name, &result, args))?,
            Err(error) => {
                message!("{PROGRAM}: {}: {}", quote(name), describe(&error));
                ok = false;
            }
        }
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definitions_are_consistent() {
        crate::args::command().debug_assert();
    }

    #[test]
    fn version_names_the_leaf_backend() {
        let version = crate::args::command().render_long_version();
        let expected = format!("leaf backend: {}", glacier_tree_hash::leaf_backend());
        assert!(version.contains(&expected), "{version}");
    }
}
