"""Download the output of an archive-retrieval job and verify it against the job's
``SHA256TreeHash``, hashing while writing (one pass over the bytes). Usage::

    python verify_download.py VAULT JOB_ID OUTPUT_FILE

Glacier gives a job's ``SHA256TreeHash`` for a whole archive and for a tree-hash-aligned range
(see glacier_tree_hash.tree_hash_aligned_cover); for any other range there is nothing to check
against, and this refuses.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import glacier_tree_hash

CHUNK = 8 << 20


class ChecksumMismatch(Exception):
    """The downloaded bytes do not have the tree hash Glacier gave."""


def download_verified(
    client: Any, vault_name: str, job_id: str, path: "str | os.PathLike[str]"
) -> str:
    """Writes the job's output to ``path`` and returns its tree hash, or raises
    :class:`ChecksumMismatch` (after removing the file) if it differs from the job's."""
    job = client.describe_job(vaultName=vault_name, jobId=job_id)
    expected = job.get("SHA256TreeHash")
    if not expected:
        raise ValueError(
            f"job {job_id} has no SHA256TreeHash: its range is not tree-hash aligned"
        )
    output = client.get_job_output(vaultName=vault_name, jobId=job_id)
    hasher = glacier_tree_hash.TreeHasher()
    with open(path, "wb") as f:
        for chunk in output["body"].iter_chunks(CHUNK):
            hasher.update(chunk)
            f.write(chunk)
    actual = hasher.hexdigest()
    if actual != expected.lower():
        os.remove(path)
        raise ChecksumMismatch(f"job {job_id}: expected {expected}, downloaded {actual}")
    return actual


def main() -> None:
    """The command line."""
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault")
    parser.add_argument("job_id")
    parser.add_argument("output")
    args = parser.parse_args()
    print(download_verified(boto3.client("glacier"), args.vault, args.job_id, args.output))


if __name__ == "__main__":
    main()
