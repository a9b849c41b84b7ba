//! `glacier_tree_hash._native`: the Python functions and `TreeHasher`, over the
//! glacier-tree-hash library. Every byte is hashed by the library; this crate only moves bytes
//! and errors between Python and it (library calls: `engine.rs` only).

mod buffer;
mod engine;
mod errors;
mod feed;
mod threads;

use buffer::Bytes;
use engine::{Output, Sink};
use errors::{io_error, value_error};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// `max_threads` as given: `None` (the module-wide setting), or at least 1.
fn per_call(max_threads: Option<i64>) -> PyResult<Option<NonZeroUsize>> {
    match max_threads {
        None => Ok(None),
        Some(count) => usize::try_from(count)
            .ok()
            .and_then(NonZeroUsize::new)
            .map(Some)
            .ok_or_else(|| {
                PyValueError::new_err(format!("max_threads must be at least 1, not {count}"))
            }),
    }
}

/// Where a call hashes, or a `RuntimeError` if no thread could be started.
fn threads_for(max_threads: Option<i64>) -> PyResult<threads::Threads> {
    threads::threads(per_call(max_threads)?).map_err(pyo3::exceptions::PyRuntimeError::new_err)
}

/// A byte offset given by the caller: an error naming it if negative.
fn offset(name: &str, value: i64) -> PyResult<u64> {
    u64::try_from(value)
        .map_err(|_| PyValueError::new_err(format!("{name} must not be negative, not {value}")))
}

/// The hasher for `kind`: "tree", "checksums" or "multipart" (with `part_size`).
fn sink_for(kind: &str, part_size: Option<u64>) -> PyResult<Sink> {
    match (kind, part_size) {
        ("tree", _) => Ok(Sink::tree()),
        ("checksums", _) => Ok(Sink::checksums()),
        ("multipart", Some(part_size)) => Sink::multipart(part_size).map_err(value_error),
        _ => Err(PyValueError::new_err(format!(
            "unknown kind of hash: {kind}"
        ))),
    }
}

/// The result as Python values: a hex string; a `(tree_hash, sha256)` pair; or
/// `(part_size, archive_size, tree_hash, [(index, start, end, content_range, tree_hash,
/// sha256), ...])`.
fn output(py: Python<'_>, sink: &Sink) -> PyResult<Py<PyAny>> {
    Ok(match sink.finalize().map_err(value_error)? {
        Output::TreeHash(hex) => hex.into_pyobject(py)?.into_any().unbind(),
        Output::Checksums { tree_hash, sha256 } => {
            (tree_hash, sha256).into_pyobject(py)?.into_any().unbind()
        }
        Output::Multipart(summary) => {
            let parts = summary
                .parts
                .into_iter()
                .map(|part| {
                    (
                        part.index,
                        part.range.start,
                        part.range.end,
                        part.content_range,
                        part.tree_hash,
                        part.sha256,
                    )
                })
                .collect::<Vec<_>>();
            (
                summary.part_size,
                summary.archive_size,
                summary.tree_hash,
                parts,
            )
                .into_pyobject(py)?
                .into_any()
                .unbind()
        }
    })
}

/// The tree hash of `data`, any object with the buffer protocol (bytes, bytearray, memoryview,
/// mmap, array), read in place with the GIL released, on `max_threads` cores.
#[pyfunction]
#[pyo3(signature = (data, *, max_threads = None))]
fn tree_hash(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    max_threads: Option<i64>,
) -> PyResult<String> {
    let threads = threads_for(max_threads)?;
    let held = Bytes::of(data)?;
    let mut sink = Sink::tree();
    feed::bytes(py, &mut sink, held.bytes(), &threads)?;
    drop(held);
    match sink.finalize().map_err(value_error)? {
        Output::TreeHash(hex) => Ok(hex),
        _ => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "a tree hasher gave something else than a tree hash",
        )),
    }
}

