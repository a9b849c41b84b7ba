"""The shared vectors through every function of the package."""

from __future__ import annotations

import array
import hashlib
import io
import mmap

import pytest

import glacier_tree_hash as gth
from conftest import MIB, ReadOnly, ShortReads
from vectors import all_vectors

VECTORS = list(all_vectors())


@pytest.mark.parametrize("name,data,tree,sha256", VECTORS, ids=[v[0] for v in VECTORS])
def test_every_function(name, data, tree, sha256, write_file):
    if sha256 is None:
        sha256 = hashlib.sha256(data).hexdigest()
    assert gth.tree_hash(data) == tree
    assert gth.tree_hash(bytearray(data)) == tree
    assert gth.tree_hash(memoryview(data)) == tree
    assert gth.tree_hash(data, max_threads=1) == tree
    assert gth.calculate_tree_hash(io.BytesIO(data)) == tree
    assert gth.calculate_tree_hash(ShortReads(data, 65_537)) == tree
    assert gth.calculate_tree_hash(ReadOnly(data, 1 << 20)) == tree
    path = write_file(data)
    with open(path, "rb") as f:
        assert gth.calculate_tree_hash(f) == tree
    with open(path, "rb", buffering=0) as f:
        assert gth.calculate_tree_hash(f, max_threads=1) == tree
    assert gth.tree_hash_file(path) == tree
    assert gth.tree_hash_file(str(path), max_threads=1) == tree
    assert gth.tree_hash_file(bytes(path)) == tree
    hasher = gth.TreeHasher()
    for at in range(0, len(data), 3 * MIB + 17):
        hasher.update(data[at : at + 3 * MIB + 17])
    assert hasher.hexdigest() == tree
    assert hasher.digest() == bytes.fromhex(tree)
    assert hasher.count == len(data)
    assert gth.checksums(data) == gth.Checksums(tree, sha256)
    with open(path, "rb") as f:
        assert gth.checksums(f) == gth.Checksums(tree, sha256)
    assert gth.checksums(ShortReads(data, 4097)) == gth.Checksums(tree, sha256)
    for part_size in (MIB, 4 * MIB):
        upload = gth.multipart(path, part_size)
        assert upload.tree_hash == tree
        assert upload.archive_size == len(data)
        assert gth.combine(part.tree_hash for part in upload.parts) == tree
        with open(path, "rb") as f:
            assert gth.multipart(f, part_size) == upload
    if data:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            assert gth.tree_hash(mapped) == tree
    if len(data) % 8 == 0 and data:
        assert gth.tree_hash(array.array("Q", data)) == tree
