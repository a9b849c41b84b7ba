//! What differs between operating systems: the standard descriptors, and names as bytes.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;

/// Standard input as a `File` of its own descriptor: a regular file keeps the fast path, and
/// a descriptor that is closed or cannot be read gives its real error ("Bad file descriptor").
pub fn stdin_file() -> io::Result<File> {
    open_standard(StandardStream::Input)
}

/// Standard output as a `File` of its own descriptor; closed is "Bad file descriptor".
pub fn stdout_file() -> io::Result<File> {
    open_standard(StandardStream::Output)
}

enum StandardStream {
    Input,
    Output,
}

#[cfg(unix)]
fn open_standard(which: StandardStream) -> io::Result<File> {
    use std::os::fd::AsFd;
    let (file, fd) = match which {
        StandardStream::Input => (io::stdin().as_fd().try_clone_to_owned(), 0),
        StandardStream::Output => (io::stdout().as_fd().try_clone_to_owned(), 1),
    };
    // Closed before `main`, the descriptor is `/dev/null` now (the Rust runtime's doing): say
    // what it was, as a program in C would find it.
    crate::mapped::descriptors::open_at_start(fd)?;
    Ok(File::from(file?))
}

#[cfg(windows)]
fn open_standard(which: StandardStream) -> io::Result<File> {
    use std::os::windows::io::AsHandle;
    Ok(match which {
        StandardStream::Input => File::from(io::stdin().as_handle().try_clone_to_owned()?),
        StandardStream::Output => File::from(io::stdout().as_handle().try_clone_to_owned()?),
    })
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
