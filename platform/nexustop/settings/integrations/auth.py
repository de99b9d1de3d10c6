"""Authentication: JWT (simplejwt), dj-rest-auth, throttling, lockout, password rules.

Password rules themselves are ``AUTH_PASSWORD_VALIDATORS`` in ``base.py``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from ..env import env_int, env_str, simulator_url

# --- JWT (djangorestframework-simplejwt) -------------------------------------
# Access tokens are short-lived; refresh tokens rotate and the used one is
# blacklisted (token_blacklist is a tenant app: each schema keeps its own list).
SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,  # the login service stamps last_login itself
    "ALGORITHM": "HS256",
    # Its own key (JWT_SIGNING_KEY), else one derived from SECRET_KEY; each environment's settings call
    # jwt_signing_key() again once SECRET_KEY is final (dev/test: the installation's random secret).
    "SIGNING_KEY": "",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Public ids, never sequential row ids: ids of two schemas would collide.
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_OBTAIN_SERIALIZER": "tenant_apps.accounts.tokens.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "tenant_apps.accounts.tokens.TenantTokenRefreshSerializer",
}


def jwt_signing_key(secret_key: str) -> str:
    """``JWT_SIGNING_KEY``, else a key derived from ``secret_key`` (never from a public default: an empty
    secret gives an empty key, which AccountsConfig.ready refuses)."""
    explicit = env_str("JWT_SIGNING_KEY", "")
    if explicit:
        return explicit
    return hashlib.sha256(("jwt:" + secret_key).encode()).hexdigest() if secret_key else ""


SIMPLE_JWT["SIGNING_KEY"] = jwt_signing_key(env_str("DJANGO_SECRET_KEY", ""))
# The claim binding a token to the schema it was issued in.
JWT_TENANT_CLAIM = "tenant"
# A refresh token presented again after its rotation is reuse: its whole family (the sign-in's chain of refresh
# tokens, and their access tokens) is revoked, 401 refresh_token_reused (RFC 9700 §4.14.2). Within this many
# seconds of the rotation it is only refused (401 token_not_valid): a client's own retry or a second request of
# the same app does not sign its session out (tenant_apps.accounts.services.session_refresh).
JWT_REFRESH_REUSE_GRACE_SECONDS = env_int("JWT_REFRESH_REUSE_GRACE_SECONDS", 10)

# --- dj-rest-auth -------------------------------------------------------------
REST_AUTH: dict[str, Any] = {
    "USE_JWT": True,
    "SESSION_LOGIN": False,
    "TOKEN_MODEL": None,
    "JWT_AUTH_HTTPONLY": False,  # API clients (mobile app) get the refresh token in the body
    "JWT_AUTH_COOKIE": None,
    "JWT_AUTH_REFRESH_COOKIE": None,
    "JWT_AUTH_RETURN_EXPIRATION": True,
    "LOGIN_SERIALIZER": "tenant_apps.accounts.serializers.LoginSerializer",
    "JWT_SERIALIZER_WITH_EXPIRATION": "tenant_apps.accounts.serializers.TokenPairSerializer",
    "JWT_TOKEN_CLAIMS_SERIALIZER": "tenant_apps.accounts.tokens.TenantTokenObtainPairSerializer",
    "USER_DETAILS_SERIALIZER": "tenant_apps.accounts.serializers.UserSerializer",
}

# --- abuse protection ---------------------------------------------------------
# Rates per client IP (DRF throttles; the cache keys carry the tenant schema).
AUTH_THROTTLE_RATES = {
    "auth_login": env_str("THROTTLE_AUTH_LOGIN", "30/min"),
    "auth_register": env_str("THROTTLE_AUTH_REGISTER", "20/min"),
    "auth_otp": env_str("THROTTLE_AUTH_OTP", "20/min"),
    "auth_refresh": env_str("THROTTLE_AUTH_REFRESH", "60/min"),
}
# Failed logins, counted in Redis (tenant_apps/accounts/lockout.py): an account is locked after
# MAX_FAILURES_PER_ACCOUNT; an IP past MAX_FAILURES_PER_IP is only slowed (exponential wait from
# IP_BACKOFF_BASE_SECONDS up to IP_BACKOFF_MAX_SECONDS per attempt), so people behind one NAT are not all
# locked out by one of them (or by an attacker sharing the address).
LOGIN_LOCKOUT: dict[str, Any] = {
    "MAX_FAILURES_PER_ACCOUNT": env_int("LOCKOUT_MAX_PER_ACCOUNT", 5),
    "MAX_FAILURES_PER_IP": env_int("LOCKOUT_MAX_PER_IP", 20),
    "WINDOW_SECONDS": env_int("LOCKOUT_WINDOW_SECONDS", 15 * 60),
    "LOCKOUT_SECONDS": env_int("LOCKOUT_SECONDS", 15 * 60),
    "IP_BACKOFF_BASE_SECONDS": 2.0,
    "IP_BACKOFF_MAX_SECONDS": 60.0,
}

# --- phone one-time passwords --------------------------------------------------
PHONE_OTP: dict[str, Any] = {
    "DIGITS": 6,
    "TTL_SECONDS": 5 * 60,
    "MAX_ATTEMPTS": 5,
    "RESEND_COOLDOWN_SECONDS": env_int("OTP_RESEND_COOLDOWN_SECONDS", 30),
    # Login codes texted to one number, PIN-reset and step-up codes to one user, in 24 hours (past it nothing is
    # sent; the login answer is the same 202, a step-up 429 step_up_code_limit). Wrong codes of each are counted
    # across codes like passwords (LOGIN_LOCKOUT, accounts.lockout).
    "MAX_CODES_PER_DAY": 10,
    # How long a registration holds a phone number it has not verified. Past it the number no longer reaches that
    # account (no code, no login by code) and a new registration takes it: nobody can squat someone else's number
    # (and wait for its owner to log in by code into an account whose password they set).
    "UNVERIFIED_HOLD_SECONDS": env_int("PHONE_UNVERIFIED_HOLD_SECONDS", 30 * 60),
}

# --- SMS delivery: provider_plugins.sms_gateway (Termii-shaped) or .africastalking -------------------------
# (a registry row with capability "sms" for a tenant's country wins: tenant_apps.notifications.services)
SMS_GATEWAY: dict[str, Any] = {
    "PLUGIN": env_str("SMS_GATEWAY_PLUGIN", "sms_gateway"),
    "USERNAME": env_str("SMS_GATEWAY_USERNAME", ""),  # Africa's Talking account name
    "BASE_URL": env_str("SMS_GATEWAY_URL") or simulator_url("sms_gateway", 8025),
    "API_KEY": env_str("SMS_GATEWAY_API_KEY", "sim-sms-key"),
    "SENDER_ID": env_str("SMS_SENDER_ID", "NexusTop"),
    "TIMEOUT_SECONDS": 10.0,
}

# --- KYC -----------------------------------------------------------------------
# Fernet keys (urlsafe base64, 32 bytes); the first encrypts, all decrypt (rotation).
# Empty: a key is derived from SECRET_KEY (development and tests only; `check --deploy` warns).
KYC_ENCRYPTION_KEYS = [key for key in env_str("KYC_ENCRYPTION_KEYS", "").split(",") if key]
# Automatic number check (provider_plugins.kyc_verifier, a Smile ID-shaped API).
KYC_VERIFIER: dict[str, Any] = {
    "ENABLED": env_str("KYC_VERIFIER_ENABLED", "1") == "1",
    "BASE_URL": env_str("KYC_VERIFIER_URL") or simulator_url("kyc_verifier", 8026),
    "PARTNER_ID": env_str("KYC_VERIFIER_PARTNER_ID", "1001"),
    "API_KEY": env_str("KYC_VERIFIER_API_KEY", "sim-kyc-key"),
    "TIMEOUT_SECONDS": 10.0,
}
KYC_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

# --- make run: the simulators a person needs to complete sign-up ---------------

# Unclear automatic KYC checks are asked again every 10 minutes, in every tenant.
from .celery import CELERY_BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE["kyc-recheck-pending"] = {"task": "kyc.recheck_pending_everywhere", "schedule": 600.0}
