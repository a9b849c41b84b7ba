//! Prints the Glacier tree hash of a file, or of standard input when no file or `-` is given.
//!
//!     cargo run --release --example tree_hash_file -- FILE

use glacier_tree_hash::calculate_tree_hash;
use std::fs::File;
use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let name = std::env::args_os().nth(1);
    let result = match &name {
        Some(path) if path != "-" => File::open(path).and_then(calculate_tree_hash),
        _ => calculate_tree_hash(io::stdin().lock()),
    };
    let shown = name.map_or_else(|| "-".into(), |n| n.to_string_lossy().into_owned());
    match result {
        Ok(hash) => {
            println!("{hash}  {shown}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("tree_hash_file: {shown}: {error}");
            ExitCode::FAILURE
        }
    }
}
