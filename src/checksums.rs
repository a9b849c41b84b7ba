//! The tree hash and the linear SHA-256 together, in one pass: the two checksum headers of an
//! UploadArchive or UploadMultipartPart request.

use crate::join::{Join, SerialJoin, Update};
use crate::{CHUNK_SIZE, Sha256Hash, TreeHash, TreeHasher};
use sha2::Sha256;
#[cfg(feature = "std")]
use std::{fs::File, io, ops::RangeBounds};

/// The two checksums Glacier asks for with a body: `x-amz-sha256-tree-hash` (`tree_hash`) and
/// `x-amz-content-sha256` (`sha256`, the plain SHA-256 of the whole body).
///
/// ```
/// use glacier_tree_hash::{tree_hash, Checksums, Sha256Hash};
///
/// let body = vec![1u8; (2 << 20) + 9];
/// let checksums = Checksums::of(&body);
/// assert_eq!(checksums.tree_hash, tree_hash(&body));
/// assert_eq!(checksums.sha256, Sha256Hash::of(&body));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Checksums {
    /// The tree hash, for `x-amz-sha256-tree-hash`.
    pub tree_hash: TreeHash,
    /// The linear SHA-256, for `x-amz-content-sha256`.
    pub sha256: Sha256Hash,
}

impl Checksums {
    /// Both checksums of `data`, on the calling thread; for all cores,
    /// [`ChecksumHasher::update_rayon`].
    ///
    /// ```
    /// let checksums = glacier_tree_hash::Checksums::of(b"test");
    /// // Up to 1 MiB, the two are the same bytes.
    /// assert_eq!(checksums.tree_hash.as_bytes(), checksums.sha256.as_bytes());
    /// ```
    #[must_use]
    pub fn of(data: &[u8]) -> Checksums {
        ChecksumHasher::new().update(data).finalize()
    }

    /// Both checksums of everything `reader` yields, in one read on the calling thread, with
    /// the guarantees of [`calculate_tree_hash`](crate::calculate_tree_hash): any read sizes,
    /// `Interrupted` retried, the first `Ok(0)` is the end; and its memory.
    ///
    /// # Errors
    /// The first error of `reader` other than `Interrupted`; then no checksums are given.
    ///
    /// ```
    /// use glacier_tree_hash::Checksums;
    ///
    /// let body = vec![7u8; 3 << 20];
    /// assert_eq!(Checksums::from_reader(&body[..])?, Checksums::of(&body));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn from_reader<R: io::Read>(reader: R) -> io::Result<Checksums> {
        Ok(ChecksumHasher::new().update_reader(reader)?.finalize())
    }
}

/// A [`TreeHasher`] and a SHA-256 fed the same bytes: [`Checksums`] incrementally.
///
/// ```
/// use glacier_tree_hash::{ChecksumHasher, Checksums};
///
/// let mut hasher = ChecksumHasher::new();
/// hasher.update(b"te").update(b"st");
/// assert_eq!(hasher.count(), 4);
/// assert_eq!(hasher.finalize(), Checksums::of(b"test"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ChecksumHasher {
    /// Below 1 MiB, empty: the first leaf is the SHA-256's input so far, hashed once, by the
    /// SHA-256. From 1 MiB on, every byte.
    tree: TreeHasher,
    sha256: Sha256,
    /// Bytes added so far.
    count: u64,
}

impl ChecksumHasher {
    /// A hasher that has seen no bytes.
    ///
    /// ```
    /// let checksums = glacier_tree_hash::ChecksumHasher::new().finalize();
    /// assert_eq!(checksums, glacier_tree_hash::Checksums::of(b""));
    /// ```
    #[must_use]
    pub fn new() -> ChecksumHasher {
        ChecksumHasher::default()
    }

    /// Adds `data` to both hashes, on the calling thread.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::ChecksumHasher::new();
    /// hasher.update(b"bar");
    /// assert_eq!(hasher.finalize().tree_hash, glacier_tree_hash::tree_hash(b"bar"));
    /// ```
    pub fn update(&mut self, data: &[u8]) -> &mut ChecksumHasher {
        self.update_with::<SerialJoin>(data);
        self
    }

    /// Adds `data` to both hashes: the SHA-256 on one thread while the tree hash uses
    /// [`TreeHasher::update_rayon`] on the others (feature `rayon`). The linear SHA-256 is one
    /// stream whatever the core count, so it sets the pace: on 2 cores, about the speed of one
    /// SHA-256. Below 2 MiB, everything stays on the calling thread.
    ///
    /// ```
    /// use glacier_tree_hash::{ChecksumHasher, Checksums};
    ///
    /// let data = vec![5u8; 9 << 20];
    /// let mut hasher = ChecksumHasher::new();
    /// hasher.update(&data[..100]).update_rayon(&data[100..]);
    /// assert_eq!(hasher.finalize(), Checksums::of(&data));
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_rayon(&mut self, data: &[u8]) -> &mut ChecksumHasher {
        self.update_with::<crate::join::RayonJoin>(data);
        self
    }

