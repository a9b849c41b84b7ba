"""Files, positions, ranges, and bad input."""

from __future__ import annotations

import errno
import io
import os
import threading

import pytest

import glacier_tree_hash as gth
from conftest import MIB, reference_tree_hash


def data_of(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


def test_from_current_position_to_end_and_left_at_end(write_file):
    data = data_of(5 * MIB + 123)
    path = write_file(data)
    for buffering in (0, -1):
        with open(path, "rb", buffering=buffering) as f:
            f.read(1000)  # a buffered reader has read ahead: tell() is what counts
            assert gth.calculate_tree_hash(f) == reference_tree_hash(data[1000:])
            assert f.tell() == len(data)
            assert f.read() == b""


def test_file_opened_for_update_with_pending_writes(tmp_path):
    path = tmp_path / "rw.bin"
    with open(path, "w+b") as f:
        f.write(b"x" * (MIB + 5))  # still in Python's buffer
        f.seek(0)
        assert gth.calculate_tree_hash(f) == reference_tree_hash(b"x" * (MIB + 5))


def test_ranges(write_file):
    data = data_of(9 * MIB + 77)
    path = write_file(data)
    for start, end in [(0, None), (MIB, 3 * MIB), (4 * MIB, 8 * MIB), (8 * MIB, None), (5, 6), (7, 7)]:
        expected = reference_tree_hash(data[start:end])
        assert gth.tree_hash_file(path, start, end) == expected
        assert gth.tree_hash_file(path, start, end, max_threads=1) == expected
    # Aligned ranges combine into the whole.
    pieces = [gth.tree_hash_file(path, s, min(s + 4 * MIB, len(data))) for s in range(0, len(data), 4 * MIB)]
    assert gth.combine(pieces) == reference_tree_hash(data)


def test_bad_ranges(write_file):
    path = write_file(data_of(2 * MIB))
    with pytest.raises(ValueError, match="negative"):
        gth.tree_hash_file(path, -1)
    with pytest.raises(ValueError, match="ends before it starts"):
        gth.tree_hash_file(path, 10, 5)
    with pytest.raises(OSError) as info:
        gth.tree_hash_file(path, MIB, 3 * MIB)
    assert info.value.errno == errno.EIO
    assert info.value.filename == path
    with pytest.raises(OSError):
        gth.tree_hash_file(path, 3 * MIB)
    with pytest.raises(ValueError):
        gth.tree_hash_aligned_cover(5, 1, 10)


def test_missing_path_and_directory(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as info:
        gth.tree_hash_file(missing)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == missing
    with pytest.raises(OSError) as info:
        gth.multipart(os.fsencode(missing), MIB)
    assert info.value.errno == errno.ENOENT
    with pytest.raises(IsADirectoryError):
        gth.tree_hash_file(tmp_path)


def test_closed_file(write_file):
    path = write_file(b"abc")
    f = open(path, "rb")
    f.close()
    with pytest.raises(ValueError, match="closed"):
        gth.calculate_tree_hash(f)
    b = io.BytesIO(b"abc")
    b.close()
    with pytest.raises(ValueError):
        gth.calculate_tree_hash(b)


def test_text_mode_and_str(write_file):
    path = write_file(b"abc")
    with open(path, "r") as f:
        with pytest.raises(TypeError, match="binary mode"):
            gth.calculate_tree_hash(f)
    with pytest.raises(TypeError, match="binary mode"):
        gth.calculate_tree_hash(io.StringIO("abc"))

    class ReadsStr:
        def read(self, size=-1):
            return "abc"

    with pytest.raises(TypeError, match="str"):
        gth.calculate_tree_hash(ReadsStr())
    with pytest.raises(TypeError):
        gth.tree_hash("abc")
    with pytest.raises(TypeError):
        gth.tree_hash(12)
    with pytest.raises(TypeError):
        gth.TreeHasher().update("abc")
    with pytest.raises(TypeError):
        gth.calculate_tree_hash(object())


def test_read_returns_none():
    class NonBlocking:
        def read(self, size=-1):
            return None

    class NonBlockingInto:
        def readinto(self, buffer):
            return None

    for stream in (NonBlocking(), NonBlockingInto()):
        with pytest.raises(BlockingIOError):
            gth.calculate_tree_hash(stream)


def test_readinto_lies():
    class TooMuch:
        def readinto(self, buffer):
            return len(buffer) + 1

    with pytest.raises(ValueError, match="more than"):
        gth.calculate_tree_hash(TooMuch())


def test_pipe_goes_through_python_reads():
    read_end, write_end = os.pipe()
    data = data_of(3 * MIB + 9)

    def writer():
        with os.fdopen(write_end, "wb") as w:
            for at in range(0, len(data), 100_000):
                w.write(data[at : at + 100_000])
                w.flush()

    thread = threading.Thread(target=writer)
    thread.start()
    with os.fdopen(read_end, "rb", buffering=0) as r:
        assert gth.calculate_tree_hash(r) == reference_tree_hash(data)
    thread.join()


def test_shrinking_file_is_an_error_never_a_wrong_hash(write_file):
    # The truncation races with the hash: an error if it lands meanwhile, else the hash of the
    # file as it was before (full) or after (truncated before the hash began).
    size = 256 * MIB
    path = write_file(b"")
    with open(path, "r+b") as f:
        f.truncate(size)  # sparse: zeros without the disk
    full = reference_tree_hash(bytes(size))
    truncated = reference_tree_hash(bytes(size // 3))
    outcomes = set()
    for delay in (0.0, 0.001, 0.01, 0.05):
        with open(path, "r+b") as f:
            f.truncate(size)
        timer = threading.Timer(delay, lambda: os.truncate(path, size // 3))
        timer.start()
        try:
            result = gth.tree_hash_file(path, max_threads=1)
        except OSError as error:
            assert error.errno == errno.EIO
            assert error.filename == path
            outcomes.add("error")
        else:
            assert result in (full, truncated)
            outcomes.add(result)
        timer.join()
    assert outcomes  # every run asserted one of the two outcomes above


def test_bad_values():
    with pytest.raises(ValueError, match="power of two|1 MiB|MiB"):
        gth.multipart(io.BytesIO(b"x"), 3 * MIB)
    with pytest.raises(ValueError):
        gth.multipart(io.BytesIO(b"x"), 0)
    with pytest.raises(ValueError, match="tree hash 1"):
        gth.combine([gth.tree_hash(b"a"), "xyz"])
    with pytest.raises(ValueError):
        gth.part_size_for(10_000 * (4 << 30) + 1)
    with pytest.raises(ValueError, match="max_threads"):
        gth.tree_hash(b"x", max_threads=0)
    assert gth.combine([]) == reference_tree_hash(b"")
    assert gth.combine([gth.tree_hash(b"a").upper()]) == gth.tree_hash(b"a")
    assert gth.combine([bytes.fromhex(gth.tree_hash(b"a"))]) == gth.tree_hash(b"a")


def test_too_many_parts_refused_before_reading(write_file, tmp_path):
    path = tmp_path / "sparse"
    with open(path, "wb") as f:
        f.truncate(10_001 * MIB)
    with pytest.raises(ValueError, match="10,000"):
        gth.multipart(path, MIB)


def test_hashlib_interface():
    h = gth.TreeHasher(b"te")
    assert (h.name, h.digest_size, h.block_size) == ("sha256_tree", 32, MIB)
    c = h.copy()
    h.update(b"st")
    assert h.hexdigest() == gth.tree_hash(b"test")
    assert h.hexdigest() == h.hexdigest()  # finalising changes nothing
    assert c.hexdigest() == gth.tree_hash(b"te")
    h.reset()
    assert h.hexdigest() == gth.tree_hash(b"")
    assert gth.__version__ and gth.__version__ != "0+unknown"


def test_mmap_is_read_from_its_position_like_botocore(write_file):
    import mmap

    from botocore.utils import calculate_tree_hash as botocore_tree_hash

    data = data_of(3 * MIB + 3)
    path = write_file(data)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        mapped.seek(MIB + 1)
        expected = botocore_tree_hash(mapped)
        mapped.seek(MIB + 1)
        assert gth.calculate_tree_hash(mapped) == expected == reference_tree_hash(data[MIB + 1 :])
        assert gth.tree_hash(mapped) == reference_tree_hash(data)  # a buffer: all of it


def test_streams_of_many_blocks_on_one_thread_and_on_the_pool():
    from conftest import ShortReads

    data = data_of(37 * MIB + 11)  # more than two 16 MiB blocks, the last one partial
    expected = reference_tree_hash(data)
    for max_threads in (1, 2):
        for step in (MIB - 1, 16 * MIB, 40 * MIB):
            assert gth.calculate_tree_hash(ShortReads(data, step), max_threads=max_threads) == expected
    assert gth.calculate_tree_hash(ShortReads(data[: 32 * MIB], 3 * MIB)) == reference_tree_hash(data[: 32 * MIB])


def test_a_wrapper_with_a_fileno_is_read_not_its_descriptor(tmp_path):
    import gzip

    data = data_of(3 * MIB + 17)
    path = tmp_path / "a.gz"
    with gzip.open(path, "wb") as f:
        f.write(data)
    with gzip.open(path, "rb") as f:
        assert f.fileno() >= 0  # the compressed file's descriptor
        assert gth.calculate_tree_hash(f) == reference_tree_hash(data)


def test_a_strided_buffer_is_refused_not_copied():
    strided = memoryview(bytes(range(100)))[::2]
    with pytest.raises(BufferError):
        gth.tree_hash(strided)
    assert gth.tree_hash(strided.tobytes()) == reference_tree_hash(bytes(range(0, 100, 2)))
    with pytest.raises(ValueError, match="max_threads"):
        gth.TreeHasher(max_threads=-1)
