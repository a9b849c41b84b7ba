//! Readers and writers that hash what passes through them (feature `std`): an upload body read
//! from a file, or a download written to one, with both checksums computed on the way.

use crate::{ChecksumHasher, Checksums, Hasher};
use std::io::{self, Read, Write};

/// Wraps a reader: every byte read through it comes out unchanged and goes into the tree hash
/// and the linear SHA-256. Nothing is buffered; the state is one [`ChecksumHasher`].
///
/// Read sizes do not matter (chunking is on byte offsets), and bytes count only once they are
/// returned, so a failed or `Interrupted` read changes nothing. Hashing runs on the thread that
/// reads, inside each `read` call.
///
/// ```
/// use glacier_tree_hash::{Checksums, HashingReader};
/// use std::io::Read;
///
/// let body = vec![6u8; (2 << 20) + 1];
/// let mut reader = HashingReader::new(&body[..]);
/// let mut sent = Vec::new();
/// reader.read_to_end(&mut sent)?; // e.g. the request body, as it is sent
/// assert_eq!(sent, body);
/// assert_eq!(reader.checksums(), Checksums::of(&body));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: ChecksumHasher,
}

impl<R> HashingReader<R> {
    /// Wraps `inner`.
    ///
    /// ```
    /// let reader = glacier_tree_hash::HashingReader::new(std::io::empty());
    /// assert_eq!(reader.count(), 0);
    /// ```
    #[must_use]
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: ChecksumHasher::new(),
        }
    }

    /// Both checksums of the bytes read so far.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut reader = glacier_tree_hash::HashingReader::new(&b"test"[..]);
    /// reader.read_to_end(&mut Vec::new())?;
    /// assert_eq!(reader.checksums().tree_hash, glacier_tree_hash::tree_hash(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn checksums(&self) -> Checksums {
        self.hasher.finalize()
    }

    /// The number of bytes read so far.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut reader = glacier_tree_hash::HashingReader::new(&[0u8; 10][..]);
    /// reader.read_exact(&mut [0; 4])?;
    /// assert_eq!(reader.count(), 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn count(&self) -> u64 {
        self.hasher.count()
    }

    /// The wrapped reader, and the checksums of what was read.
    ///
    /// ```
    /// let (inner, checksums) = glacier_tree_hash::HashingReader::new(std::io::empty()).into_inner();
    /// assert_eq!(checksums, glacier_tree_hash::Checksums::of(b""));
    /// # let _ = inner;
    /// ```
    #[must_use]
    pub fn into_inner(self) -> (R, Checksums) {
        let checksums = self.checksums();
        (self.inner, checksums)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > buf.len() {
            return Err(crate::read::claimed_too_much(n, buf.len()));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Wraps a writer: every byte the inner writer accepts goes into the tree hash and the linear
/// SHA-256. Nothing is buffered; bytes a failed or short write did not take are not hashed.
/// Hashing runs on the thread that writes, inside each `write` call.
///
/// ```
/// use glacier_tree_hash::{Checksums, HashingWriter};
/// use std::io::Write;
///
/// let mut writer = HashingWriter::new(Vec::new());
/// writer.write_all(b"archive bytes")?;
/// let (written, checksums) = writer.into_inner();
/// assert_eq!(written, b"archive bytes");
/// assert_eq!(checksums, Checksums::of(b"archive bytes"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: ChecksumHasher,
}

impl<W> HashingWriter<W> {
    /// Wraps `inner`.
    ///
    /// ```
    /// let writer = glacier_tree_hash::HashingWriter::new(std::io::sink());
    /// assert_eq!(writer.count(), 0);
    /// ```
    #[must_use]
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: ChecksumHasher::new(),
        }
    }

    /// Both checksums of the bytes written so far.
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let mut writer = glacier_tree_hash::HashingWriter::new(std::io::sink());
    /// writer.write_all(b"bar")?;
    /// assert_eq!(writer.checksums().tree_hash, glacier_tree_hash::tree_hash(b"bar"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn checksums(&self) -> Checksums {
        self.hasher.finalize()
    }

    /// The number of bytes written so far.
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let mut writer = glacier_tree_hash::HashingWriter::new(std::io::sink());
    /// writer.write_all(&[1; 7])?;
    /// assert_eq!(writer.count(), 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[must_use]
    pub fn count(&self) -> u64 {
        self.hasher.count()
    }

    /// The wrapped writer, and the checksums of what was written.
    ///
    /// ```
    /// let (sink, checksums) = glacier_tree_hash::HashingWriter::new(std::io::sink()).into_inner();
    /// assert_eq!(checksums, glacier_tree_hash::Checksums::of(b""));
    /// # let _ = sink;
    /// ```
    #[must_use]
    pub fn into_inner(self) -> (W, Checksums) {
        let checksums = self.checksums();
        (self.inner, checksums)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if n > buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the writer claimed {n} bytes written of {}", buf.len()),
            ));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
