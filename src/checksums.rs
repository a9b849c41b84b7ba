//! The tree hash and the linear SHA-256 together, in one pass: the two checksum headers of an
//! UploadArchive or UploadMultipartPart request.

use crate::consume::Consume;
use crate::{Sha256Hash, TreeHash, TreeHasher};
use sha2::Sha256;

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
    /// Both checksums of `data`. With feature `rayon`, the tree hash runs on all cores beside
    /// the SHA-256, which is one serial pass whatever the core count.
    ///
    /// ```
    /// let checksums = glacier_tree_hash::Checksums::of(b"test");
    /// // Up to 1 MiB, the two are the same bytes.
    /// assert_eq!(checksums.tree_hash.as_bytes(), checksums.sha256.as_bytes());
    /// ```
    pub fn of(data: &[u8]) -> Checksums {
        let mut hasher = ChecksumHasher::new();
        hasher.consume(data);
        hasher.finalize()
    }

    /// Both checksums of everything `reader` yields, in one read, with the guarantees of
    /// [`calculate_tree_hash`](crate::calculate_tree_hash) (any read sizes, `Interrupted`
    /// retried, other errors returned and no checksums given) and its memory: two
    /// read-ahead buffers of 2 MiB per rayon thread with feature `rayon`, one 64 KiB stack
    /// buffer without.
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
    pub fn from_reader<R: std::io::Read>(reader: R) -> std::io::Result<Checksums> {
        let mut hasher = ChecksumHasher::new();
        crate::consume::consume_reader(reader, &mut hasher)?;
        Ok(hasher.finalize())
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
    tree: TreeHasher,
    sha256: Sha256,
}

impl ChecksumHasher {
    /// A hasher that has seen no bytes.
    ///
    /// ```
    /// let checksums = glacier_tree_hash::ChecksumHasher::new().finalize();
    /// assert_eq!(checksums, glacier_tree_hash::Checksums::of(b""));
    /// ```
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
        self.tree.update(data);
        sha2::Digest::update(&mut self.sha256, data);
        self
    }

    /// Adds `data` to both hashes: the SHA-256 on one thread while the tree hash uses
    /// [`TreeHasher::update_rayon`] on the others (feature `rayon`). Below 2 MiB, everything
    /// stays on the calling thread.
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
        if data.len() < 2 * crate::CHUNK_SIZE {
            return self.update(data);
        }
        let (tree, sha256) = (&mut self.tree, &mut self.sha256);
        rayon::join(
            || sha2::Digest::update(sha256, data),
            || {
                tree.update_rayon(data);
            },
        );
        self
    }

    /// The number of bytes hashed so far.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::ChecksumHasher::new();
    /// assert_eq!(hasher.update(&[0; 10]).count(), 10);
    /// ```
    pub fn count(&self) -> u64 {
        self.tree.count()
    }

    /// Both hashes of the bytes so far; the hasher is unchanged.
    ///
    /// ```
    /// let mut hasher = glacier_tree_hash::ChecksumHasher::new();
    /// hasher.update(b"test");
    /// assert_eq!(hasher.finalize(), hasher.finalize());
    /// ```
    pub fn finalize(&self) -> Checksums {
        Checksums {
            tree_hash: self.tree.finalize(),
            sha256: Sha256Hash::from(<[u8; 32]>::from(sha2::Digest::finalize(
                self.sha256.clone(),
            ))),
        }
    }
}
