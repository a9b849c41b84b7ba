//! What the tool prints for each input: the text formats and `--json`, and the checked
//! standard output they are written to.

use crate::args::Args;
use crate::hashing::Hashed;
use crate::names::escape_for_list;
use crate::platform;
use glacier_tree_hash::{MultipartSummary, PartSize, Sha256Hash, TreeHash};
use serde::Serialize;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};

/// Writes one line on standard error, as `eprintln!` does, but never panics: a message that
/// cannot be written (standard error full or closed) is lost, and the run goes on to give the
/// exit status the failure it reports already implies.
macro_rules! message {
    ($($message:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($message)*);
    }};
}
pub(crate) use message;

/// Standard output could not be written: the run stops with exit status 1.
#[derive(Debug)]
pub struct WriteFailed(pub io::Error);

/// Standard output as a `File` made from its descriptor, opened at the first write, so that
/// a descriptor that is closed or not writable is an error rather than silence.
pub struct Output {
    file: Option<io::BufWriter<File>>,
}

impl Output {
    pub fn new() -> Output {
        Output { file: None }
    }

    /// Writes `bytes` and flushes them, so that standard output and standard error interleave
    /// in order.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), WriteFailed> {
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

    pub fn flush(&mut self) -> Result<(), WriteFailed> {
        match &mut self.file {
            Some(file) => file.flush().map_err(WriteFailed),
            None => Ok(()),
        }
    }
}

/// The text printed for input `name`.
pub fn render(name: &OsStr, hashed: &Hashed, args: &Args) -> Vec<u8> {
    let end = if args.zero { b'\0' } else { b'\n' };
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
        let mut text = json.unwrap_or_default();
        text.push(end);
        return text;
    }
    let mut text = Vec::new();
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
