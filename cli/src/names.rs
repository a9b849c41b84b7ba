//! Names in output lines (sha256sum's escaping), in lists (unescaping) and in messages
//! (shell quoting, so that control characters never reach the terminal raw).

use crate::platform::name_bytes;
use std::ffi::OsStr;
use std::io;

/// sha256sum's escaping of a name in a checksum line: when the name holds a backslash, a
/// newline or a carriage return, the line starts with a backslash (the `true`) and those become
/// `\\`, `\n` and `\r`. Other names are written as they are, byte for byte.
pub fn escape_for_list(name: &OsStr) -> (bool, Vec<u8>) {
    let bytes = name_bytes(name);
    if !bytes.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r')) {
        return (false, bytes.into_owned());
    }
    (true, escape(&bytes))
}

/// The name as `--check` prints it before `: OK`: like sha256sum, escaped (with a leading
/// backslash) only when it holds a newline, which would otherwise split the line, or a NUL
/// (which no file name holds, but a list line may), shown as `\0`.
pub fn escape_for_check_output(name: &OsStr) -> Vec<u8> {
    let bytes = name_bytes(name);
    if !bytes.iter().any(|&byte| matches!(byte, b'\n' | b'\0')) {
        return bytes.into_owned();
    }
    let mut text = vec![b'\\'];
    text.extend(escape(&bytes));
    text
}

fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut text = Vec::with_capacity(bytes.len() + 8);
    for &byte in bytes {
        match byte {
            b'\\' => text.extend_from_slice(b"\\\\"),
            b'\n' => text.extend_from_slice(b"\\n"),
            b'\r' => text.extend_from_slice(b"\\r"),
            // Never in a name the system gives; only in a name read from a list.
            b'\0' => text.extend_from_slice(b"\\0"),
            byte => text.push(byte),
        }
    }
    text
}

/// The name of an escaped list line: `\\`, `\n` and `\r` undone; any other backslash makes the
/// line malformed (`None`), as in sha256sum.
pub fn unescape(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut name = Vec::with_capacity(bytes.len());
    let mut rest = bytes.iter();
    while let Some(&byte) = rest.next() {
        if byte != b'\\' {
            name.push(byte);
            continue;
        }
        match rest.next() {
            Some(b'\\') => name.push(b'\\'),
            Some(b'n') => name.push(b'\n'),
            Some(b'r') => name.push(b'\r'),
            _ => return None,
        }
    }
    Some(name)
}

/// The name for a message on standard error: as it is when it holds only characters that are
/// safe in a shell word, otherwise quoted as a shell would read it back, with control
/// characters and bytes that are not UTF-8 as `$'\n'`, `$'\377'`.
pub fn quote(name: &OsStr) -> String {
    let bytes = name_bytes(name);
    quote_bytes(&bytes)
}

fn quote_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::from("''");
    }
    let safe_ascii = |b: u8| b.is_ascii_alphanumeric() || b"%+,-./:=@_^~".contains(&b);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.chars().all(|c| {
            if c.is_ascii() {
                safe_ascii(c as u8)
            } else {
                !c.is_control()
            }
        }) {
            return text.to_string();
        }
        if !text.chars().any(char::is_control) {
            return format!("'{}'", text.replace('\'', "'\\''"));
        }
    }
    // Printable runs in single quotes, everything else as $'…' escapes.
    let mut quoted = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, quoted: &mut String| {
        if !run.is_empty() {
            quoted.push('\'');
            quoted.push_str(&run.replace('\'', "'\\''"));
            quoted.push('\'');
            run.clear();
        }
    };
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                flush(&mut run, &mut quoted);
                let escaped = match c {
                    '\n' => String::from("\\n"),
                    '\t' => String::from("\\t"),
                    '\r' => String::from("\\r"),
                    c if c.is_ascii() => format!("\\{:03o}", c as u32),
                    c => c.escape_unicode().to_string(),
                };
                quoted.push_str(&format!("$'{escaped}'"));
            } else {
                run.push(c);
            }
        }
        if !chunk.invalid().is_empty() {
            flush(&mut run, &mut quoted);
            let octal: String = chunk
                .invalid()
                .iter()
                .map(|b| format!("\\{b:03o}"))
                .collect();
            quoted.push_str(&format!("$'{octal}'"));
        }
    }
    flush(&mut run, &mut quoted);
    quoted
}

/// An error as coreutils words it: the OS's message without Rust's ` (os error N)`.
pub fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    if let Some(code) = error.raw_os_error() {
        let suffix = format!(" (os error {code})");
        if let Some(message) = text.strip_suffix(&suffix) {
            return message.to_string();
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for name in ["plain", "a\\b", "a\nb", "c\rd", "\\\n\r\\n", "tab\there"] {
            let (escaped, text) = escape_for_list(OsStr::new(name));
            assert_eq!(escaped, name.contains(['\\', '\n', '\r']), "{name:?}");
            let back = if escaped {
                unescape(&text).unwrap()
            } else {
                text
            };
            assert_eq!(back, name.as_bytes());
        }
        assert_eq!(unescape(b"a\\x"), None);
        assert_eq!(unescape(b"a\\"), None);
    }

    #[test]
    fn check_output_escapes_only_newlines() {
        assert_eq!(escape_for_check_output(OsStr::new("a\\b")), b"a\\b");
        assert_eq!(
            escape_for_check_output(OsStr::new("a\\b\nc")),
            b"\\a\\\\b\\nc"
        );
        assert_eq!(escape_for_check_output(OsStr::new("a\0b")), b"\\a\\0b");
    }

    #[test]
    fn messages_quote_what_a_terminal_would_interpret() {
        assert_eq!(quote_bytes(b"dir/file-1.txt"), "dir/file-1.txt");
        assert_eq!(quote_bytes(b"a b"), "'a b'");
        assert_eq!(quote_bytes(b"it's"), "'it'\\''s'");
        assert_eq!(quote_bytes(b"a\nb"), "'a'$'\\n''b'");
        assert_eq!(quote_bytes(b"\x1b[31m"), "$'\\033''[31m'");
        assert_eq!(quote_bytes(b"x\xffy"), "'x'$'\\377''y'");
        assert_eq!(quote_bytes("é".as_bytes()), "é");
        assert_eq!(quote_bytes(b""), "''");
    }

    #[test]
    #[cfg(unix)]
    fn os_errors_read_like_coreutils() {
        let error = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(describe(&error), error.to_string());
        let error = std::fs::File::open("/nonexistent/glacier-tree-hash").unwrap_err();
        assert_eq!(describe(&error), "No such file or directory");
    }
}
