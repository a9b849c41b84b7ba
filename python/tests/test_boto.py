"""The boto3 handlers and the examples, with botocore's Stubber (no network)."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import boto3
import botocore.utils
import pytest
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

import glacier_tree_hash as gth
import glacier_tree_hash.boto
from conftest import MIB, reference_tree_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import multipart_upload  # noqa: E402
import verify_download  # noqa: E402


@pytest.fixture
def glacier():
    return boto3.client(
        "glacier",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class _Raw:
    def stream(self, **kwargs):
        yield b""


@pytest.fixture
def sent_headers(glacier):
    """A fake Glacier endpoint: each request as sent (after every handler ran: ours, botocore's
    and the serializer), answered without the network. Yields the list of (operation, headers,
    body)."""
    sent = []

    def answer(request, **kwargs):
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        body = request.body
        if hasattr(body, "read"):
            position = body.tell()
            body = body.read()
            request.body.seek(position)
        sent.append((operation, dict(request.headers), bytes(body or b"")))
        headers = {
            "x-amz-archive-id": "archive-1",
            "x-amz-multipart-upload-id": "up-1",
            "x-amz-sha256-tree-hash": request.headers.get("x-amz-sha256-tree-hash", ""),
            "Location": "/x",
        }
        status = 204 if operation == "UploadMultipartPart" else 201
        return AWSResponse(request.url, status, headers, _Raw())

    glacier.meta.events.register("before-send.glacier", answer)
    return sent


def _text(headers, name):
    value = headers[name]
    return value.decode() if isinstance(value, bytes) else value


@pytest.fixture
def no_python_checksums(monkeypatch):
    """Fails if botocore's own Python checksum functions run."""

    def refuse(*args, **kwargs):
        raise AssertionError("botocore computed a checksum in Python")

    monkeypatch.setattr(botocore.utils, "calculate_tree_hash", refuse)
    monkeypatch.setattr(botocore.utils, "calculate_sha256", refuse)


