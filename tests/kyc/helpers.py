from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

BVN = "22212345678"
NIN = "12345678901"
NOT_FOUND_BVN = "22212340000"


def png(name: str = "id.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 200, content_type="image/png")


def bucket_keys(client, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