    /// Adds everything `reader` yields, on the calling thread, with the guarantees of
    /// [`calculate_tree_hash`](crate::calculate_tree_hash).
    ///
    /// # Errors
    /// The first error of `reader` other than `Interrupted`; the hasher then holds an
    /// unspecified prefix of the input.
    ///
    /// ```
    /// use glacier_tree_hash::{ChecksumHasher, Checksums};
    ///
    /// let mut hasher = ChecksumHasher::new();
    /// hasher.update_reader(&b"test"[..])?;
    /// assert_eq!(hasher.finalize(), Checksums::of(b"test"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn update_reader<R: io::Read>(&mut self, reader: R) -> io::Result<&mut ChecksumHasher> {
        crate::read::update_reader(self, reader)?;
        Ok(self)
    }

    /// Adds everything `reader` yields, hashing on the current rayon pool while the calling
    /// thread reads ahead, as [`TreeHasher::update_reader_rayon`] does (feature `rayon`).
    ///
    /// # Errors
    /// As [`update_reader`](ChecksumHasher::update_reader).
    ///
    /// ```
    /// use glacier_tree_hash::{ChecksumHasher, Checksums};
    ///
    /// let body = vec![7u8; 3 << 20];
    /// let mut hasher = ChecksumHasher::new();
    /// hasher.update_reader_rayon(&body[..])?;
    /// assert_eq!(hasher.finalize(), Checksums::of(&body));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_reader_rayon<R: io::Read>(
        &mut self,
        reader: R,
    ) -> io::Result<&mut ChecksumHasher> {
        crate::read::update_reader_rayon(self, reader)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` (`..` for all of it) on the calling thread, with the
    /// checks of [`TreeHasher::update_file`]: the checksums of one part of an archive, straight
    /// from the file, or of what a file really holds.
    ///
    /// # Errors
    /// As [`TreeHasher::update_file`].
    ///
    /// ```
    /// use glacier_tree_hash::{ChecksumHasher, Checksums, PartSize};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-cf-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// let data = vec![3u8; (5 << 20) + 1];
    /// std::fs::write(&path, &data)?;
    /// let file = std::fs::File::open(&path)?;
    /// // Part 1 of an upload in 2 MiB parts: bytes 2 MiB to 4 MiB.
    /// let part = PartSize::new(2 << 20)?.parts(data.len() as u64).nth(1).unwrap();
    /// let checksums = ChecksumHasher::new().update_file(&file, part.range())?.finalize();
    /// assert_eq!(checksums, Checksums::of(&data[2 << 20..4 << 20]));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "std")]
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn update_file(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut ChecksumHasher> {
        let range = crate::io::FileRange::of(&range)?;
        crate::io::update_from_file::<SerialJoin, _>(self, file, range)?;
        Ok(self)
    }

    /// Adds the bytes of `file` in `range` like [`update_file`](ChecksumHasher::update_file),
    /// reading ahead on the calling thread while the pool hashes (feature `rayon`).
    ///
    /// # Errors
    /// As [`TreeHasher::update_file`].
    ///
    /// ```
    /// use glacier_tree_hash::{ChecksumHasher, Checksums};
    ///
    /// # let dir = std::env::temp_dir().join(format!("glacier-tree-hash-doc-cfr-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("archive.bin");
    /// std::fs::write(&path, vec![4u8; 3 << 20])?;
    /// let file = std::fs::File::open(&path)?;
    /// let checksums = ChecksumHasher::new().update_file_rayon(&file, ..)?.finalize();
    /// assert_eq!(checksums, Checksums::of(&vec![4u8; 3 << 20]));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "rayon")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
    pub fn update_file_rayon(
        &mut self,
        file: &File,
        range: impl RangeBounds<u64>,
    ) -> io::Result<&mut ChecksumHasher> {
        let range = crate::io::FileRange::of(&range)?;
        crate::io::update_from_file::<crate::join::RayonJoin, _>(self, file, range)?;
        Ok(self)
    }

    /// The number of bytes hashed so far.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::ChecksumHasher::new();
    /// assert_eq!(hasher.update(&[0; 10]).count(), 10);
    /// ```
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Both hashes of the bytes so far; the hasher is unchanged.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::ChecksumHasher::new();
    /// hasher.update(b"test");
    /// assert_eq!(hasher.finalize(), hasher.finalize());
    /// ```
    #[must_use]
    pub fn finalize(&self) -> Checksums {
        let sha256 = <[u8; 32]>::from(sha2::Digest::finalize(self.sha256.clone()));
        Checksums {
            // Up to 1 MiB, the tree hash is the SHA-256.
            tree_hash: if self.count < CHUNK_SIZE as u64 {
                TreeHash::from(sha256)
            } else {
                self.tree.finalize()
            },
            sha256: Sha256Hash::from(sha256),
        }
    }
}

impl Update for ChecksumHasher {
    /// Both hashes; under a parallel `J` and from 2 MiB on, the SHA-256 beside the tree hash.
    fn update_with<J: Join>(&mut self, mut data: &[u8]) {
        let chunk = CHUNK_SIZE as u64;
        if self.count < chunk {
            // The first leaf: its bytes go to the SHA-256 alone, and its hash is the SHA-256
            // of them, taken once they are all there.
            let room = usize::try_from(chunk - self.count).unwrap_or(usize::MAX);
            let (head, rest) = data.split_at(data.len().min(room));
            sha2::Digest::update(&mut self.sha256, head);
            self.count += head.len() as u64;
            if self.count == chunk {
                let leaf = sha2::Digest::finalize(self.sha256.clone());
                let leaf = TreeHash::from(<[u8; 32]>::from(leaf));
                let first = |_: u64, out: &mut [TreeHash]| {
                    out.fill(leaf);
                    Ok::<(), core::convert::Infallible>(())
                };
                let Ok(()) = self.tree.push_chunks::<SerialJoin, _>(1, &first);
            }
            data = rest;
        }
        self.count += data.len() as u64;
        let (tree, sha256) = (&mut self.tree, &mut self.sha256);
        if J::PARALLEL && data.len() >= 2 * crate::CHUNK_SIZE {
            J::join(
                || sha2::Digest::update(sha256, data),
                || {
                    tree.update_with::<J>(data);
                },
            );
        } else {
            sha2::Digest::update(sha256, data);
            tree.update_with::<SerialJoin>(data);
        }
    }

    fn count(&self) -> u64 {
        self.count
    }
}
