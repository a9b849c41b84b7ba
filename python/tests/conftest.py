"""Shared helpers: a pure-Python reference tree hash, the shared test vectors, files."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pytest

MIB = 1 << 20


def reference_tree_hash(data: bytes) -> str:
    """The tree hash by its definition: SHA-256 of each 1 MiB leaf, pairs hashed level by
    level, an odd last hash promoted; SHA-256 of nothing for no bytes."""
    level = [hashlib.sha256(data[i : i + MIB]).digest() for i in range(0, len(data), MIB)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = [
            hashlib.sha256(level[i] + level[i + 1]).digest() if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    return level[0].hex()


def splitmix64(size: int) -> bytes:
    """The first ``size`` bytes of the SplitMix64 stream with seed 0 (little-endian words)."""
    mask = (1 << 64) - 1
    state = 0
    words = []
    for _ in range((size + 7) // 8):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        words.append(z ^ (z >> 31))
    return struct.pack(f"<{len(words)}Q", *words)[:size]


class ShortReads(io.RawIOBase):
    """A binary stream that returns at most ``step`` bytes per read, like a pipe or a socket."""

    def __init__(self, data: bytes, step: int):
        self._data = memoryview(data)
        self._at = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self._step, len(self._data) - self._at)
        buffer[:count] = self._data[self._at : self._at + count]
        self._at += count
        return count


class ReadOnly:
    """An object with only ``read(n)`` returning at most ``step`` bytes (botocore's contract)."""

    def __init__(self, data: bytes, step: int):
        self._data = data
        self._at = 0
        self._step = step

    def read(self, size: int = -1) -> bytes:
        count = min(size if size >= 0 else len(self._data), self._step)
        chunk = self._data[self._at : self._at + count]
        self._at += len(chunk)
        return chunk


@pytest.fixture
def write_file(tmp_path: Path):
    """Writes bytes to a new file under the test's directory and returns its path."""
    counter = iter(range(1_000_000))

    def write(data: bytes) -> Path:
        path = tmp_path / f"file-{next(counter)}.bin"
        path.write_bytes(data)
        return path

    return write
