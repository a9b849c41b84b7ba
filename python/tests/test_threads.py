"""Threads, fork, and signals."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading

import pytest

import glacier_tree_hash as gth
from conftest import MIB, ShortReads, reference_tree_hash

DATA = bytes(range(251)) * (40 * MIB // 251)
EXPECTED = reference_tree_hash(DATA)


def test_same_object_from_eight_threads():
    shared = bytearray(DATA)
    results = []
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        for _ in range(3):
            results.append(gth.tree_hash(shared))
            results.append(gth.calculate_tree_hash(ShortReads(DATA, 3 * MIB + 1)))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [EXPECTED] * 48


def test_max_threads_setting():
    try:
        for setting in (1, 2, 3, None):
            gth.set_max_threads(setting)
            assert gth.get_max_threads() == setting
            assert gth.tree_hash(DATA) == EXPECTED
            assert gth.tree_hash(DATA, max_threads=2) == EXPECTED
    finally:
        gth.set_max_threads(None)
    with pytest.raises(ValueError):
        gth.set_max_threads(0)


def _child_hash(queue):
    queue.put((gth.tree_hash(DATA), gth.tree_hash(DATA, max_threads=2)))


@pytest.mark.skipif(sys.platform != "linux", reason="the fork start method is Linux's default")
def test_after_fork_in_a_child_whose_parent_hashed():
    assert gth.tree_hash(DATA, max_threads=2) == EXPECTED  # the parent's pool exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_child_hash, args=(queue,)) for _ in range(2)]
    for child in children:
        child.start()
    results = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=120)
        assert child.exitcode == 0
    assert results == [(EXPECTED, EXPECTED)] * 2
    assert gth.tree_hash(DATA) == EXPECTED  # and the parent's still works


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_after_bare_os_fork():
    assert gth.tree_hash(DATA, max_threads=2) == EXPECTED
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's cleanup
        ok = gth.tree_hash(DATA, max_threads=2) == EXPECTED
        os.write(write_end, b"1" if ok else b"0")
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as r:
        answer = r.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert answer == b"1"


def test_keyboard_interrupt_from_a_read_leaves_the_package_usable():
    class Interrupting(ShortReads):
        reads = 0

        def readinto(self, buffer):
            self.reads += 1
            if self.reads == 20:  # while the first block is being hashed
                os.kill(os.getpid(), signal.SIGINT)
            return super().readinto(buffer)

    with pytest.raises(KeyboardInterrupt):
        gth.calculate_tree_hash(Interrupting(DATA, MIB))
    assert gth.calculate_tree_hash(ShortReads(DATA, MIB)) == EXPECTED


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_signal_during_a_long_hash(tmp_path):
    # A 2 GiB sparse file on one thread takes long enough for the timer to land inside the
    # hash; the handler's exception comes out of the call, and the next call is right.
    path = tmp_path / "big"
    with open(path, "wb") as f:
        f.truncate(2 << 30)

    class Alarm(Exception):
        pass

    def handler(signum, frame):
        raise Alarm

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Alarm):
            gth.tree_hash_file(path, max_threads=1)
            gth.tree_hash_file(path, max_threads=1)  # in case the first finished early
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    small = bytes(3 * MIB)
    assert gth.tree_hash(small) == reference_tree_hash(small)
