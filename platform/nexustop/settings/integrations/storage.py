"""File storage: S3 (django-storages/boto3) for KYC documents, tenant-prefixed keys."""

from __future__ import annotations

from ..env import env_str

KYC_DOCUMENTS_BUCKET = env_str("KYC_DOCUMENTS_BUCKET", "nexustop-kyc-documents")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # KYC documents: private bucket, server-side encryption, never overwritten.
    # Keys are "<schema>/kyc/<user>/<uuid>.<ext>" (tenant_apps.kyc.storage).
    "kyc_documents": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": KYC_DOCUMENTS_BUCKET,
            "region_name": env_str("AWS_REGION", "eu-west-1"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    },
}
