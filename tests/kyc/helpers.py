from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

BVN = "22212345678"
NIN = "12345678901"
NOT_FOUND_BVN = "22212340000"


def png(name: str = "id.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 200, content_type="image/png")


@pytest.fixture
def s3(monkeypatch, settings):
    """A moto S3 with the KYC bucket (the only mock in these tests: AWS)."""
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=settings.KYC_DOCUMENTS_BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def bucket_keys(client, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
