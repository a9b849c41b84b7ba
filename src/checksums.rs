//! The tree hash and the linear SHA-256 together, in one pass: the two checksum headers of an
//! UploadArchive or UploadMultipartPart request.

use crate::Hasher;
use crate::join::{Join, SerialJoin};
use crate::update::sealed::Sealed;
use crate::{LEAF, LEAF_SIZE, Sha256Hash, TreeHash, TreeHasher};
use sha2::Sha256;
#[cfg(feature = "std")]
use std::io;

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
    /// [`Hasher::update_rayon`].
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

/// A [`TreeHasher`] and a SHA-256 fed the same bytes: [`Checksums`] incrementally. Its methods
/// are those of the [`Hasher`] trait.
///
/// ```
/// use glacier_tree_hash::{ChecksumHasher, Checksums, Hasher};
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
    /// use glacier_tree_hash::Hasher;
    /// let checksums = glacier_tree_hash::ChecksumHasher::new().finalize();
    /// assert_eq!(checksums, glacier_tree_hash::Checksums::of(b""));
    /// ```
    #[must_use]
    pub fn new() -> ChecksumHasher {
        ChecksumHasher::default()
    }
}

impl Hasher for ChecksumHasher {
    type Output = Checksums;

    fn count(&self) -> u64 {
        self.count
    }

    fn finalize(&self) -> Checksums {
        let sha256 = <[u8; 32]>::from(sha2::Digest::finalize(self.sha256.clone()));
        Checksums {
            // Up to 1 MiB, the tree hash is the SHA-256.
            tree_hash: if self.count < LEAF_SIZE {
                TreeHash::from(sha256)
            } else {
                self.tree.finalize()
            },
            sha256: Sha256Hash::from(sha256),
        }
    }
}

impl Sealed for ChecksumHasher {
    /// Both hashes; under a parallel `J` and from 2 MiB on, the SHA-256 beside the tree hash.
    fn update_with<J: Join>(&mut self, mut data: &[u8]) {
        if self.count < LEAF_SIZE {
            // The first leaf: its bytes go to the SHA-256 alone, and its hash is the SHA-256
            // of them, taken once they are all there.
            let room = usize::try_from(LEAF_SIZE - self.count).unwrap_or(usize::MAX);
            let (head, rest) = data.split_at(data.len().min(room));
            sha2::Digest::update(&mut self.sha256, head);
            self.count += head.len() as u64;
            if self.count == LEAF_SIZE {
                let leaf = sha2::Digest::finalize(self.sha256.clone());
                let leaf = TreeHash::from(<[u8; 32]>::from(leaf));
                let first = |_: u64, out: &mut [TreeHash]| {
                    out.fill(leaf);
                    Ok::<(), core::convert::Infallible>(())
                };
                let Ok(()) = self.tree.tree.push_leaves::<SerialJoin, _>(1, None, &first);
            }
            data = rest;
        }
        self.count += data.len() as u64;
        let (tree, sha256) = (&mut self.tree, &mut self.sha256);
        if J::PARALLEL && data.len() >= 2 * LEAF {
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
}
