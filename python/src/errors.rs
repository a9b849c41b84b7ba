//! The library's errors as Python exceptions: `ValueError` for bad arguments (a part size, hex,
//! a range), `OSError` with `errno`, `strerror` and `filename` for I/O.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use std::io;

/// An I/O error of the file `filename` (`None`: a file object or descriptor).
///
/// An error of the operating system keeps its `errno`. The library's own I/O errors have none,
/// and get the closest: `EIO` for a file that ended early (it shrank, or a range reaches past
/// its end), `EISDIR` for a directory, `ENOENT` and `EACCES` as named. `InvalidInput` (a range
/// that ends before it starts, a range of a pipe, too many parts) is a `ValueError`.
pub fn io_error(error: &io::Error, filename: Option<&Bound<'_, PyAny>>) -> PyErr {
    let kind = error.kind();
    if error.raw_os_error().is_none() && kind == io::ErrorKind::InvalidInput {
        return PyValueError::new_err(error.to_string());
    }
    let errno = error.raw_os_error().unwrap_or(match kind {
        io::ErrorKind::NotFound => libc_errno::ENOENT,
        io::ErrorKind::PermissionDenied => libc_errno::EACCES,
        io::ErrorKind::IsADirectory => libc_errno::EISDIR,
        _ => libc_errno::EIO,
    });
    let message = match error.raw_os_error() {
        // The operating system's text, without Rust's " (os error N)".
        Some(_) => {
            let text = error.to_string();
            match text.rfind(" (os error ") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
        None => error.to_string(),
    };
    match filename {
        Some(name) => PyOSError::new_err((errno, message, name.clone().unbind())),
        None => PyOSError::new_err((errno, message)),
    }
}

/// A `ValueError` with the library's message.
pub fn value_error(message: String) -> PyErr {
    PyValueError::new_err(message)
}

/// The errno values used above (the same on Linux, macOS and the BSDs).
mod libc_errno {
    pub const ENOENT: i32 = 2;
    pub const EIO: i32 = 5;
    pub const EACCES: i32 = 13;
    pub const EISDIR: i32 = 21;
}
