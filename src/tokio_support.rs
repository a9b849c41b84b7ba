//! Async readers (feature `tokio`): the same hashes from a `tokio::io::AsyncRead`, with the
//! hashing done off the runtime's worker threads.

use crate::consume::Consume;
use crate::{
    ChecksumHasher, Checksums, MultipartHasher, MultipartSummary, PartSize, TreeHash, TreeHasher,
};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The size of each of the two buffers the async readers use: 8 MiB, 16 MiB in all.
const BUFFER_SIZE: usize = 8 << 20;

/// The tree hash of everything `reader` yields, without blocking the async runtime.
///
/// Blocks of up to 8 MiB are read on the runtime while the block before is hashed by
/// `tokio::task::spawn_blocking` (on all cores, with feature `rayon`): two 8 MiB buffers in
/// all. The chunking guarantees are those of [`calculate_tree_hash`](crate::calculate_tree_hash):
/// any read sizes, `Interrupted` retried, any other error returned and no hash given. Needs a
/// tokio runtime (`rt`), current-thread or multi-thread.
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
    Ok(consume_async(reader, TreeHasher::new()).await?.finalize())
}

/// Both checksums ([`Checksums`]) of everything `reader` yields, without blocking the runtime;
/// as [`calculate_tree_hash_async`] otherwise.
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
    Ok(consume_async(reader, ChecksumHasher::new())
        .await?
        .finalize())
}

/// Every part's checksums and the archive's size and tree hash ([`MultipartSummary`]), from one
/// read of `reader`, without blocking the runtime. More than 10,000 parts is an
/// `ErrorKind::InvalidInput` error wrapping [`TooManyParts`](crate::TooManyParts).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use glacier_tree_hash::{multipart_async, tree_hash, PartSize};
///
/// let data = vec![4u8; (5 << 20) + 1];
/// let summary = multipart_async(&data[..], PartSize::new(2 << 20)?).await?;
/// assert_eq!(summary.parts.len(), 3);
/// assert_eq!(summary.tree_hash, tree_hash(&data));
/// # Ok(())
/// # }
/// ```
pub async fn multipart_async<R: AsyncRead + Unpin>(
    reader: R,
    part_size: PartSize,
) -> io::Result<MultipartSummary> {
    consume_async(reader, MultipartHasher::new(part_size))
        .await?
        .finish()
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))
}

/// Reads `reader` to its end in blocks, each hashed by `spawn_blocking` while the next is read.
/// A read error is returned once the block before it is hashed, so no task outlives the call.
async fn consume_async<R, H>(mut reader: R, hasher: H) -> io::Result<H>
where
    R: AsyncRead + Unpin,
    H: Consume + 'static,
{
    let mut block = vec![0u8; BUFFER_SIZE];
    let mut filled = fill_async(&mut reader, &mut block).await?;
    // The hasher and the buffer not being hashed travel together between tasks.
    let mut state = (hasher, Vec::new());
    while filled > 0 {
        let (mut hasher, mut spare) = state;
        let task = tokio::task::spawn_blocking(move || {
            hasher.consume(&block[..filled]);
            (hasher, block)
        });
        spare.resize(BUFFER_SIZE, 0);
        let next = fill_async(&mut reader, &mut spare).await;
        let (hasher, hashed) = task.await.map_err(io::Error::other)?;
        filled = next?;
        block = spare;
        state = (hasher, hashed);
    }
    Ok(state.0)
}

/// Reads until `buffer` is full or the reader is at its end; `Interrupted` is retried.
async fn fill_async<R: AsyncRead + Unpin>(reader: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]).await {
            Ok(0) => break,
            Ok(n) => filled += n.min(buffer.len() - filled),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}
