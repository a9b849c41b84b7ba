"""The Dask example: a LocalCluster of two worker processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import glacier_tree_hash as gth
from conftest import MIB, reference_tree_hash

distributed = pytest.importorskip("dask.distributed")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import dask_tree_hash  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_one_file_in_pieces_on_two_workers(client, tmp_path):
    data = bytes(range(256)) * ((21 * MIB + 12345) // 256)
    path = tmp_path / "large.bin"
    path.write_bytes(data)
    single = gth.tree_hash_file(path)
    assert single == reference_tree_hash(data)
    for piece_size in (MIB, 4 * MIB, 32 * MIB):
        assert dask_tree_hash.distributed_tree_hash(client, str(path), piece_size) == single
    workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2


def test_many_files_verified(client, tmp_path):
    expected = {}
    for index in range(6):
        path = tmp_path / f"f{index}"
        path.write_bytes(bytes([index]) * (index * MIB + index))
        expected[str(path)] = reference_tree_hash(path.read_bytes())
    wrong = str(tmp_path / "f3")
    expected[wrong] = gth.tree_hash(b"not this")
    result = dask_tree_hash.verify_many(client, expected)
    assert result == {path: path != wrong for path in expected}


def test_piece_sizes_must_be_tree_nodes():
    with pytest.raises(ValueError):
        dask_tree_hash.piece_ranges(10 * MIB, 3 * MIB)
    assert dask_tree_hash.piece_ranges(5 * MIB + 1, 2 * MIB) == [
        (0, 2 * MIB),
        (2 * MIB, 4 * MIB),
        (4 * MIB, 5 * MIB + 1),
    ]
