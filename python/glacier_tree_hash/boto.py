"""boto3 handlers: both checksum headers of UploadArchive and UploadMultipartPart from one pass
in Rust.

botocore adds ``x-amz-content-sha256`` and ``x-amz-sha256-tree-hash`` to these two requests
with a ``before-call`` handler that reads the body twice in Python (``calculate_sha256``, then
``calculate_tree_hash``), unless the headers are already there. :func:`register` puts
:func:`add_checksums` first in line on a client, so the headers are there when botocore's
handler looks::

    import boto3
    import glacier_tree_hash.boto

    glacier = boto3.client("glacier")
    glacier_tree_hash.boto.register(glacier)
    glacier.upload_archive(vaultName="photos", body=open("archive.tar", "rb"))

A header the caller set (such as ``checksum=`` of UploadMultipartPart, which is
``x-amz-sha256-tree-hash``) is kept as it is.
"""

from __future__ import annotations

from typing import Any, Dict

from . import checksums

#: The operations whose bodies carry both checksums.
OPERATIONS = ("UploadArchive", "UploadMultipartPart")

_TREE_HASH = "x-amz-sha256-tree-hash"
_SHA256 = "x-amz-content-sha256"


def add_checksums(params: Dict[str, Any], **kwargs: Any) -> None:
    """A botocore ``before-call`` handler: sets the two checksum headers the request does not
    have yet, from one read of the body (bytes, or a file object, read from its position and
    put back there)."""
    headers = params["headers"]
    if _TREE_HASH in headers and _SHA256 in headers:
        return
    body = params["body"]
    if isinstance(body, (bytes, bytearray, memoryview)):
        result = checksums(body)
    else:
        start = body.tell()
        try:
            result = checksums(body)
        finally:
            body.seek(start)
    headers.setdefault(_TREE_HASH, result.tree_hash)
    headers.setdefault(_SHA256, result.sha256)


def register(client: Any) -> None:
    """Registers :func:`add_checksums` on a boto3 (or botocore) Glacier ``client``, first among
    the ``before-call`` handlers of UploadArchive and UploadMultipartPart. Registering twice
    changes nothing."""
    for operation in OPERATIONS:
        client.meta.events.register_first(
            f"before-call.glacier.{operation}",
            add_checksums,
            unique_id=f"glacier-tree-hash-checksums-{operation}",
        )
