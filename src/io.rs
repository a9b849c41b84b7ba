//! Readers and writers (feature `std`): exact chunking whatever the read sizes.

use crate::{TreeHash, TreeHasher};
use std::io::{self, Read, Write};

/// The size of the buffer `calculate_tree_hash` reads through: 256 KiB, on the heap.
pub(crate) const READ_BUFFER_SIZE: usize = 256 << 10;

/// The tree hash of everything `reader` yields until end of file.
///
/// Chunks are cut at byte offsets, not at read calls: a pipe or socket that returns a few bytes
/// per `read` gives the same hash as a file. `ErrorKind::Interrupted` is retried; any other error
/// is returned as it is, and no hash of the bytes read so far is ever given. The reader needs no
/// `BufRead` or `Seek`: reads go through a 256 KiB buffer of this function's own, the only
/// memory it uses beyond the hasher's 2.2 KiB. An empty reader gives SHA-256 of nothing.
///
/// ```
/// use glacier_tree_hash::{calculate_tree_hash, tree_hash};
///
/// let data = vec![42u8; 3 << 20];
/// assert_eq!(calculate_tree_hash(&data[..])?, tree_hash(&data));
///
/// // A file: `calculate_tree_hash(std::fs::File::open(path)?)`.
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn calculate_tree_hash<R: Read>(reader: R) -> io::Result<TreeHash> {
    let mut hasher = TreeHasher::new();
    hasher.update_reader(reader)?;
    Ok(hasher.finalize())
}

impl TreeHasher {
    /// Adds everything `reader` yields until end of file, with the guarantees of
    /// [`calculate_tree_hash`]: any read sizes, `Interrupted` retried, other errors returned
    /// (the hasher then holds an unspecified prefix of the input; [`reset`](TreeHasher::reset)
    /// it before reuse).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te").update_reader(&b"st"[..])?;
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn update_reader<R: Read>(&mut self, mut reader: R) -> io::Result<&mut TreeHasher> {
        let mut buffer = vec![0u8; READ_BUFFER_SIZE];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => return Ok(self),
                Ok(n) => {
                    self.update(&buffer[..n]);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// Writing to a `TreeHasher` is [`update`](TreeHasher::update): it takes every byte and never
/// fails, so `io::copy(&mut reader, &mut hasher)` works.
///
/// ```
/// use glacier_tree_hash::{tree_hash, TreeHasher};
/// use std::io::Write;
///
/// let mut hasher = TreeHasher::new();
/// write!(hasher, "te")?;
/// hasher.write_all(b"st")?;
/// assert_eq!(hasher.finalize(), tree_hash(b"test"));
/// # Ok::<(), std::io::Error>(())
/// ```
impl Write for TreeHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
