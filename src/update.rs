//! The one dispatch: [`Hasher`], the trait every hasher's `update_*` entry points come from.
//!
//! Each entry point is written once, here, as a provided method over two things: a schedule
//! ([`SerialJoin`] or `RayonJoin`, the suffix `_rayon` in the name) and a kind of source (a
//! slice, a reader, a file, a map of a file), whose one read loop lives in its own module
//! (`read`, `file`, `mmap`). What is special about a hasher is a hook of the sealed
//! [`Sealed`](sealed::Sealed) trait, with a default that fits the others:
//! - `update_with`: how a block of bytes is hashed under a schedule (required);
//! - `read_ahead`: how a reader is read ahead (a tree hasher sends blocks to pool jobs);
//! - `positional`: what a regular file's bytes within its reported size are read with (a tree
//!   hasher: whole leaves by the thread that hashes them; a multipart hasher under rayon: whole
//!   parts side by side);
//! - `too_many_parts_after`: why no more input is worth reading (past 10,000 parts).
//!
//! A sealed public trait rather than a crate-private macro that writes the same methods on
//! each type: generic code can name it (`fn f<H: Hasher>(hasher: &mut H)`), which the tool,
//! the Python package and the tests need (each wrote its own trait or table before), and each
//! method's documentation exists once instead of three times. Sealed, so that hooks and
//! methods can be added without breaking anyone. The price: the methods need the trait in
//! scope (`use glacier_tree_hash::Hasher;`), as `std::io::Read`'s do.

#[cfg(feature = "std")]
use crate::file::{self, FileRange, Via};
use crate::join::SerialJoin;
#[cfg(feature = "std")]
use std::{fs::File, io, io::Read, ops::RangeBounds};

pub(crate) mod sealed {
    use crate::TooManyParts;
    use crate::join::Join;
    #[cfg(feature = "std")]
    use {crate::positional::Stop, core::ops::Range, std::fs::File};

    /// The hooks of [`Hasher`](crate::Hasher): what is special about each hasher. Public in a
    /// private module, so no other crate can implement `Hasher` or call these.
    pub trait Sealed: Clone + Send {
        /// Adds `data` after the bytes so far, hashing under the schedule `J`.
        fn update_with<J: Join>(&mut self, data: &[u8]);

        /// Why `more` bytes after those so far are not worth reading: a multipart upload past
        /// 10,000 parts. The read loops stop once this is `Some` for `more == 0`, and a
        /// regular file is refused before its first read.
        fn too_many_parts_after(&self, more: u64) -> Option<TooManyParts> {
            let _ = more;
            None
        }

        /// Adds everything `reader` yields, hashing on the pool while the calling thread reads
        /// ahead.
        #[cfg(feature = "rayon")]
        fn read_ahead(&mut self, reader: impl std::io::Read) -> std::io::Result<()>
        where
            Self: crate::Hasher,
        {
            crate::read::read_ahead(self, reader)
        }

        /// Adds bytes of the regular `file` from `range.start`, with positional reads, as far
        /// as this hasher gains from them (none by default); returns the offset reached, which
        /// the read loop goes on from. `range` lies within the size the file reports.
        #[cfg(feature = "std")]
        fn positional<J: Join>(&mut self, file: &File, range: Range<u64>) -> Result<u64, Stop> {
            let _ = file;
            Ok(range.start)
        }
    }
}