/// One pass of `kind` over a binary file object from its position, or else a buffer.
#[pyfunction]
#[pyo3(signature = (kind, source, part_size = None, *, max_threads = None))]
fn hash_object(
    py: Python<'_>,
    kind: &str,
    source: &Bound<'_, PyAny>,
    part_size: Option<u64>,
    max_threads: Option<i64>,
) -> PyResult<Py<PyAny>> {
    let threads = threads_for(max_threads)?;
    let mut sink = sink_for(kind, part_size)?;
    // A file object (anything with `read` or `readinto`, an mmap too) from its position, as
    // botocore reads it; else the buffer of a bytes-like object.
    if source.hasattr("readinto")? || source.hasattr("read")? {
        feed::file_object(py, &mut sink, source, &threads)?;
    } else {
        let held = Bytes::of(source)?;
        feed::bytes(py, &mut sink, held.bytes(), &threads)?;
    }
    output(py, &sink)
}

/// One pass of `kind` over bytes `start` to `end` (`None`: the end) of the file at `path`.
#[pyfunction]
#[pyo3(signature = (kind, path, start = 0, end = None, part_size = None, *, max_threads = None))]
fn hash_path(
    py: Python<'_>,
    kind: &str,
    path: &Bound<'_, PyAny>,
    start: i64,
    end: Option<i64>,
    part_size: Option<u64>,
    max_threads: Option<i64>,
) -> PyResult<Py<PyAny>> {
    let start = offset("start", start)?;
    let end = end.map(|end| offset("end", end)).transpose()?;
    if let Some(end) = end
        && end < start
    {
        return Err(PyValueError::new_err(format!(
            "the byte range {start}..{end} ends before it starts"
        )));
    }
    let threads = threads_for(max_threads)?;
    let mut sink = sink_for(kind, part_size)?;
    // str, bytes or os.PathLike, as the os module takes them (bytes through the file-system
    // encoding, so a name that is not UTF-8 still opens).
    let os_path: PathBuf = py
        .import("os")?
        .call_method1("fsdecode", (path,))?
        .extract()?;
    let file = std::fs::File::open(&os_path).map_err(|error| io_error(&error, Some(path)))?;
    feed::file(py, &mut sink, &file, start, end, &threads, Some(path))?;
    output(py, &sink)
}

/// The archive's tree hash from its parts' (or aligned ranges') tree hashes, in order.
#[pyfunction]
fn combine(hashes: &Bound<'_, PyAny>) -> PyResult<String> {
    let hashes = hashes
        .try_iter()?
        .map(|hash| {
            let hash = hash?;
            if let Ok(raw) = hash.cast::<PyBytes>() {
                // 32 raw bytes, as `digest()` gives.
                let raw = raw.as_bytes();
                if raw.len() == 32 {
                    return Ok(raw.iter().map(|byte| format!("{byte:02x}")).collect());
                }
            }
            hash.extract::<String>().map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "combine() takes tree hashes as 64-digit hex strings (or 32-byte digests)",
                )
            })
        })
        .collect::<PyResult<Vec<String>>>()?;
    engine::combine(&hashes).map_err(value_error)
}

/// The smallest part size for an archive of `archive_size` bytes.
#[pyfunction]
fn part_size_for(archive_size: i64) -> PyResult<u64> {
    engine::part_size_for(offset("archive_size", archive_size)?).map_err(value_error)
}

/// The smallest tree-hash-aligned `(start, end)` holding bytes `start..end`, or `None`.
#[pyfunction]
fn tree_hash_aligned_cover(
    start: i64,
    end: i64,
    archive_size: i64,
) -> PyResult<Option<(u64, u64)>> {
    let (start, end) = (offset("start", start)?, offset("end", end)?);
    let archive_size = offset("archive_size", archive_size)?;
    if end < start {
        return Err(PyValueError::new_err(format!(
            "the byte range {start}..{end} ends before it starts"
        )));
    }
    Ok(engine::tree_hash_aligned_cover(start..end, archive_size)
        .map(|range| (range.start, range.end)))
}

