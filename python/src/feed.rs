//! Input to a hasher: a buffer, a file and a byte range, a Python file object. Hashing runs
//! with the GIL released, in pieces of at most [`PIECE`] bytes, and pending signals are
//! handled between pieces: Ctrl-C raises `KeyboardInterrupt` within a fraction of a second of a
//! long hash, and the hasher is dropped (no partial result is ever returned).

use crate::buffer::Bytes;
use crate::engine::Sink;
use crate::errors::io_error;
use crate::threads::Threads;
use pyo3::exceptions::{PyBlockingIOError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyMemoryView, PySlice};
use std::fs::File;

/// The most bytes hashed between two checks for signals.
pub const PIECE: usize = 128 << 20;

/// The size of each of the two blocks a Python file object is read into with `readinto`: the
/// only memory the file-object path holds besides the hasher (32 MiB in all).
pub const BLOCK: usize = 16 << 20;

/// Adds the bytes of `data`.
pub fn bytes(py: Python<'_>, sink: &mut Sink, data: &[u8], threads: &Threads) -> PyResult<()> {
    if data.is_empty() {
        return Ok(());
    }
    for piece in data.chunks(PIECE) {
        py.detach(|| sink.update(piece, threads));
        py.check_signals()?;
    }
    Ok(())
}

/// Adds the bytes of `file` from `start` to `end` (`None`: its end), naming `filename` in
/// errors. A regular file is hashed in pieces of [`PIECE`] bytes; the last piece is open-ended
/// when `end` is, so the library's end checks (a file that shrinks or grows) see the whole.
pub fn file(
    py: Python<'_>,
    sink: &mut Sink,
    file: &File,
    start: u64,
    end: Option<u64>,
    threads: &Threads,
    filename: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let metadata = file
        .metadata()
        .map_err(|error| io_error(&error, filename))?;
    let mut at = start;
    if metadata.is_file() {
        let stop = end.unwrap_or(metadata.len());
        sink.check_more(stop.saturating_sub(start))
            .map_err(crate::errors::value_error)?;
        while stop > at && stop - at > PIECE as u64 {
            let next = at + PIECE as u64;
            py.detach(|| sink.update_file(file, at, Some(next), threads))
                .map_err(|error| io_error(&error, filename))?;
            py.check_signals()?;
            at = next;
        }
    }
    py.detach(|| sink.update_file(file, at, end, threads))
        .map_err(|error| io_error(&error, filename))?;
    py.check_signals()
}

/// Adds everything a Python file object yields from its position to its end.
///
/// A file of `open()` (an `io.FileIO`, or a buffered reader or random-access file over one) on a
/// regular file is hashed by the library's file path from `tell()` (after `flush()`), through a
/// duplicate of its descriptor, and then positioned at the end of what was hashed. Anything
/// else is read with `readinto` (or `read`, without it), in blocks of [`BLOCK`] bytes; short
/// reads are fine (the hasher cuts leaves at byte offsets, not at reads). Wrappers that have a
/// `fileno()` but yield other bytes than the descriptor's (`gzip.GzipFile`, say) are read.
pub fn file_object(
    py: Python<'_>,
    sink: &mut Sink,
    object: &Bound<'_, PyAny>,
    threads: &Threads,
) -> PyResult<()> {
    let io = py.import("io")?;
    if object.is_instance(&io.getattr("TextIOBase")?)? {
        return Err(PyTypeError::new_err(
            "a text-mode file gives str, not bytes: open it in binary mode ('rb')",
        ));
    }
    if let Some(descriptor) = regular_file(py, object)? {
        if object.hasattr("flush")? {
            object.call_method0("flush")?;
        }
        let start: u64 = object.call_method0("tell")?.extract()?;
        let before = sink.count();
        let name = object.getattr("name").ok().filter(|name| {
            // FileIO's name is the descriptor number for `open(fd)`: not a file name.
            !name.is_instance_of::<pyo3::types::PyInt>()
        });
        let hashed = self::file(py, sink, &descriptor, start, None, threads, name.as_ref());
        // Leave the position after what was read, as reading it would.
        let end = start + (sink.count() - before);
        hashed?;
        object.call_method1("seek", (end,))?;
        return Ok(());
    }
    if object.hasattr("readinto")? {
        read_into(py, sink, object, threads)
    } else if object.hasattr("read")? {
        read(py, sink, object, threads)
    } else {
        Err(PyTypeError::new_err(format!(
            "expected a bytes-like object or a binary file object with readinto() or read(), \
             not {}",
            object.get_type().name()?
        )))
    }
}

/// Whether `object` is a file of `open()` in binary mode: its bytes are its descriptor's.
fn is_plain_file(py: Python<'_>, object: &Bound<'_, PyAny>) -> PyResult<bool> {
    let io = py.import("io")?;
    let file_io = io.getattr("FileIO")?;
    if object.is_instance(&file_io)? {
        return Ok(true);
    }
    if object.is_instance(&io.getattr("BufferedReader")?)?
        || object.is_instance(&io.getattr("BufferedRandom")?)?
    {
        return object.getattr("raw")?.is_instance(&file_io);
    }
    Ok(false)
}

