//! Async readers (feature `tokio`): the same hashes from a `tokio::io::AsyncRead`, with the
//! hashing done off the runtime's worker threads.

use crate::Hasher;
use crate::join::SerialJoin;
use crate::{
    ChecksumHasher, Checksums, MultipartHasher, MultipartSummary, PartSize, TreeHash, TreeHasher,
};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The size of each of the two buffers the async readers use: one leaf-engine batch, at least
/// 4 MiB (16 MiB with a 16-lane kernel, 32 MiB in all).
fn buffer_size() -> usize {
    (crate::leaves::batch() * crate::LEAF).max(4 << 20)
}

/// The tree hash of everything `reader` yields until its end, without blocking the runtime.
///
/// Blocks of one leaf-engine batch (16 MiB with a 16-lane kernel; 4 MiB with `sha2`) are read on
/// the runtime while the block before is hashed on one blocking thread
/// (`tokio::task::spawn_blocking`), whole leaves many at a time: two such buffers in all. The
/// guarantees
/// are those of [`calculate_tree_hash`](crate::calculate_tree_hash): any read sizes,
/// `Interrupted` retried, the first `Ok(0)` is the end, any other error returned and no hash
/// given.
///
/// # Errors
/// The first error of `reader` other than `Interrupted`.
///
/// # Panics
/// Outside a tokio runtime (`spawn_blocking` needs one); a current-thread runtime is enough.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use glacier_tree_hash::{calculate_tree_hash_async, tree_hash};
///
/// let data = vec![2u8; (3 << 20) + 5];
/// assert_eq!(calculate_tree_hash_async(&data[..]).await?, tree_hash(&data));
/// // A file: calculate_tree_hash_async(tokio::fs::File::open(path).await?).await?
/// # Ok(())
/// # }
/// ```
pub async fn calculate_tree_hash_async<R: AsyncRead + Unpin>(reader: R) -> io::Result<TreeHash> {
    Ok(update_async(reader, TreeHasher::new()).await?.finalize())
}

/// Both checksums ([`Checksums`]) of everything `reader` yields, without blocking the runtime;
/// as [`calculate_tree_hash_async`] otherwise.
///
/// # Errors
/// The first error of `reader` other than `Interrupted`.
///
/// # Panics
/// Outside a tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use glacier_tree_hash::{checksums_async, Checksums};
///
/// let data = vec![3u8; 1 << 20];
/// assert_eq!(checksums_async(&data[..]).await?, Checksums::of(&data));
/// # Ok(())
/// # }
/// ```
pub async fn checksums_async<R: AsyncRead + Unpin>(reader: R) -> io::Result<Checksums> {
    Ok(update_async(reader, ChecksumHasher::new())
        .await?
        .finalize())
}

/// Every part's checksums and the archive's size and tree hash ([`MultipartSummary`]), from one
/// read of `reader`, without blocking the runtime; reading stops as soon as the 10,001st part
/// begins.
///
/// # Errors
/// The first error of `reader` other than `Interrupted`; past 10,000 parts an `InvalidInput`
/// error that [`TooManyParts::from_io_error`](crate::TooManyParts::from_io_error) reads back,
/// as [`Hasher::update_reader`] returns it.
///
/// # Panics
/// Outside a tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use glacier_tree_hash::{multipart_async, tree_hash, PartSize, TooManyParts};
///
/// let data = vec![4u8; (5 << 20) + 1];
/// let summary = multipart_async(&data[..], PartSize::new(2 << 20)?).await?;
/// assert_eq!(summary.parts.len(), 3);
/// assert_eq!(summary.tree_hash, tree_hash(&data));
///
/// let error = multipart_async(tokio::io::repeat(0), PartSize::MIN).await.unwrap_err();
/// // Refused within one block (a leaf-engine batch) of the 10,001st part.
/// assert!(TooManyParts::from_io_error(&error).is_some_and(|e| e.part_count() > 10_000));
/// # Ok(())
/// # }
/// ```
pub async fn multipart_async<R: AsyncRead + Unpin>(
    reader: R,
    part_size: PartSize,
) -> io::Result<MultipartSummary> {
    update_async(reader, MultipartHasher::new(part_size))
        .await?
        .finalize()
        .map_err(io::Error::from)
}

/// Reads `reader` to its end in blocks, each hashed by `spawn_blocking` while the next is read.
/// A read error is returned once the block before it is hashed, so no task outlives the call.
async fn update_async<R, H>(reader: R, hasher: H) -> io::Result<H>
where
    R: AsyncRead + Unpin,
    H: Hasher + 'static,
{
    let mut source = AsyncSource {
        reader,
        ended: false,
    };
    let size = buffer_size();
    let mut block = vec![0u8; size];
    let mut filled = source.fill(&mut block).await?;
    // The hasher and the buffer not being hashed travel together between tasks.
    let mut state = (hasher, Vec::new());
    while filled > 0 {
        let (mut hasher, mut spare) = state;
        let task = tokio::task::spawn_blocking(move || {
            hasher.update_with::<SerialJoin>(&block[..filled]);
            (hasher, block)
        });
        spare.resize(size, 0);
        let next = source.fill(&mut spare).await;
        let (hasher, hashed) = task.await.map_err(io::Error::other)?;
        crate::read::accepts_more(&hasher)?;
        filled = next?;
        block = spare;
        state = (hasher, hashed);
    }
    Ok(state.0)
}

/// An async reader and whether it has reported its end: the async twin of the sync read loop's
/// `Source`, with the same rules.
struct AsyncSource<R> {
    reader: R,
    ended: bool,
}

impl<R: AsyncRead + Unpin> AsyncSource<R> {
    /// Reads until `buffer` is full or the end; once the end is seen, returns 0 without reading.
    async fn fill(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buffer.len() && !self.ended {
            match self.reader.read(&mut buffer[filled..]).await {
                Ok(0) => self.ended = true,
                Ok(n) if n <= buffer.len() - filled => filled += n,
                Ok(n) => return Err(crate::read::claimed_too_much(n, buffer.len() - filled)),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(filled)
    }
}
