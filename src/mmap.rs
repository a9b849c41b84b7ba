//! A regular file hashed in place through a read-only memory map (feature `mmap`): the crate's
//! one `unsafe` block.
//!
//! Reading a file copies every byte out of the page cache, which costs about a quarter of the
//! CPU time of hashing it with the leaf engine; a map hashes the page cache where it lies.
//!
//! The hazard, which reads do not have: the map shows whatever the file holds at each moment.
//! If the file is truncated while it is mapped (by any process, this one included), touching a
//! page past the new end raises `SIGBUS`, which kills the process: there is no error to return.
//! So does a page that cannot be read (an I/O error of the disk, or of a network or FUSE file
//! system), where a read returns the error. (Writes meanwhile give a hash of a mix of old and
//! new bytes, as reads do.) So a map is only for files that nothing shortens while they are
//! hashed, on storage that does not fail; everything else goes through reads, which turn a
//! file that shrinks into an `UnexpectedEof` error and a failed read into its error.

use crate::Hasher;
use crate::join::Join;
use core::ops::Range;
use std::fs::File;

/// Adds the bytes of `range` of the regular file `file` (within the size it reports) to
/// `hasher`, hashed in place from a read-only map under `J`. Returns `false`, having added
/// nothing, when the range is under one leaf or the file cannot be mapped (a file system that
/// does not map, an address space too small); the caller then reads it.
pub(crate) fn update<J: Join, H: Hasher>(hasher: &mut H, file: &File, range: Range<u64>) -> bool {
    let Ok(len) = usize::try_from(range.end - range.start) else {
        return false;
    };
    if len < crate::LEAF {
        return false;
    }
    // SAFETY: `memmap2` requires that the mapped bytes are not changed or cut off while the map
    // exists. This crate cannot promise that for other code; the hazard is stated in this
    // module and on every function that reaches it: a truncation is `SIGBUS`, a write a hash of
    // mixed bytes. The map is read-only, private to this call, and dropped before it returns.
    #[allow(unsafe_code)]
    let map = unsafe {
        memmap2::MmapOptions::new()
            .offset(range.start)
            .len(len)
            .map(file)
    };
    match map {
        Ok(map) => {
            hasher.update_with::<J>(&map);
            true
        }
        Err(_) => false,
    }
}