/// What every hasher of this crate does: [`TreeHasher`](crate::TreeHasher),
/// [`ChecksumHasher`](crate::ChecksumHasher) and [`MultipartHasher`](crate::MultipartHasher).
/// Bring it into scope to call their methods: `use glacier_tree_hash::Hasher;`.
///
/// Every method means the same on every hasher, and the suffix tells the threads: a method
/// whose name ends in `_rayon` hashes on the threads of the current rayon pool, every other
/// one never leaves the calling thread. The result never depends on which method fed which
/// bytes. Sealed: implemented only by this crate's hashers.
///
/// Generic code names it:
///
/// ```
/// use glacier_tree_hash::{ChecksumHasher, Hasher, TreeHasher};
///
/// fn hash_twice<H: Hasher>(mut hasher: H, data: &[u8]) -> H::Output {
///     hasher.update(data).update(data);
///     hasher.finalize()
/// }
/// let tree = hash_twice(TreeHasher::new(), b"ab");
/// assert_eq!(tree, glacier_tree_hash::tree_hash(b"abab"));
/// assert_eq!(hash_twice(ChecksumHasher::new(), b"ab").tree_hash, tree);
/// ```
pub trait Hasher: sealed::Sealed {
    /// What [`finalize`](Hasher::finalize) gives: a [`TreeHash`](crate::TreeHash),
    /// [`Checksums`](crate::Checksums), or a
    /// [`MultipartSummary`](crate::MultipartSummary) unless there are too many parts.
    type Output;

    /// The result for the bytes so far. The hasher is unchanged: call it at any time, as
    /// often as you like, and keep updating afterwards.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te");
    /// assert_eq!(hasher.finalize(), tree_hash(b"te"));
    /// hasher.update(b"st");
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// ```
    #[must_use]
    fn finalize(&self) -> Self::Output;

    /// The number of bytes added so far.
    ///
    /// ```
    /// use glacier_tree_hash::{Hasher, TreeHasher};
    ///
    /// assert_eq!(TreeHasher::new().update(&[0; 1500]).update(&[1; 500]).count(), 2000);
    /// ```
    #[must_use]
    fn count(&self) -> u64;

    /// Adds `data` after the bytes so far, on the calling thread.
    ///
    /// Whole 1 MiB leaves in one call are hashed many at a time by the leaf engine (see
    /// [`leaf_backend`](crate::leaf_backend)), and a multipart hasher's whole parts side by
    /// side, so large calls cost less per byte than many small ones: feed blocks of several
    /// MiB where you can. Bytes of a leaf split across calls go through one incremental
    /// SHA-256; nothing is copied or buffered.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// let hash = TreeHasher::new().update(b"te").update(b"st").finalize();
    /// assert_eq!(hash, tree_hash(b"test"));
    /// ```
    fn update(&mut self, data: &[u8]) -> &mut Self {
        self.update_with::<SerialJoin>(data);
        self
    }

    /// Adds `data` like [`update`](Hasher::update), on all threads of the current rayon pool
    /// (feature `rayon`; `RAYON_NUM_THREADS`, or the pool of a surrounding
    /// `ThreadPool::install`).
    ///
    /// A tree hasher finishes a leaf left by earlier calls on the calling thread, then splits
    /// the whole leaves into complete subtrees, in halves with `rayon::join` down to one batch
    /// of the leaf engine per task; input of one leaf or less never leaves the calling thread.
    /// A checksum hasher runs its linear SHA-256 (one stream, which sets the pace) on one
    /// thread beside the tree hash, from 2 MiB on. A multipart hasher shares whole parts out
    /// between the threads.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// let data = vec![1u8; (9 << 20) + 5];
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(&data[..1234]).update_rayon(&data[1234..]);
    /// assert_eq!(hasher.finalize(), tree_hash(&data));
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    fn update_rayon(&mut self, data: &[u8]) -> &mut Self {
        self.update_with::<crate::join::RayonJoin>(data);
        self
    }

