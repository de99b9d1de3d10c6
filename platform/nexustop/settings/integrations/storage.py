"""File storage: S3 (django-storages/boto3) for KYC documents, tenant-prefixed keys."""

from __future__ import annotations
