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
    let file = match which {
        StandardStream::Input => File::from(io::stdin().as_fd().try_clone_to_owned()?),
        StandardStream::Output => File::from(io::stdout().as_fd().try_clone_to_owned()?),
    };
    if was_closed(&file)? {
        return Err(io::Error::from(rustix::io::Errno::BADF));
    }
    Ok(file)
}

/// Whether the descriptor behind `file` was closed when the program started. The Rust
/// runtime opens `/dev/null` read-write in place of a closed descriptor 0, 1 or 2 before
/// `main`; a shell's `< /dev/null` is read-only and `> /dev/null` write-only, so only a
/// read-write `/dev/null` is taken for a closed descriptor (`<> /dev/null`, which nobody
/// needs for hashing, is refused with it).
#[cfg(unix)]
fn was_closed(file: &File) -> io::Result<bool> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let metadata = file.metadata()?;
    if !metadata.file_type().is_char_device() {
        return Ok(false);
    }
    let null = std::fs::metadata("/dev/null")?;
    if metadata.rdev() != null.rdev() {
        return Ok(false);
    }
    let flags = rustix::fs::fcntl_getfl(file)?;
    Ok(flags & OFlags::RWMODE == OFlags::RDWR)
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
