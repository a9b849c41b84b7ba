"""The Amazon S3 Glacier SHA-256 tree hash, on all cores.

A thin layer over the glacier-tree-hash Rust library: every byte is hashed by it, with the GIL
released. ``calculate_tree_hash(fileobj)`` is botocore's function of the same name without its
short-read bug; ``TreeHasher`` has hashlib's interface; ``checksums``, ``multipart`` and
``combine`` give what Glacier's UploadArchive, UploadMultipartPart and CompleteMultipartUpload
requests need; :mod:`glacier_tree_hash.boto` plugs them into a boto3 client.

Errors: ``ValueError`` for a bad part size, hex string or range (with the library's message);
``OSError`` with ``errno`` and ``filename`` for I/O (a file that shrinks while it is hashed is
an ``OSError``, never a hash); ``TypeError`` for what is not bytes or a binary file.

Threads: every function takes ``max_threads`` (``1``: the calling thread only); the default is
:func:`set_max_threads`'s setting, else every core. A pool of threads is kept per process, so
the package works in a child made by ``os.fork()`` (multiprocessing's ``fork`` start method).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Optional, Tuple, Union

from . import _native
from ._native import TreeHasher

__all__ = [
    "Checksums",
    "Multipart",
    "Part",
    "TreeHasher",
    "calculate_tree_hash",
    "checksums",
    "combine",
    "get_max_threads",
    "is_tree_hash_aligned",
    "multipart",
    "part_size_for",
    "set_max_threads",
    "tree_hash",
    "tree_hash_aligned_cover",
    "tree_hash_file",
    "__version__",
]


def _version() -> str:
    """The installed distribution's version."""
    try:
        from importlib.metadata import version

        return version("glacier-tree-hash")
    except Exception:  # not installed as a distribution (a source tree on sys.path)
        return "0+unknown"


__version__: str = _version()
"""The version of the installed package."""

#: Glacier's leaf size and smallest part size: 1 MiB.
MIB = 1 << 20

PathType = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def tree_hash(data, *, max_threads: Optional[int] = None) -> str:
    """The tree hash of ``data`` as 64 lowercase hex digits.

    ``data`` is any object with the buffer protocol (bytes, bytearray, memoryview, mmap,
    array), read in place without a copy, with the GIL released, on all cores for large inputs.
    If another thread writes to the buffer meanwhile, the hash is of an unspecified mix of old
    and new bytes (as with hashlib).

    >>> tree_hash(b"test")
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    """
    return _native.tree_hash(data, max_threads=max_threads)


def calculate_tree_hash(fileobj, *, max_threads: Optional[int] = None) -> str:
    """The tree hash of what ``fileobj`` holds from its position to its end: botocore's
    ``botocore.utils.calculate_tree_hash``, the same result on every input botocore gets right
    and the right one where it is wrong (a ``read`` that returns less than asked).

    An object without ``readinto`` or ``read`` is taken as a buffer, as :func:`tree_hash`
    takes it. A regular file with ``fileno()`` is hashed by the library from ``tell()`` on all cores,
    through a duplicate of its descriptor (the file object keeps its own), and is left
    positioned at the end. Any other binary file object is read with ``readinto`` (or ``read``)
    into two blocks of 16 MiB in turn, one filled while the other is hashed with the GIL
    released: 32 MiB of memory whatever the size. A text-mode file, or a ``read`` that returns ``str``, is a ``TypeError``; a
    non-blocking stream that returns ``None`` is a ``BlockingIOError``.

    >>> import io
    >>> calculate_tree_hash(io.BytesIO(b"test"))
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    """
    return _native.hash_object("tree", fileobj, max_threads=max_threads)


def tree_hash_file(
    path: PathType,
    start: int = 0,
    end: Optional[int] = None,
    *,
    max_threads: Optional[int] = None,
) -> str:
    """The tree hash of bytes ``start`` to ``end`` (``None``: the end) of the file at ``path``,
    on all cores.

    Any range is hashed, but only a range that is a node of the archive's tree (it starts at a
    multiple of 1 MiB × 2^k and is 1 MiB × 2^k long, or ends at the end of the file) gives a
    hash that :func:`combine` can combine with its neighbours: see :func:`combine`. A range
    that reaches past the end of the file, and a file that shrinks while it is hashed, are an
    ``OSError``; a negative or reversed range is a ``ValueError``.
    """
    return _native.hash_path("tree", path, start, end, max_threads=max_threads)


@dataclass(frozen=True)
class Checksums:
    """The two checksum headers of an UploadArchive or UploadMultipartPart request."""

    tree_hash: str
    """``x-amz-sha256-tree-hash``: the tree hash, lowercase hex."""
    sha256: str
    """``x-amz-content-sha256``: the SHA-256 of the whole body, lowercase hex."""


def checksums(data_or_fileobj, *, max_threads: Optional[int] = None) -> Checksums:
    """Both checksums of a body in one read: a binary file object (anything with ``readinto``
    or ``read``, an ``mmap`` too) from its position to its end, as :func:`calculate_tree_hash`
    reads it; else a buffer (bytes, bytearray, memoryview, array), as :func:`tree_hash` takes.

    >>> c = checksums(b"test")
    >>> c.tree_hash == c.sha256 == tree_hash(b"test")  # up to 1 MiB they are the same
    True
    """
    tree, sha256 = _native.hash_object("checksums", data_or_fileobj, max_threads=max_threads)
    return Checksums(tree, sha256)