    /// Adds everything `reader` yields until its end (the first `Ok(0)`), on the calling
    /// thread (feature `std`).
    ///
    /// Leaves are cut at byte offsets, not at read calls: a pipe or socket that returns a few
    /// bytes per `read` gives the same hash as a file. `Interrupted` is retried; a reader that
    /// claims more bytes than its buffer holds is an `InvalidData` error. The reader needs no
    /// `BufRead`, `Seek` or `Send`. Memory: a 64 KiB buffer on the stack, and past the first
    /// MiB one heap buffer of one leaf-engine batch (16 MiB with a 16-lane kernel; none with
    /// `sha2`). A multipart hasher stops reading as soon as the 10,001st part begins.
    ///
    /// # Errors
    /// The first error of `reader` other than `Interrupted`; past 10,000 parts, an
    /// `InvalidInput` error that [`TooManyParts::from_io_error`](crate::TooManyParts::from_io_error)
    /// reads back. The hasher then holds an unspecified prefix of the input.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// let mut hasher = TreeHasher::new();
    /// hasher.update(b"te").update_reader(&b"st"[..])?;
    /// assert_eq!(hasher.finalize(), tree_hash(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    fn update_reader<R: Read>(&mut self, reader: R) -> io::Result<&mut Self> {
        crate::read::read::<SerialJoin, Self>(self, reader)?;
        Ok(self)
    }

    /// Adds everything `reader` yields like [`update_reader`](Hasher::update_reader), hashing
    /// on all threads of the current rayon pool while the calling thread reads ahead (feature
    /// `rayon`).
    ///
    /// The first 1 MiB goes through the serial loop and never touches the pool. After it, the
    /// calling thread reads blocks (from 4 MiB, doubling): a tree hasher's blocks are hashed by
    /// pool jobs of their own, several at once; the other hashers hash one block under
    /// `update_rayon` while the next is read. Memory: at most 128 MiB of blocks (64 MiB on 2
    /// threads with a 16-lane kernel). One thread copies the reader out, so for a regular file
    /// [`update_file_rayon`](Hasher::update_file_rayon) is faster.
    ///
    /// # Errors
    /// As [`update_reader`](Hasher::update_reader).
    ///
    /// ```
    /// use glacier_tree_hash::{Checksums, ChecksumHasher, Hasher};
    ///
    /// let data = vec![9u8; (5 << 20) + 3];
    /// let mut hasher = ChecksumHasher::new();
    /// hasher.update_reader_rayon(&data[..])?;
    /// assert_eq!(hasher.finalize(), Checksums::of(&data));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    fn update_reader_rayon<R: Read>(&mut self, reader: R) -> io::Result<&mut Self> {
        crate::read::read::<crate::join::RayonJoin, Self>(self, reader)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` (`..` for all of it), on the calling thread, from
    /// the one open file: nothing is opened again, so a FIFO or a device is read once (feature
    /// `std`).
    ///
    /// A regular file or a block device is read with positional reads (its cursor does not
    /// move on Unix) and checked against what it really holds: the hash is of every byte up
    /// to the first read that returns nothing, whatever size the file reports. A `/proc` file
    /// that reports 0 bytes, or a sysfs file that reports 4096, gives the hash of its real
    /// content; a file that grows while it is hashed, of everything up to its end when read.
    /// A pipe, FIFO, socket or terminal is read through its cursor to its end; only `..` is a
    /// range of it. A multipart hasher refuses a regular file whose size needs more than
    /// 10,000 parts before the first read.
    ///
    /// # Errors
    /// - `UnexpectedEof` if the range starts past the end of the file (an empty range at its
    ///   very end is fine), if a bounded range reaches past the end of the file (`..=u64::MAX`
    ///   always does), and if the file shrinks below the size it had when hashing started;
    /// - `InvalidInput` for a range that ends before it starts, for a range other than `..` of
    ///   a pipe, FIFO, socket or terminal, and past 10,000 parts (as
    ///   [`update_reader`](Hasher::update_reader)); `IsADirectory` for a directory;
    /// - any read error other than `Interrupted`.
    ///
    /// On an error the hasher holds an unspecified prefix of the input.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-uf-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![5u8; (2 << 20) + 9];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// assert_eq!(TreeHasher::new().update_file(&file, ..)?.finalize(), tree_hash(&data));
    /// // One part's bytes, for its x-amz-sha256-tree-hash:
    /// let part = TreeHasher::new().update_file(&file, (1 << 20)..(2 << 20))?.finalize();
    /// assert_eq!(part, tree_hash(&data[1 << 20..2 << 20]));
    /// let past_the_end = TreeHasher::new().update_file(&file, (3 << 20)..).unwrap_err();
    /// assert_eq!(past_the_end.kind(), std::io::ErrorKind::UnexpectedEof);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    fn update_file(&mut self, file: &File, range: impl RangeBounds<u64>) -> io::Result<&mut Self> {
        file::update::<SerialJoin, Self>(self, file, FileRange::of(&range)?, Via::Reads)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_file`](Hasher::update_file), on all
    /// threads of the current rayon pool (feature `rayon`).
    ///
    /// A tree hasher's threads each read the leaves they hash with positional reads, so the
    /// copy out of the page cache is shared too (buffers: at most 64 MiB in all). A multipart
    /// hasher hashes whole parts side by side, each read by the thread that hashes it (parts
    /// of which four or more fit in a thread's share of 64 MiB a group at a time, their
    /// SHA-256s in the leaf engine's lanes). Anything else, and a checksum hasher, goes
    /// through the read loop of [`update_reader_rayon`](Hasher::update_reader_rayon).
    ///
    /// # Errors
    /// As [`update_file`](Hasher::update_file).
    ///
    /// ```
    /// use glacier_tree_hash::{Hasher, MultipartHasher, PartSize};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-ufr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![6u8; (9 << 20) + 1];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// let summary = MultipartHasher::new(PartSize::MIN).update_file_rayon(&file, ..)?.finalize()?;
    /// assert_eq!(summary.tree_hash, glacier_tree_hash::tree_hash(&data));
    /// assert_eq!(summary.parts.len(), 10);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    fn update_file_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut Self> {
        let range = FileRange::of(&range)?;
        file::update::<crate::join::RayonJoin, Self>(self, file, range, Via::Reads)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_file`](Hasher::update_file), but
    /// hashes a regular file's bytes (from 1 MiB) in place from a read-only memory map instead
    /// of copying them out of the page cache (feature `mmap`).
    ///
    /// **Hazard**: if the file is truncated while it is hashed (by any process, this one
    /// included), or a page of it cannot be read (an I/O error of the disk or of a network
    /// file system), the process gets `SIGBUS` and dies, where `update_file` returns an error.
    /// Use this only for files that nothing shortens meanwhile, on storage that does not fail.
    /// Everything else is as with `update_file`: a file that cannot be mapped, a small one, a
    /// pipe or a device is read; bytes past the size the file reported are read and hashed.
    ///
    /// # Errors
    /// As [`update_file`](Hasher::update_file), except for a file that shrinks and a read that
    /// fails while mapped (above).
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-um-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![7u8; (3 << 20) + 5];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// assert_eq!(TreeHasher::new().update_mmap(&file, ..)?.finalize(), tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "mmap")]
    #[cfg_attr(docsrs, doc(cfg(feature = "mmap")))]
    fn update_mmap(&mut self, file: &File, range: impl RangeBounds<u64>) -> io::Result<&mut Self> {
        file::update::<SerialJoin, Self>(self, file, FileRange::of(&range)?, Via::Map)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_mmap`](Hasher::update_mmap), on all
    /// threads of the current rayon pool (features `mmap` and `rayon`): the fastest way to
    /// hash a file, with the same **hazard** (a file truncated meanwhile is `SIGBUS`, not an
    /// error). A file that is not mapped goes through
    /// [`update_file_rayon`](Hasher::update_file_rayon).
    ///
    /// # Errors
    /// As [`update_file_rayon`](Hasher::update_file_rayon), except for a file that shrinks and
    /// a read that fails while mapped.
    ///
    /// ```
    /// use glacier_tree_hash::{tree_hash, Hasher, TreeHasher};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-umr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![8u8; (9 << 20) + 2];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// let hash = TreeHasher::new().update_mmap_rayon(&file, ..)?.finalize();
    /// assert_eq!(hash, tree_hash(&data));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(all(feature = "mmap", feature = "rayon"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "mmap", feature = "rayon"))))]
    fn update_mmap_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut Self> {
        let range = FileRange::of(&range)?;
        file::update::<crate::join::RayonJoin, Self>(self, file, range, Via::Map)?;
        Ok(self)
    }
}
