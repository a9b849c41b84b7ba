"""The boto3 handlers and the examples, with botocore's Stubber (no network)."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import boto3
import botocore.utils
import pytest
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


@pytest.fixture
def sent_headers(glacier):
    """The headers of each request, as they are after every checksum handler ran."""
    sent = []

    def record(params, model, **kwargs):
        sent.append((model.name, dict(params["headers"])))

    # Registered after botocore's own handlers and before the Stubber's answer.
    glacier.meta.events.register("before-call.glacier.*", record)
    return sent


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
    with Stubber(glacier) as stub:
        stub.add_response(
            "upload_archive",
            {"location": "/x", "checksum": reference_tree_hash(data), "archiveId": "a1"},
            {"vaultName": "v", "body": ANY},
        )
        glacier.upload_archive(vaultName="v", body=body)
        stub.assert_no_pending_responses()
    (name, headers), = sent_headers
    assert name == "UploadArchive"
    assert headers["x-amz-sha256-tree-hash"] == reference_tree_hash(data)
    assert headers["x-amz-content-sha256"] == hashlib.sha256(data).hexdigest()
    if isinstance(body, io.BytesIO):
        assert body.tell() == 0  # put back for the upload


def test_same_headers_as_botocores_handler(glacier, sent_headers):
    data = data_of(2 * MIB + 1)
    expected = {
        "x-amz-sha256-tree-hash": botocore.utils.calculate_tree_hash(io.BytesIO(data)),
        "x-amz-content-sha256": botocore.utils.calculate_sha256(io.BytesIO(data), as_hex=True),
    }
    with Stubber(glacier) as stub:
        stub.add_response("upload_archive", {"archiveId": "a"}, {"vaultName": "v", "body": ANY})
        glacier.upload_archive(vaultName="v", body=data)  # botocore's handler alone
    gth.boto.register(glacier)
    with Stubber(glacier) as stub:
        stub.add_response("upload_archive", {"archiveId": "a"}, {"vaultName": "v", "body": ANY})
        glacier.upload_archive(vaultName="v", body=data)  # ours first
    for _, headers in sent_headers:
        assert {k: headers[k] for k in expected} == expected


def test_a_checksum_given_by_the_caller_is_kept(glacier, sent_headers):
    gth.boto.register(glacier)
    with Stubber(glacier) as stub:
        stub.add_response("upload_multipart_part", {"checksum": "c"})
        glacier.upload_multipart_part(
            vaultName="v", uploadId="u", range="bytes 0-2/*", checksum="f" * 64, body=b"abc"
        )
    (_, headers), = sent_headers
    assert headers["x-amz-sha256-tree-hash"] == "f" * 64
    assert headers["x-amz-content-sha256"] == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.parametrize("part_size", [MIB, 2 * MIB])
def test_multipart_upload_example(glacier, sent_headers, no_python_checksums, tmp_path, part_size):
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
    part_headers = [h for name, h in sent_headers if name == "UploadMultipartPart"]
    assert [h["x-amz-content-sha256"] for h in part_headers] == [
        hashlib.sha256(data[s:e]).hexdigest() for s, e in ranges
    ]


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