/// A duplicate of the descriptor of `object` if it is a file of `open()` on a regular file (on
/// Unix); `None` for anything else (another kind of object, a pipe, a socket, a terminal).
fn regular_file(py: Python<'_>, object: &Bound<'_, PyAny>) -> PyResult<Option<File>> {
    #[cfg(unix)]
    {
        if !is_plain_file(py, object)? {
            return Ok(None);
        }
        let unsupported = py.import("io")?.getattr("UnsupportedOperation")?;
        let fd: i32 = match object.call_method0("fileno") {
            Ok(fd) => fd.extract()?,
            // BytesIO and friends: no descriptor. A closed file raises ValueError: propagate.
            Err(error) if error.get_type(py).is_subclass(&unsupported)? => return Ok(None),
            Err(error) => return Err(error),
        };
        if fd < 0 {
            return Err(PyValueError::new_err(format!(
                "fileno() returned {fd}, not a file descriptor"
            )));
        }
        // SAFETY: `fd` was just returned by the object's `fileno()`, with the GIL held since;
        // the object owns it and keeps it open at least until it is closed, which needs the
        // GIL. The borrow only lives for the `dup` that follows, and the duplicate is ours:
        // the caller's descriptor is never closed or moved.
        let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
        let file = File::from(
            borrowed
                .try_clone_to_owned()
                .map_err(|error| io_error(&error, None))?,
        );
        let is_file = file
            .metadata()
            .map_err(|error| io_error(&error, None))?
            .is_file();
        Ok(is_file.then_some(file))
    }
    #[cfg(not(unix))]
    {
        let _ = (py, object);
        Ok(None)
    }
}

/// A block that `readinto` fills: the bytearray, a view of it for Python, its bytes for Rust.
struct Block<'py> {
    view: Bound<'py, PyMemoryView>,
    held: Bytes,
}

impl<'py> Block<'py> {
    fn new(py: Python<'py>) -> PyResult<Block<'py>> {
        let array = PyByteArray::new_with(py, BLOCK, |_| Ok(()))?;
        Ok(Block {
            view: PyMemoryView::from(array.as_any())?,
            held: Bytes::of(array.as_any())?,
        })
    }

    /// Fills the block from `object` with as many `readinto` calls as it takes (short reads are
    /// fine); fewer than [`BLOCK`] bytes only at the end of the stream.
    fn fill(&self, py: Python<'py>, object: &Bound<'py, PyAny>) -> PyResult<usize> {
        let mut filled = 0;
        while filled < BLOCK {
            let target =
                self.view
                    .get_item(PySlice::new(py, filled as isize, BLOCK as isize, 1))?;
            let got = object.call_method1("readinto", (&target,))?;
            if got.is_none() {
                return Err(no_data_yet());
            }
            let count: usize = got.extract().map_err(|_| {
                PyTypeError::new_err("readinto() must return the number of bytes read (an int)")
            })?;
            if count > BLOCK - filled {
                return Err(PyValueError::new_err(format!(
                    "readinto() returned {count}, more than the {} bytes it was given",
                    BLOCK - filled
                )));
            }
            if count == 0 {
                break;
            }
            filled += count;
        }
        Ok(filled)
    }
}

/// Reads `object` with `readinto` into two blocks in turn: while the pool hashes one (from a
/// helper thread, without the GIL), the calling thread fills the other. With `max_threads=1`,
/// one block, read and hashed in turn on the calling thread. Memory: the blocks, at most
/// 2 × [`BLOCK`].
fn read_into(
    py: Python<'_>,
    sink: &mut Sink,
    object: &Bound<'_, PyAny>,
    threads: &Threads,
) -> PyResult<()> {
    let first = Block::new(py)?;
    let mut filled = first.fill(py, object)?;
    if matches!(threads, Threads::Calling) {
        loop {
            bytes(py, sink, &first.held.bytes()[..filled], threads)?;
            if filled < BLOCK {
                return Ok(());
            }
            filled = first.fill(py, object)?;
        }
    }
    let blocks = [first, Block::new(py)?];
    let mut current = 0;
    while filled == BLOCK {
        let data = &blocks[current].held.bytes()[..filled];
        let next = &blocks[1 - current];
        filled = std::thread::scope(|scope| {
            let hashing = scope.spawn(|| sink.update(data, threads));
            let read = next.fill(py, object);
            // Wait for the hash without the GIL (a failed read waits too: the scope joins).
            py.detach(|| hashing.join()).map_err(|_| {
                pyo3::exceptions::PyRuntimeError::new_err("the hashing thread panicked")
            })?;
            read
        })?;
        py.check_signals()?;
        current = 1 - current;
    }
    bytes(py, sink, &blocks[current].held.bytes()[..filled], threads)
}

/// Reads `object` with `read(BLOCK)` until it returns no bytes.
fn read(
    py: Python<'_>,
    sink: &mut Sink,
    object: &Bound<'_, PyAny>,
    threads: &Threads,
) -> PyResult<()> {
    loop {
        let chunk = object.call_method1("read", (BLOCK,))?;
        if chunk.is_none() {
            return Err(no_data_yet());
        }
        if chunk.is_instance_of::<pyo3::types::PyString>() {
            return Err(PyTypeError::new_err(
                "read() returned str, not bytes: open the file in binary mode ('rb')",
            ));
        }
        let held = Bytes::of(&chunk).map_err(|_| {
            PyTypeError::new_err(format!(
                "read() must return bytes, not {}",
                chunk
                    .get_type()
                    .name()
                    .map_or_else(|_| "?".to_owned(), |name| name.to_string())
            ))
        })?;
        if held.bytes().is_empty() {
            return Ok(());
        }
        bytes(py, sink, held.bytes(), threads)?;
    }
}

/// A non-blocking stream with nothing to read yet: not an end, so not a hash.
fn no_data_yet() -> PyErr {
    PyBlockingIOError::new_err((
        11,
        "the stream returned None: it is non-blocking and has no data yet; a tree hash needs \
         every byte (use a blocking stream)",
    ))
}
