"""Where tenant documents go: the ``kyc_documents`` storage (S3), keys under ``tenants/<schema>/``.

The prefix is what the task role may touch and what the bucket policy allows
(infra/terraform/modules/compute and storage: ``<bucket>/tenants/*``), so a
tenant's files can be exported, erased or audited as one prefix.
``tests/infra/test_config_parity.py`` checks the keys below against those IAM
resources.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.core.files.storage import storages
from django.db import connection

TENANT_FILES_PREFIX = "tenants"


def kyc_document_storage() -> Any:
    return storages["kyc_documents"]


def tenant_file_prefix() -> str:
    """``tenants/<schema>``: every object key of the current tenant starts with it."""
    schema = getattr(connection, "schema_name", "public") or "public"
    return f"{TENANT_FILES_PREFIX}/{schema}"


def kyc_document_key(instance: Any, filename: str) -> str:
    """``tenants/<schema>/kyc/<user public id>/<random>.<ext>``."""
    extension = os.path.splitext(filename)[1].lower()[:8]
    return f"{tenant_file_prefix()}/kyc/{instance.submission.user.public_id}/{uuid.uuid4().hex}{extension}"