def data_of(size: int) -> bytes:
    return bytes((i * 7) & 0xFF for i in range(256)) * (size // 256) + b"z" * (size % 256)


@pytest.mark.parametrize("make_body", [bytes, io.BytesIO], ids=["bytes", "fileobj"])
def test_upload_archive_headers_from_one_rust_pass(
    glacier, sent_headers, no_python_checksums, make_body
):
    data = data_of(3 * MIB + 5)
    gth.boto.register(glacier)
    gth.boto.register(glacier)  # twice: still one handler
    body = make_body(data)
    response = glacier.upload_archive(vaultName="v", body=body)
    assert response["archiveId"] == "archive-1"
    ((name, headers, sent_body),) = sent_headers
    assert name == "UploadArchive"
    assert _text(headers, "x-amz-sha256-tree-hash") == reference_tree_hash(data)
    assert _text(headers, "x-amz-content-sha256") == hashlib.sha256(data).hexdigest()
    assert sent_body == data  # a file body was put back where it was


def test_without_our_handler_botocore_computes_the_same(glacier, sent_headers):
    data = data_of(2 * MIB + 1)
    glacier.upload_archive(vaultName="v", body=data)  # botocore's handler alone
    gth.boto.register(glacier)
    glacier.upload_archive(vaultName="v", body=io.BytesIO(data))  # ours first
    (_, botocores, _), (_, ours, _) = sent_headers
    for name in ("x-amz-sha256-tree-hash", "x-amz-content-sha256"):
        assert _text(ours, name) == _text(botocores, name)
    assert _text(ours, "x-amz-sha256-tree-hash") == botocore.utils.calculate_tree_hash(
        io.BytesIO(data)
    )


def test_a_checksum_given_by_the_caller_is_kept(glacier, sent_headers):
    gth.boto.register(glacier)
    glacier.upload_multipart_part(
        vaultName="v", uploadId="u", range="bytes 0-2/*", checksum="f" * 64, body=b"abc"
    )
    ((_, headers, _),) = sent_headers
    assert _text(headers, "x-amz-sha256-tree-hash") == "f" * 64
    assert _text(headers, "x-amz-content-sha256") == hashlib.sha256(b"abc").hexdigest()


def test_multipart_upload_example_requests_as_sent(
    glacier, sent_headers, no_python_checksums, tmp_path
):
    data = data_of(5 * MIB + 1234)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    assert multipart_upload.upload(glacier, "vault", path, 2 * MIB) == "archive-1"
    names = [name for name, _, _ in sent_headers]
    assert names == ["InitiateMultipartUpload"] + ["UploadMultipartPart"] * 3 + [
        "CompleteMultipartUpload"
    ]
    ranges = [(0, 2 * MIB), (2 * MIB, 4 * MIB), (4 * MIB, len(data))]
    for (_, headers, body), (start, end) in zip(sent_headers[1:4], ranges):
        assert _text(headers, "Content-Range") == f"bytes {start}-{end - 1}/*"
        assert _text(headers, "x-amz-sha256-tree-hash") == reference_tree_hash(data[start:end])
        assert _text(headers, "x-amz-content-sha256") == hashlib.sha256(data[start:end]).hexdigest()
        assert body == data[start:end]
    _, complete, _ = sent_headers[-1]
    assert _text(complete, "x-amz-archive-size") == str(len(data))
    assert _text(complete, "x-amz-sha256-tree-hash") == reference_tree_hash(data)
    assert _text(sent_headers[0][1], "x-amz-part-size") == str(2 * MIB)


@pytest.mark.parametrize("part_size", [MIB, 2 * MIB])
def test_multipart_upload_example(glacier, tmp_path, part_size):
    data = data_of(5 * MIB + 1234)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    tree = reference_tree_hash(data)
    with Stubber(glacier) as stub:
        stub.add_response(
            "initiate_multipart_upload",
            {"location": "/l", "uploadId": "up-1"},
            {"vaultName": "vault", "archiveDescription": "d", "partSize": str(part_size)},
        )
        ranges = [(s, min(s + part_size, len(data))) for s in range(0, len(data), part_size)]
        for start, end in ranges:
            stub.add_response(
                "upload_multipart_part",
                {"checksum": reference_tree_hash(data[start:end])},
                {
                    "vaultName": "vault",
                    "uploadId": "up-1",
                    "range": f"bytes {start}-{end - 1}/*",
                    "checksum": reference_tree_hash(data[start:end]),
                    "body": data[start:end],
                },
            )
        stub.add_response(
            "complete_multipart_upload",
            {"location": "/a", "checksum": tree, "archiveId": "archive-1"},
            {
                "vaultName": "vault",
                "uploadId": "up-1",
                "archiveSize": str(len(data)),
                "checksum": tree,
            },
        )
        archive_id = multipart_upload.upload(glacier, "vault", path, part_size, "d")
        stub.assert_no_pending_responses()
    assert archive_id == "archive-1"


def test_multipart_upload_example_aborts_on_error(glacier, tmp_path):
    path = tmp_path / "archive.bin"
    path.write_bytes(b"abc")
    with Stubber(glacier) as stub:
        stub.add_response(
            "initiate_multipart_upload",
            {"uploadId": "up-2"},
            {"vaultName": "vault", "archiveDescription": "", "partSize": str(64 * MIB)},
        )
        stub.add_client_error("upload_multipart_part", "RequestTimeoutException")
        stub.add_response("abort_multipart_upload", {}, {"vaultName": "vault", "uploadId": "up-2"})
        with pytest.raises(Exception, match="RequestTimeoutException"):
            multipart_upload.upload(glacier, "vault", path)
        stub.assert_no_pending_responses()


def _job_output(data: bytes):
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "status": 200}


@pytest.mark.parametrize("corrupt", [False, True])
def test_verify_download_example(glacier, tmp_path, corrupt):
    data = data_of(9 * MIB + 3)
    tree = reference_tree_hash(data)
    sent = data[:-1] + b"?" if corrupt else data
    out = tmp_path / "out.bin"
    with Stubber(glacier) as stub:
        stub.add_response(
            "describe_job",
            {"JobId": "j", "SHA256TreeHash": tree.upper()},
            {"vaultName": "vault", "jobId": "j"},
        )
        stub.add_response("get_job_output", _job_output(sent), {"vaultName": "vault", "jobId": "j"})
        if corrupt:
            with pytest.raises(verify_download.ChecksumMismatch):
                verify_download.download_verified(glacier, "vault", "j", out)
            assert not out.exists()
        else:
            assert verify_download.download_verified(glacier, "vault", "j", out) == tree
            assert out.read_bytes() == data
        stub.assert_no_pending_responses()


def test_verify_download_refuses_a_job_without_tree_hash(glacier, tmp_path):
    with Stubber(glacier) as stub:
        stub.add_response("describe_job", {"JobId": "j"}, {"vaultName": "vault", "jobId": "j"})
        with pytest.raises(ValueError, match="not tree-hash aligned"):
            verify_download.download_verified(glacier, "vault", "j", tmp_path / "o")
