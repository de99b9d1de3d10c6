"""Local development and `make run`."""

from .base import *  # noqa: F403
from .env import env_int, env_str
from .installation import SECRETS_DIR, installation_secret
from .integrations.auth import jwt_signing_key

# The development tooling (bench, fuzz and fault-injection commands): never in production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "nexustop_dev"]  # noqa: F405

DEBUG = True

# A random secret per installation (.local/secrets/, mode 0600), unless DJANGO_SECRET_KEY is set: a
# development token cannot be forged by anyone who has read this repository.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or installation_secret("django-secret-key")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": jwt_signing_key(SECRET_KEY)}  # noqa: F405
# The demo logins' password (tenants/demo.py), printed by `make run`: random per installation as well.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "") or installation_secret("demo-password", nbytes=12, min_length=16)

# Reseller webhooks may target the local simulators and receivers (http://127.0.0.1:...); never in production.
OUTBOUND_URLS = {**OUTBOUND_URLS, "ALLOW_LOOPBACK": True}  # noqa: F405
# The local gateway simulators' checkout pages are plain http on 127.0.0.1.
CONTENT_SECURITY_POLICY = {**CONTENT_SECURITY_POLICY,  # noqa: F405
                           "FORM_ACTION": [*CONTENT_SECURITY_POLICY["FORM_ACTION"], "http://127.0.0.1:*"]}  # noqa: F405

# The web server's port (`make run`: PORT, or devstack's --port, which sets PORT for everything it starts): the
# demo's printed URLs and the callback URLs it registers with the simulators (DT One, the USSD gateway) use it.
DEMO_WEB_PORT = env_int("PORT", 8000)
# Links to a tenant's site built without a request (a reseller's setup link): the web server make run starts.
PUBLIC_SITE_SCHEME = env_str("PUBLIC_SITE_SCHEME", "") or "http"
PUBLIC_SITE_PORT = env_int("PUBLIC_SITE_PORT", DEMO_WEB_PORT)

# KYC and reseller documents, privacy exports: `make run` has no S3. Unless an S3-compatible server
# (AWS_S3_ENDPOINT_URL) or AWS credentials are configured, they go to private files beside the embedded data
# (.local/documents, 0700/0600; never served). Before, every upload (a reseller application, a KYC submission
# with a document) was a 500 "Unable to locate credentials".
if not (env_str("AWS_S3_ENDPOINT_URL", "") or env_str("AWS_ACCESS_KEY_ID", "") or env_str("AWS_PROFILE", "")):
    STORAGES = {**STORAGES, "kyc_documents": {  # noqa: F405
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(SECRETS_DIR.parent / "documents"), "base_url": "/_local-documents/",
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}}}
