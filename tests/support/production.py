"""A complete, valid production environment for child processes running ``nexustop.settings.prod``."""

from __future__ import annotations

import secrets

from cryptography.fernet import Fernet

from tests.support.processes import child_env


def production_values() -> dict[str, str]:
    """Every [required] variable of .env.example with a value production accepts (fresh keys each call)."""
    return {
        "DJANGO_SETTINGS_MODULE": "nexustop.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "KYC_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PROVIDER_CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "RESELLER_SECRET_KEYS": Fernet.generate_key().decode(),
        "SMS_GATEWAY_URL": "https://api.ng.termii.com",
        "SMS_GATEWAY_API_KEY": "TL" + secrets.token_hex(16),
        "KYC_VERIFIER_URL": "https://api.smileidentity.com/v1",
        "KYC_VERIFIER_PARTNER_ID": "2431",
        "KYC_VERIFIER_API_KEY": secrets.token_hex(16),
        "KYC_DOCUMENTS_BUCKET": "nexustop-test-kyc-000000000000",
        "NEXUSTOP_PUBLIC_DOMAIN": "admin.nexustop.test",
        "CORS_ALLOWED_ORIGINS": "https://app.nexustop.ng",
    }


def production_env(**extra: str) -> dict[str, str]:
    """``child_env`` (this test database and Redis) plus production's required variables."""
    env = child_env(**production_values())
    env.pop("SENTRY_DSN", None)
    env.update(extra)
    return env
