"""Production settings: `check --deploy` clean, HTTPS-only, strict CORS, Sentry only with a DSN."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.processes import ROOT
from tests.support.production import production_env

pytestmark = pytest.mark.django_db

PROBE = r"""
import json, django
django.setup()
from django.conf import settings
import sentry_sdk
print(json.dumps({
    "debug": settings.DEBUG,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "hsts_subdomains": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "cors_all": settings.CORS_ALLOW_ALL_ORIGINS,
    "cors_origins": settings.CORS_ALLOWED_ORIGINS,
    "middleware": settings.MIDDLEWARE,
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
    "db_password": settings.DATABASES["default"]["PASSWORD"],
    "sentry_active": sentry_sdk.get_client().is_active(),
    "outbound_loopback": settings.OUTBOUND_URLS["ALLOW_LOOPBACK"],
    "swagger_dist": settings.SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"],
    "jwt_key_length": len(settings.SIMPLE_JWT["SIGNING_KEY"]),
}))
"""


def prod_env(**extra: str) -> dict[str, str]:
    return production_env(**extra)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# ``manage.py check --deploy`` and the values probe share one child process (one Python and Django start instead of
# two): manage.py runs as ``__main__`` first, exactly as the shell runs it, then PROBE. The database password is
# set for the probe; the deploy checks connect to no database.
CHECK_THEN_PROBE = r"""
import contextlib, io, json, runpy, sys
out, err = io.StringIO(), io.StringIO()
code = 0
sys.argv = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
        runpy.run_path("manage.py", run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
print("CHECK " + json.dumps({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}))
""" + PROBE


@pytest.fixture(scope="module")
def checked_and_probed(django_db_setup) -> tuple[dict, dict]:
    """(what ``manage.py check --deploy`` did, the PROBE values) under production settings without a Sentry DSN."""
    result = run([sys.executable, "-c", CHECK_THEN_PROBE], prod_env(DATABASE_PASSWORD="from-secrets-manager"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    [check] = [json.loads(line.removeprefix("CHECK ")) for line in lines if line.startswith("CHECK {")]
    return check, json.loads(lines[-1])


def test_check_deploy_is_clean_under_production_settings(checked_and_probed):
    check, _values = checked_and_probed
    assert check["code"] == 0, check["stdout"] + check["stderr"]
    assert "System check identified no issues" in check["stdout"]


def test_production_refuses_to_start_without_a_real_secret_key():
    env = prod_env()
    env["DJANGO_SECRET_KEY"] = "short"
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_values_and_sentry_off_without_dsn(checked_and_probed):
    _check, values = checked_and_probed
    assert values["debug"] is False and values["ssl_redirect"] is True
    assert values["hsts"] >= 31536000 and values["hsts_subdomains"] is True
    assert values["session_secure"] is True and values["csrf_secure"] is True
    assert values["cors_all"] is False and values["cors_origins"] == ["https://app.nexustop.ng"]
    middleware = values["middleware"]
    assert middleware.index("shared_apps.core.hosts.KnownTenantHostMiddleware") < middleware.index(
        "tenants.middleware.TenantRoutingMiddleware")
    # Static files are answered once, before tenant routing (no database hit for a stylesheet).
    assert middleware.count("whitenoise.middleware.WhiteNoiseMiddleware") == 1
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") < middleware.index(
        "tenants.middleware.TenantRoutingMiddleware")
    assert values["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["db_password"] == "from-secrets-manager"
    assert values["sentry_active"] is False
    assert values["outbound_loopback"] is False  # webhooks: public https only (tests/security/test_ssrf.py)
    assert "shared_apps.core.csp.ContentSecurityPolicyMiddleware" in middleware  # tests/security/test_csp.py
    assert values["swagger_dist"] == "SIDECAR"  # /api/docs/ from the platform's own static files, no CDN
    assert values["jwt_key_length"] >= 32


def test_sentry_is_initialised_when_a_dsn_is_set():
    result = run([sys.executable, "-c", PROBE], prod_env(SENTRY_DSN="https://publickey@127.0.0.1:9/1"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["sentry_active"] is True


def test_cors_allows_only_the_configured_origins(host_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.nexustop.ng"]
    client = host_client("ng.localhost")
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
                 "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization,idempotency-key"}
    allowed = client.options("/api/purchase", HTTP_ORIGIN="https://app.nexustop.ng", **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.nexustop.ng"
    assert "idempotency-key" in allowed["Access-Control-Allow-Headers"]
    refused = client.options("/api/purchase", HTTP_ORIGIN="https://evil.example", **preflight)
    assert "Access-Control-Allow-Origin" not in refused
