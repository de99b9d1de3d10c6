"""Issue 14, item 7: development tokens could be forged.

The attack as reported: under ``make run`` the JWT key was ``sha256("jwt:" + "dev-only-insecure-key-change-me")``,
a value anyone can read in the repository, so knowing a user's id was enough to mint a head-office
super-admin token. Now dev and test settings take ``SECRET_KEY`` from a random per-installation file
(``.local/secrets/``, 0600) and everything derived from it (JWT, KYC, reseller-secret and
provider-credential keys, OTP hashes) follows; production refuses a missing or short key.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import subprocess
import sys
import threading
import uuid
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from tests.support.processes import ROOT, child_env

PUBLIC_DEFAULT = "dev-only-insecure-key-change-me"
PUBLIC_JWT_KEY = hashlib.sha256(("jwt:" + PUBLIC_DEFAULT).encode()).hexdigest()

PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken
forged = %r
try:
    AccessToken(forged)
    forged_ok = True
except Exception:
    forged_ok = False
print(json.dumps({"secret_key": settings.SECRET_KEY, "jwt_key": settings.SIMPLE_JWT["SIGNING_KEY"],
                  "forged_token_accepted": forged_ok, "demo_password": getattr(settings, "DEMO_PASSWORD", "")}))
"""


def forged_super_admin_token(user_id: str, key: str = PUBLIC_JWT_KEY) -> str:
    now = timezone.now()
    return jwt.encode({"token_type": "access", "exp": int((now + timedelta(minutes=10)).timestamp()),
                       "iat": int(now.timestamp()), "jti": uuid.uuid4().hex, "user_id": user_id,
                       "tenant": "public", "role": "super_admin"}, key, algorithm="HS256")


def settings_probe(module: str, secrets_dir, forged: str, **env: str) -> subprocess.CompletedProcess:
    environment = child_env(DJANGO_SETTINGS_MODULE=module, NEXUSTOP_SECRETS_DIR=str(secrets_dir), **env)
    environment.pop("DJANGO_SECRET_KEY", None)
    environment.pop("JWT_SIGNING_KEY", None)
    environment.update(env)
    return subprocess.run([sys.executable, "-c", PROBE % forged], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_make_run_settings_use_a_random_installation_secret_and_refuse_the_forged_token(tmp_path):
    forged = forged_super_admin_token(str(uuid.uuid4()))
    first = settings_probe("nexustop.settings.dev", tmp_path / "one", forged)
    assert first.returncode == 0, first.stderr[-2000:]
    values = json.loads(first.stdout.strip().splitlines()[-1])
    assert values["forged_token_accepted"] is False
    assert values["secret_key"] != PUBLIC_DEFAULT and len(values["secret_key"]) >= 50
    assert values["jwt_key"] != PUBLIC_JWT_KEY
    assert values["jwt_key"] == hashlib.sha256(("jwt:" + values["secret_key"]).encode()).hexdigest()
    stored = tmp_path / "one" / "django-secret-key"
    assert stored.read_text().strip() == values["secret_key"]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "one").stat().st_mode) == 0o700
    # The demo logins (a head-office super-admin among them) no longer share the published password.
    assert values["demo_password"] == (tmp_path / "one" / "demo-password").read_text().strip()
    assert values["demo_password"] != "NexusTop-demo-2026" and len(values["demo_password"]) >= 16
    # The next start of the same installation reads the same secret (encrypted rows stay readable)...
    from nexustop.settings.installation import installation_secret

    assert installation_secret("django-secret-key", directory=tmp_path / "one") == values["secret_key"]
    # ...and another installation has its own.
    other = json.loads(settings_probe("nexustop.settings.dev", tmp_path / "two", forged).stdout.splitlines()[-1])
    assert other["secret_key"] != values["secret_key"] and other["forged_token_accepted"] is False


def test_a_token_forged_with_the_old_public_key_is_refused_here(db, host_client):
    """The same forgery against this (test) installation, on the head-office API, with a real super-admin id."""
    from tests.accounts.helpers import make_user

    boss = make_user("public", email=f"boss-{uuid.uuid4().hex[:6]}@nexustop.test", role="super_admin")
    client = host_client("localhost")
    token = forged_super_admin_token(str(boss.public_id))
    response = client.get("/api/head-office/users", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    from django.conf import settings

    genuine = forged_super_admin_token(str(boss.public_id), key=settings.SIMPLE_JWT["SIGNING_KEY"])
    assert client.get("/api/head-office/users", HTTP_AUTHORIZATION=f"Bearer {genuine}").status_code == 200


def test_concurrent_first_starts_agree_on_one_secret(tmp_path):
    from nexustop.settings.installation import installation_secret

    values: list[str] = []
    threads = [threading.Thread(target=lambda: values.append(installation_secret("race", directory=tmp_path)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(values)) == 1 and len(values) == 8
    assert sorted(path.name for path in tmp_path.iterdir()) == ["race"]  # no temporary file left behind
    os.chmod(tmp_path / "race", 0o644)
    assert installation_secret("race", directory=tmp_path) == values[0]
    assert stat.S_IMODE((tmp_path / "race").stat().st_mode) == 0o600  # loosened permissions are tightened


@pytest.mark.parametrize("env, message", [
    ({}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
    ({"DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "JWT_SIGNING_KEY": "guessable"}, "JWT_SIGNING_KEY"),
])
def test_production_refuses_a_missing_or_short_key(tmp_path, env, message):
    result = settings_probe("nexustop.settings.prod", tmp_path, forged_super_admin_token("x"), **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr
    assert not (tmp_path / "django-secret-key").exists()  # production never falls back to a local file


def test_no_process_starts_with_an_empty_jwt_key(tmp_path):
    """Settings without any secret (the bare base module) stop at start-up instead of signing with ""."""
    result = settings_probe("nexustop.settings.base", tmp_path, forged_super_admin_token("x"))
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY setting must not be empty" in result.stderr or "JWT signing key" in result.stderr
