"""Side-by-side timings of glacier_tree_hash against botocore and hashlib (whole calls, best of
several runs, wall clock), and the extra memory of the file-object path.

    python bench/bench.py [--file PATH] [--repeat N]

The file (1 GiB of random bytes, made if missing) is read once first so it is in the page
cache. Prints one line per measurement and the ratios the package's README quotes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import subprocess
import sys
import time

import botocore.handlers
import botocore.utils

import glacier_tree_hash as gth
import glacier_tree_hash.boto

MIB = 1 << 20
GIB = 1 << 30


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def best(function, repeat: int) -> float:
    """The shortest of ``repeat`` wall-clock times of ``function()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def ensure_file(path: str, size: int) -> None:
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path, "wb") as f:
            for _ in range(size // (64 * MIB)):
                f.write(os.urandom(64 * MIB))
    with open(path, "rb") as f:  # into the page cache
        while f.read(64 * MIB):
            pass


class ReadIntoOnly:
    """A stream with only ``readinto``: forces the file-object (non-descriptor) path."""

    def __init__(self, raw):
        self._raw = raw

    def readinto(self, buffer):
        return self._raw.readinto(buffer)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory_child(path: str) -> None:
    """In a fresh process (Linux): the peak resident memory added by hashing ``path`` through
    the file-object path, in MiB: the peak (``VmHWM``, reset first through
    ``/proc/self/clear_refs``) minus the resident memory before."""
    gth.tree_hash(bytes(4 * MIB))  # the pool's threads exist before the baseline
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current VmRSS
    before = _status_kib("VmRSS")
    with open(path, "rb", buffering=0) as f:
        gth.calculate_tree_hash(ReadIntoOnly(f))
    print((_status_kib("VmHWM") - before) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="/tmp/glacier-tree-hash-bench-1GiB.bin")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.file)
        return

    ensure_file(args.file, GIB)
    path, repeat = args.file, args.repeat
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}")
    print(f"glacier_tree_hash {gth.__version__}; file {path} ({os.path.getsize(path)} bytes, cached)")

    def botocore_file():
        with open(path, "rb") as f:
            return botocore.utils.calculate_tree_hash(f)

    def ours_fileobj():
        with open(path, "rb") as f:
            return gth.calculate_tree_hash(f)

    def ours_stream():
        with open(path, "rb", buffering=0) as f:
            return gth.calculate_tree_hash(ReadIntoOnly(f))

    expected = gth.tree_hash_file(path)
    assert botocore_file() == expected == ours_fileobj() == ours_stream()
    results = {
        "botocore calculate_tree_hash(open(path, 'rb'))": best(botocore_file, repeat),
        "tree_hash_file(path)": best(lambda: gth.tree_hash_file(path), repeat),
        "calculate_tree_hash(open(path, 'rb'))": best(ours_fileobj, repeat),
        "calculate_tree_hash(readinto-only stream)": best(ours_stream, repeat),
    }
    with open(path, "rb") as f:
        body = f.read(256 * MIB)
    assert gth.tree_hash(body) == botocore.utils.calculate_tree_hash(io.BytesIO(body))
    results["hashlib.sha256(256 MiB bytes)"] = best(lambda: hashlib.sha256(body).digest(), repeat)
    results["tree_hash(256 MiB bytes)"] = best(lambda: gth.tree_hash(body), repeat)

    def handler(add):
        params = {"headers": {}, "body": body}
        add(params)
        return params["headers"]

    assert handler(botocore.handlers.add_glacier_checksums) == handler(gth.boto.add_checksums)
    results["botocore add_glacier_checksums(256 MiB)"] = best(
        lambda: handler(botocore.handlers.add_glacier_checksums), repeat
    )
    results["glacier_tree_hash.boto.add_checksums(256 MiB)"] = best(
        lambda: handler(gth.boto.add_checksums), repeat
    )
    for name, seconds in results.items():
        print(f"{name:50s} {seconds * 1000:9.1f} ms")

    boto = results["botocore calculate_tree_hash(open(path, 'rb'))"]
    ratios = [
        ("tree_hash_file vs botocore", boto, "tree_hash_file(path)"),
        ("calculate_tree_hash(file) vs botocore", boto, "calculate_tree_hash(open(path, 'rb'))"),
        ("calculate_tree_hash(stream) vs botocore", boto, "calculate_tree_hash(readinto-only stream)"),
        ("tree_hash(bytes) vs hashlib.sha256", results["hashlib.sha256(256 MiB bytes)"], "tree_hash(256 MiB bytes)"),
        ("boto3 handler vs botocore's", results["botocore add_glacier_checksums(256 MiB)"], "glacier_tree_hash.boto.add_checksums(256 MiB)"),
    ]
    print()
    for label, baseline, ours in ratios:
        print(f"{label:50s} {baseline / results[ours]:9.1f}x")
    extra = subprocess.run(
        [sys.executable, __file__, "--memory-child", "--file", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"extra peak memory, 1 GiB through the file-object path: {float(extra):.1f} MiB")


if __name__ == "__main__":
    main()