def part_size_for(archive_size: int) -> int:
    """The smallest part size (1 MiB × 2^k) that uploads ``archive_size`` bytes in at most
    10,000 parts. Larger parts mean fewer requests; ``max(part_size_for(n), 64 * MIB)`` is a
    usual choice. ``ValueError`` above 10,000 parts of 4 GiB.

    >>> part_size_for(10_000 * MIB), part_size_for(10_000 * MIB + 1)
    (1048576, 2097152)
    """
    return _native.part_size_for(archive_size)


@dataclass(frozen=True)
class Part:
    """One part of a multipart upload, with what its UploadMultipartPart request needs."""

    index: int
    """The part's position, from 0."""
    range: Tuple[int, int]
    """Its bytes in the archive, ``(start, end)`` with ``end`` excluded."""
    content_range: str
    """Its ``Content-Range`` header (boto3's ``range``): ``"bytes 0-8388607/*"``."""
    tree_hash: str
    """Its ``x-amz-sha256-tree-hash`` (boto3's ``checksum``)."""
    sha256: str
    """Its ``x-amz-content-sha256``."""


@dataclass(frozen=True)
class Multipart:
    """Everything a multipart upload needs, from one read of the archive."""

    part_size: int
    """``partSize`` of InitiateMultipartUpload."""
    archive_size: int
    """``archiveSize`` of CompleteMultipartUpload: the sum of the part sizes."""
    tree_hash: str
    """``checksum`` of CompleteMultipartUpload: :func:`combine` of the parts' tree hashes."""
    parts: Tuple[Part, ...]
    """The parts in order."""


def multipart(
    path_or_fileobj, part_size: int, *, max_threads: Optional[int] = None
) -> Multipart:
    """Every part's range, ``Content-Range``, tree hash and SHA-256, and the archive's size and
    tree hash, from one read of a file: a path (``str``, ``bytes``, ``os.PathLike``) or a binary
    file object from its position. ``ValueError`` if ``part_size`` is not 1 MiB × 2^k up to
    4 GiB, or the archive needs more than 10,000 parts (refused before reading a regular file).
    """
    if isinstance(path_or_fileobj, (str, bytes, os.PathLike)):
        raw = _native.hash_path(
            "multipart", path_or_fileobj, 0, None, part_size, max_threads=max_threads
        )
    else:
        raw = _native.hash_object(
            "multipart", path_or_fileobj, part_size, max_threads=max_threads
        )
    size, archive_size, tree, parts = raw
    return Multipart(
        part_size=size,
        archive_size=archive_size,
        tree_hash=tree,
        parts=tuple(
            Part(index, (start, end), content_range, part_tree, sha256)
            for index, start, end, content_range, part_tree, sha256 in parts
        ),
    )


def combine(hashes: Iterable[Union[str, bytes]]) -> str:
    """The archive's tree hash from the tree hashes of its consecutive parts, in order
    (64-digit hex strings in either case, or 32-byte digests).

    Right only when every part but the last is the same size, 1 MiB × 2^k (Glacier's part
    sizes), or more generally when each hash is of a range that is a node of the archive's tree
    (see :func:`is_tree_hash_aligned`): 3 MiB parts, for one, combine to a wrong hash. No hashes
    give the hash of no bytes. ``ValueError`` names a string that is not 64 hex digits.

    >>> a, b = tree_hash(bytes(MIB)), tree_hash(b"x")
    >>> combine([a, b]) == tree_hash(bytes(MIB) + b"x")
    True
    """
    return _native.combine(hashes)


def tree_hash_aligned_cover(
    start: int, end: int, archive_size: int
) -> Optional[Tuple[int, int]]:
    """The smallest tree-hash-aligned range ``(start, end)`` that holds bytes ``start`` to
    ``end`` of an archive of ``archive_size`` bytes, so that a range retrieval comes with a
    checksum; ``None`` if the range is empty or reaches past the end.

    >>> tree_hash_aligned_cover(MIB + 5, 2 * MIB + 5, 10 * MIB)
    (0, 4194304)
    """
    return _native.tree_hash_aligned_cover(start, end, archive_size)


def is_tree_hash_aligned(start: int, end: int, archive_size: int) -> bool:
    """Whether the tree hash of bytes ``start`` to ``end`` is a node of the archive's tree:
    what Glacier returns a checksum for, and what :func:`combine` can combine.

    >>> is_tree_hash_aligned(0, 4 * MIB, 10 * MIB), is_tree_hash_aligned(MIB, 3 * MIB, 10 * MIB)
    (True, False)
    """
    return _native.is_tree_hash_aligned(start, end, archive_size)


def set_max_threads(max_threads: Optional[int]) -> None:
    """Caps the threads every call hashes on when it gives no ``max_threads`` of its own:
    ``None`` for every core, ``1`` for the calling thread only."""
    _native.set_max_threads(max_threads)


def get_max_threads() -> Optional[int]:
    """The cap set by :func:`set_max_threads`, or ``None`` (every core)."""
    return _native.get_max_threads()
