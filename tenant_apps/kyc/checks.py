"""Deployment check: production must have its own KYC encryption key."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def kyc_encryption_key_configured(app_configs, **kwargs):
    if settings.KYC_ENCRYPTION_KEYS:
        return []
    return [checks.Warning(
        "KYC_ENCRYPTION_KEYS is empty: identity numbers are encrypted with a key derived from SECRET_KEY.",
        hint="Set KYC_ENCRYPTION_KEYS to one or more Fernet keys (comma-separated, newest first).",
        id="kyc.W001")]
