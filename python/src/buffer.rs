//! The bytes of any object with the buffer protocol (bytes, bytearray, memoryview, mmap, array,
//! NumPy arrays), read in place.
//!
//! PyO3 offers `PyBuffer` only under the limited API of CPython 3.11 and later, and the wheel is
//! abi3 for 3.9: so this module declares the two functions it needs itself. `Py_buffer`'s layout
//! and both functions are the same in every CPython 3 (they entered the stable ABI unchanged in
//! 3.11), and an extension module resolves them from the interpreter that loads it.
//!
//! While a buffer is held, its exporter keeps the memory where it is: a `bytearray` refuses to
//! resize and an `mmap` to close (both raise `BufferError`). The bytes are read with the GIL
//! released; if another thread writes to them meanwhile (a `bytearray` changed by Python code
//! in another thread, or filled by `readinto` in another thread), the hash is of an unspecified
//! mix of old and new bytes, as with `hashlib`, which also reads in place without the GIL.
//! Nothing else depends on the values read, and the memory stays valid and allocated until the
//! buffer is released, so such a race can give a wrong hash but never touches memory outside
//! the buffer.

use pyo3::exceptions::PyBufferError;
use pyo3::prelude::*;
use std::ffi::{c_char, c_int, c_void};

/// CPython's `Py_buffer` (Include/pybuffer.h), field for field.
#[repr(C)]
struct RawBuffer {
    buf: *mut c_void,
    obj: *mut pyo3::ffi::PyObject,
    len: pyo3::ffi::Py_ssize_t,
    itemsize: pyo3::ffi::Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut pyo3::ffi::Py_ssize_t,
    strides: *mut pyo3::ffi::Py_ssize_t,
    suboffsets: *mut pyo3::ffi::Py_ssize_t,
    internal: *mut c_void,
}

/// `PyBUF_SIMPLE`: one contiguous run of bytes, or a `BufferError` from the exporter.
const PYBUF_SIMPLE: c_int = 0;

unsafe extern "C" {
    fn PyObject_GetBuffer(
        obj: *mut pyo3::ffi::PyObject,
        view: *mut RawBuffer,
        flags: c_int,
    ) -> c_int;
    fn PyBuffer_Release(view: *mut RawBuffer);
}

/// A contiguous buffer held from an object until this is dropped (which needs the GIL, taken
/// if not held).
pub struct Bytes {
    view: Box<RawBuffer>,
}

// SAFETY: the view is only a pointer and a length into memory its exporter keeps in place
// until `PyBuffer_Release`; reading it from another thread is what `bytes()` is for (see the
// module docs on writers), and the release in `Drop` takes the GIL.
unsafe impl Send for Bytes {}
// SAFETY: shared access only reads the bytes (see the module docs on concurrent writers).
unsafe impl Sync for Bytes {}

impl Bytes {
    /// The buffer of `object`; `TypeError` if it has none, `BufferError` if it is not one
    /// contiguous run of bytes (a strided memoryview).
    pub fn of(object: &Bound<'_, PyAny>) -> PyResult<Bytes> {
        let mut view = Box::new(RawBuffer {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 0,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        });
        // SAFETY: `object` is a live object (we hold the GIL through `Bound`), and `view` points
        // to writable memory of `Py_buffer`'s layout; on success the view is released once, in
        // `Drop`; on failure nothing is held and the error is set.
        let status = unsafe { PyObject_GetBuffer(object.as_ptr(), &mut *view, PYBUF_SIMPLE) };
        if status != 0 {
            return Err(PyErr::take(object.py())
                .unwrap_or_else(|| PyBufferError::new_err("the object gave no buffer")));
        }
        if view.len < 0 || (view.buf.is_null() && view.len != 0) {
            // Dropping releases the view.
            drop(Bytes { view });
            return Err(PyBufferError::new_err("the object gave an invalid buffer"));
        }
        Ok(Bytes { view })
    }

    /// The bytes, in place.
    pub fn bytes(&self) -> &[u8] {
        if self.view.len == 0 {
            return &[];
        }
        // SAFETY: with `PyBUF_SIMPLE`, `buf` points to `len` contiguous bytes (checked non-null
        // and non-negative in `of`), kept in place by the exporter until the view is released
        // in `Drop`, which cannot happen while this borrow of `self` lives. Concurrent writers:
        // see the module docs.
        unsafe { std::slice::from_raw_parts(self.view.buf.cast::<u8>(), self.view.len as usize) }
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        Python::attach(|_py| {
            // SAFETY: the view was filled by a successful `PyObject_GetBuffer` and is released
            // exactly once, here, with the GIL held.
            unsafe { PyBuffer_Release(&mut *self.view) }
        });
    }
}
