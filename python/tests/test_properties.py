"""Property tests against the pure-Python reference and against botocore."""

from __future__ import annotations

import hashlib
import io
import random

from botocore.utils import calculate_tree_hash as botocore_tree_hash
from hypothesis import given, settings
from hypothesis import strategies as st

import glacier_tree_hash as gth
from conftest import MIB, ReadOnly, ShortReads, reference_tree_hash

# Sizes within a few bytes of every MiB boundary up to 9 MiB, and small sizes.
sizes = st.one_of(
    st.builds(lambda k, d: max(0, k * MIB + d), st.integers(0, 9), st.integers(-3, 3)),
    st.integers(0, 4096),
)


def pattern(size: int, seed: int) -> bytes:
    """Deterministic bytes of ``size`` that differ from leaf to leaf."""
    return random.Random(seed).randbytes(64) * (size // 64) + bytes(size % 64)


@settings(max_examples=40, deadline=None)
@given(size=sizes, seed=st.integers(0, 2**32))
def test_matches_reference_and_botocore(size, seed):
    data = pattern(size, seed)
    expected = reference_tree_hash(data)
    assert gth.tree_hash(data) == expected
    assert gth.calculate_tree_hash(io.BytesIO(data)) == expected
    # botocore is right on objects whose read(1 MiB) returns 1 MiB.
    assert botocore_tree_hash(io.BytesIO(data)) == expected


@settings(max_examples=30, deadline=None)
@given(size=sizes, step=st.integers(1, 3 * MIB), seed=st.integers(0, 2**32))
def test_short_reads(size, step, seed):
    step = max(step, size // 4096)  # at most ~4096 reads of Python code per stream
    data = pattern(size, seed)
    expected = reference_tree_hash(data)
    assert gth.calculate_tree_hash(ShortReads(data, step)) == expected
    assert gth.calculate_tree_hash(ReadOnly(data, step)) == expected
    assert gth.checksums(ShortReads(data, step)) == gth.Checksums(
        expected, hashlib.sha256(data).hexdigest()
    )


def test_botocore_is_wrong_on_short_reads_and_we_are_not():
    data = pattern(2 * MIB, 7)
    expected = reference_tree_hash(data)
    assert botocore_tree_hash(ReadOnly(data, MIB // 2)) != expected
    assert gth.calculate_tree_hash(ReadOnly(data, MIB // 2)) == expected


@settings(max_examples=30, deadline=None)
@given(size=sizes, cuts=st.lists(st.integers(0, 10 * MIB), max_size=6), seed=st.integers(0, 99))
def test_update_split_anywhere(size, cuts, seed):
    data = pattern(size, seed)
    hasher = gth.TreeHasher()
    at = 0
    for cut in sorted(c for c in cuts if c <= size):
        hasher.update(data[at:cut])
        at = cut
    copy = hasher.copy()
    hasher.update(data[at:])
    assert hasher.hexdigest() == reference_tree_hash(data)
    assert copy.hexdigest() == reference_tree_hash(data[:at])


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(0, 9 * MIB + 5),
    part_exponent=st.integers(0, 3),
    seed=st.integers(0, 99),
)
def test_multipart_parts_and_combine(size, part_exponent, seed):
    data = pattern(size, seed)
    part_size = MIB << part_exponent
    upload = gth.multipart(io.BytesIO(data), part_size)
    assert upload.archive_size == size
    assert upload.part_size == part_size
    assert upload.tree_hash == reference_tree_hash(data)
    assert len(upload.parts) == -(-size // part_size)
    for part in upload.parts:
        start, end = part.range
        assert start == part.index * part_size
        assert end == min(start + part_size, size)
        assert part.content_range == f"bytes {start}-{end - 1}/*"
        assert part.tree_hash == reference_tree_hash(data[start:end])
        assert part.sha256 == hashlib.sha256(data[start:end]).hexdigest()
    assert gth.combine(p.tree_hash for p in upload.parts) == upload.tree_hash


@settings(max_examples=50, deadline=None)
@given(
    archive_size=st.integers(1, 64 * MIB),
    start=st.integers(0, 64 * MIB),
    length=st.integers(1, 16 * MIB),
)
def test_aligned_cover(archive_size, start, length):
    end = start + length
    cover = gth.tree_hash_aligned_cover(start, end, archive_size)
    if end > archive_size:
        assert cover is None
        return
    assert cover is not None
    low, high = cover
    assert low <= start and end <= high <= archive_size
    assert gth.is_tree_hash_aligned(low, high, archive_size)
