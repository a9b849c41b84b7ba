"""Tree hashes past one machine, on Dask (``dask.distributed``).

The tree hash is a reduction: ranges of 1 MiB × 2^k bytes that start at a multiple of their
size are whole subtrees, so their tree hashes, computed anywhere and combined in order, give the
archive's tree hash. Each task here is ``glacier_tree_hash.tree_hash_file(path, start, end)``
on a worker (every core of that worker, GIL released); the client only combines 32-byte hashes.

- :func:`distributed_tree_hash`: one large file, its aligned pieces hashed on the workers and
  combined at the client with ``glacier_tree_hash.combine``.
- :func:`verify_many`: many files checked against expected tree hashes in parallel (a vault's
  inventory, say): one task per file.

On a real cluster the workers must reach the bytes: here they read ``path`` itself, so it must
be on a filesystem every worker mounts (NFS, Lustre, a shared volume) at the same path. Where the
archive lives elsewhere, make each task fetch its own range instead (an S3 ``Range`` GET, or a
Glacier range retrieval of that tree-hash-aligned range, whose job reports the range's
``SHA256TreeHash``) and hash the bytes with ``glacier_tree_hash.tree_hash``; the reduction is
the same. Pieces should be large (hundreds of MiB) so a task's scheduling costs little beside
its hashing. The same recipe fits Ray, Spark or a batch queue.

Usage: ``python dask_tree_hash.py FILE [SCHEDULER_ADDRESS]`` (no address: a local cluster).
"""

from __future__ import annotations

import os
import sys
from typing import Dict, Mapping

import glacier_tree_hash

MIB = 1 << 20


def piece_ranges(size: int, piece_size: int):
    """The ranges ``(start, end)`` of pieces of ``piece_size`` bytes (1 MiB × 2^k), the last cut
    at ``size``: each one a node of the file's tree, so their hashes combine."""
    if piece_size < MIB or piece_size & (piece_size - 1):
        raise ValueError(f"a piece size must be 1 MiB × 2^k, not {piece_size}")
    return [(start, min(start + piece_size, size)) for start in range(0, size, piece_size)]


def distributed_tree_hash(client, path: str, piece_size: int = 256 * MIB) -> str:
    """The tree hash of the file at ``path``: its pieces hashed on the cluster's workers by
    ``tree_hash_file(path, start, end)``, combined in order at the client."""
    size = os.path.getsize(path)
    ranges = piece_ranges(size, piece_size)
    if not ranges:
        return glacier_tree_hash.combine([])
    futures = client.map(
        glacier_tree_hash.tree_hash_file,
        [path] * len(ranges),
        [start for start, _ in ranges],
        [end for _, end in ranges],
        pure=False,
    )
    return glacier_tree_hash.combine(client.gather(futures))


def verify_many(client, expected: Mapping[str, str]) -> Dict[str, bool]:
    """For each path of ``expected``, whether the file's tree hash is the expected one (hex in
    either case): one task per file, on any worker."""
    paths = list(expected)
    futures = client.map(glacier_tree_hash.tree_hash_file, paths, pure=False)
    actual = client.gather(futures)
    return {
        path: hash_ == expected[path].lower() for path, hash_ in zip(paths, actual)
    }


def main() -> None:
    """The command line."""
    from dask.distributed import Client, LocalCluster

    path = sys.argv[1]
    if len(sys.argv) > 2:
        client = Client(sys.argv[2])
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True))
    with client:
        print(distributed_tree_hash(client, path))


if __name__ == "__main__":
    main()
