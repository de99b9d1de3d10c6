"""Where KYC documents go: the ``kyc_documents`` storage (S3), keys prefixed by tenant schema."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.core.files.storage import storages
from django.db import connection


def kyc_document_storage() -> Any:
    return storages["kyc_documents"]


def kyc_document_key(instance: Any, filename: str) -> str:
    """``<schema>/kyc/<user public id>/<random>.<ext>``: one prefix per tenant (IAM and lifecycle rules)."""
    extension = os.path.splitext(filename)[1].lower()[:8]
    schema = getattr(connection, "schema_name", "public") or "public"
    return f"{schema}/kyc/{instance.submission.user.public_id}/{uuid.uuid4().hex}{extension}"