/// Whether the tree hash of bytes `start..end` is a node of the archive's tree.
#[pyfunction]
fn is_tree_hash_aligned(start: i64, end: i64, archive_size: i64) -> PyResult<bool> {
    let (start, end) = (offset("start", start)?, offset("end", end)?);
    Ok(engine::is_tree_hash_aligned(
        start..end,
        offset("archive_size", archive_size)?,
    ))
}

/// Sets the module-wide cap on hashing threads (`None`: every core; `1`: the calling thread).
#[pyfunction]
#[pyo3(signature = (max_threads))]
fn set_max_threads(max_threads: Option<i64>) -> PyResult<()> {
    threads::set_max_threads(per_call(max_threads)?);
    Ok(())
}

/// The module-wide cap on hashing threads, or `None` for every core.
#[pyfunction]
fn get_max_threads() -> Option<usize> {
    threads::max_threads().map(NonZeroUsize::get)
}

/// hashlib's interface to the tree hash: `update`, `digest`, `hexdigest`, `copy`.
#[pyclass(module = "glacier_tree_hash", name = "TreeHasher")]
struct TreeHasher {
    sink: Sink,
    max_threads: Option<i64>,
}

#[pymethods]
impl TreeHasher {
    #[new]
    #[pyo3(signature = (data = None, *, max_threads = None))]
    fn new(
        py: Python<'_>,
        data: Option<&Bound<'_, PyAny>>,
        max_threads: Option<i64>,
    ) -> PyResult<Self> {
        per_call(max_threads)?;
        let mut hasher = TreeHasher {
            sink: Sink::tree(),
            max_threads,
        };
        if let Some(data) = data {
            hasher.update(py, data)?;
        }
        Ok(hasher)
    }

    /// Adds `data` (any buffer), with the GIL released.
    fn update(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let threads = threads_for(self.max_threads)?;
        let held = Bytes::of(data)?;
        // On an interrupt the hasher holds a prefix of `data`: keep the state from before.
        let mut next = self.sink.clone();
        feed::bytes(py, &mut next, held.bytes(), &threads)?;
        self.sink = next;
        Ok(())
    }

    /// The 32 bytes of the tree hash of everything added (repeatable).
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = self.sink.tree_hash_bytes().unwrap_or_default();
        PyBytes::new(py, &bytes)
    }

    /// The tree hash as 64 lowercase hex digits (repeatable).
    fn hexdigest(&self) -> String {
        let bytes = self.sink.tree_hash_bytes().unwrap_or_default();
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// An independent copy of the hasher.
    fn copy(&self) -> TreeHasher {
        TreeHasher {
            sink: self.sink.clone(),
            max_threads: self.max_threads,
        }
    }

    /// Starts again from no bytes.
    fn reset(&mut self) {
        self.sink = Sink::tree();
    }

    /// The number of bytes added so far.
    #[getter]
    fn count(&self) -> u64 {
        self.sink.count()
    }

    /// `"sha256_tree"`.
    #[getter]
    fn name(&self) -> &'static str {
        "sha256_tree"
    }

    /// 32.
    #[getter]
    fn digest_size(&self) -> usize {
        32
    }

    /// The leaf size, 1 MiB.
    #[getter]
    fn block_size(&self) -> u64 {
        engine::LEAF_SIZE
    }

    fn __repr__(&self) -> String {
        format!("<glacier_tree_hash.TreeHasher count={}>", self.sink.count())
    }
}

/// The extension module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(tree_hash, module)?)?;
    module.add_function(wrap_pyfunction!(hash_object, module)?)?;
    module.add_function(wrap_pyfunction!(hash_path, module)?)?;
    module.add_function(wrap_pyfunction!(combine, module)?)?;
    module.add_function(wrap_pyfunction!(part_size_for, module)?)?;
    module.add_function(wrap_pyfunction!(tree_hash_aligned_cover, module)?)?;
    module.add_function(wrap_pyfunction!(is_tree_hash_aligned, module)?)?;
    module.add_function(wrap_pyfunction!(set_max_threads, module)?)?;
    module.add_function(wrap_pyfunction!(get_max_threads, module)?)?;
    module.add_class::<TreeHasher>()?;
    Ok(())
}
