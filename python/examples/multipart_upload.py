"""Upload a file to an S3 Glacier vault by multipart upload with boto3.

One read of the file gives every part's ``range`` and ``checksum`` and the archive's
``archiveSize`` and ``checksum`` (glacier_tree_hash.multipart); each part is then read again to
send it. Usage::

    python multipart_upload.py VAULT FILE [--part-size BYTES] [--description TEXT]
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Optional

import glacier_tree_hash
import glacier_tree_hash.boto

MIB = 1 << 20


def upload(
    client: Any,
    vault_name: str,
    path: "str | os.PathLike[str]",
    part_size: Optional[int] = None,
    description: str = "",
) -> str:
    """Uploads the file at ``path`` to ``vault_name`` and returns the archive id.

    ``part_size`` defaults to the larger of 64 MiB and the smallest part size that fits the file
    in 10,000 parts. Memory: one part at a time.
    """
    size = os.path.getsize(path)
    if part_size is None:
        part_size = max(glacier_tree_hash.part_size_for(size), 64 * MIB)
    plan = glacier_tree_hash.multipart(path, part_size)
    # The parts' x-amz-content-sha256 (and tree hash) from one pass in Rust, not two in Python.
    glacier_tree_hash.boto.register(client)
    upload_id = client.initiate_multipart_upload(
        vaultName=vault_name,
        archiveDescription=description,
        partSize=str(plan.part_size),
    )["uploadId"]
    try:
        with open(path, "rb") as f:
            for part in plan.parts:
                start, end = part.range
                f.seek(start)
                client.upload_multipart_part(
                    vaultName=vault_name,
                    uploadId=upload_id,
                    range=part.content_range,
                    checksum=part.tree_hash,
                    body=f.read(end - start),
                )
        return client.complete_multipart_upload(
            vaultName=vault_name,
            uploadId=upload_id,
            archiveSize=str(plan.archive_size),
            checksum=plan.tree_hash,
        )["archiveId"]
    except BaseException:
        client.abort_multipart_upload(vaultName=vault_name, uploadId=upload_id)
        raise


def main() -> None:
    """The command line."""
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault")
    parser.add_argument("file")
    parser.add_argument("--part-size", type=int, default=None)
    parser.add_argument("--description", default="")
    args = parser.parse_args()
    archive_id = upload(
        boto3.client("glacier"), args.vault, args.file, args.part_size, args.description
    )
    print(archive_id)


if __name__ == "__main__":
    main()
