"""Data-subject rights (tenant_apps.privacy) and the provider archive (tenant_apps.provider_archive)."""

from __future__ import annotations

from ..env import env_int, env_str
from .celery import CELERY_BEAT_SCHEDULE

# An export's download link works this long; then the zip is deleted (the request row stays).
PRIVACY_EXPORT_TTL_HOURS = env_int("PRIVACY_EXPORT_TTL_HOURS", 72)
# Where export zips go: the tenant's private bucket (SSE, no public ACL), keys tenants/<schema>/privacy/...
PRIVACY_EXPORT_STORAGE = env_str("PRIVACY_EXPORT_STORAGE", "kyc_documents")
# Daily: closed accounts past the country's retention are erased, expired exports deleted; archive rows
# past the country's provider-archive retention deleted.
CELERY_BEAT_SCHEDULE["privacy-retention"] = {"task": "privacy.retention_sweep", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["provider-archive-retention"] = {"task": "provider_archive.purge", "schedule": 24 * 3600.0}
