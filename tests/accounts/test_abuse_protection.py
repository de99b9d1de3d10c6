"""Lockout after repeated failures (per account and per IP, Redis, per tenant), rate limits, generic errors."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, call, make_user

pytestmark = pytest.mark.django_db


def attempt(client, email, password, ip="10.0.0.1"):
    return call(client, "POST", "/api/auth/login", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_five_failures_per_account(host_client):
    make_user("ng", email="victim@example.com", phone="+2348032220001")
    client = host_client("ng.localhost")
    for _ in range(5):
        answer = attempt(client, "victim@example.com", "wrong-password-1")
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_credentials"
    locked = attempt(client, "victim@example.com", PASSWORD)  # right password, still refused
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"
    # the account lock follows the account, whatever the IP
    assert attempt(client, "victim@example.com", PASSWORD, ip="10.9.9.9").status_code == 429
    # other accounts from another IP are fine
    make_user("ng", email="bystander@example.com", phone="+2348032220002")
    assert attempt(client, "bystander@example.com", PASSWORD, ip="10.9.9.9").status_code == 200
    with schema_context("ng"):
        from tenant_apps.audit.models import AuditEvent

        failures = AuditEvent.objects.filter(action="login_failed", actor_email="victim@example.com")
        assert failures.count() == 5
        assert failures.filter(ip_address="10.0.0.1", tenant="ng").count() == 5
        assert AuditEvent.objects.filter(action="login_locked_out", actor_email="victim@example.com").exists()


def test_lockout_is_per_tenant(host_client):
    make_user("ng", email="both@example.com", phone="+2348032220003")
    make_user("sn", email="both@example.com", phone="+221772220003")
    for _ in range(5):
        attempt(host_client("ng.localhost"), "both@example.com", "wrong-password-1")
    assert attempt(host_client("ng.localhost"), "both@example.com", PASSWORD).status_code == 429
    assert attempt(host_client("sn.localhost"), "both@example.com", PASSWORD).status_code == 200


def test_lockout_per_ip(host_client, settings):
    settings.LOGIN_LOCKOUT = {**settings.LOGIN_LOCKOUT, "MAX_FAILURES_PER_IP": 8}
    make_user("ng", email="ipvictim@example.com", phone="+2348032220004")
    client = host_client("ng.localhost")
    for index in range(8):  # spraying: one try per account, many accounts
        assert attempt(client, f"spray{index}@example.com", "guess-password", ip="10.6.6.6").status_code == 401
    assert attempt(client, "ipvictim@example.com", PASSWORD, ip="10.6.6.6").status_code == 429
    assert attempt(client, "ipvictim@example.com", PASSWORD, ip="10.7.7.7").status_code == 200


def test_success_resets_the_account_counter(host_client):
    make_user("ng", email="forgetful@example.com", phone="+2348032220005")
    client = host_client("ng.localhost")
    for _ in range(4):
        attempt(client, "forgetful@example.com", "wrong-password-1")
    assert attempt(client, "forgetful@example.com", PASSWORD).status_code == 200
    for _ in range(4):
        attempt(client, "forgetful@example.com", "wrong-password-1")
    assert attempt(client, "forgetful@example.com", PASSWORD).status_code == 200


def test_errors_do_not_reveal_whether_the_account_exists(host_client):
    make_user("ng", email="exists@example.com", phone="+2348032220006")
    client = host_client("ng.localhost")
    known = attempt(client, "exists@example.com", "wrong-password-1", ip="10.1.1.1")
    unknown = attempt(client, "nobody@example.com", "wrong-password-1", ip="10.1.1.2")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()
    for _ in range(5):
        attempt(client, "ghost@example.com", "x-password-1", ip="10.1.1.3")
    ghost = attempt(client, "ghost@example.com", "x-password-1", ip="10.1.1.4")
    for _ in range(5):
        attempt(client, "exists@example.com", "x-password-1", ip="10.1.1.5")
    real = attempt(client, "exists@example.com", "x-password-1", ip="10.1.1.6")
    assert ghost.status_code == real.status_code == 429
    assert ghost.json() == real.json()


def test_inactive_user_gets_the_generic_error(host_client):
    from tenant_apps.accounts.models import User

    make_user("ng", email="inactive@example.com", phone="+2348032220007")
    with schema_context("ng"):
        User.objects.filter(email="inactive@example.com").update(is_active=False)
    answer = attempt(host_client("ng.localhost"), "inactive@example.com", PASSWORD)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_credentials"


def test_rate_limit_on_register(host_client, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_register": "3/min"}
    client = host_client("ng.localhost")
    codes = [call(client, "POST", "/api/auth/register", {"email": "x", "phone": "1", "password": "p"},
                  REMOTE_ADDR="10.2.2.2").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    limited = call(client, "POST", "/api/auth/register", {}, REMOTE_ADDR="10.2.2.2")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited
    # another client is not affected, nor the same client on another tenant
    assert call(client, "POST", "/api/auth/register", {}, REMOTE_ADDR="10.2.2.3").status_code == 400
    assert call(host_client("sn.localhost"), "POST", "/api/auth/register", {},
                REMOTE_ADDR="10.2.2.2").status_code == 400


@pytest.mark.parametrize(("path", "scope"), [("/api/auth/login", "auth_login"), ("/api/auth/otp", "auth_otp"),
                                             ("/api/auth/refresh", "auth_refresh")])
def test_rate_limits_on_other_auth_endpoints(host_client, settings, path, scope):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, scope: "2/min"}
    client = host_client("ng.localhost")
    codes = [call(client, "POST", path, {}, REMOTE_ADDR="10.3.3.3").status_code for _ in range(3)]
    assert codes[-1] == 429 and 429 not in codes[:2]


def test_forwarded_for_header_cannot_dodge_the_limit(host_client, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_login": "2/min"}
    client = host_client("ng.localhost")
    codes = [call(client, "POST", "/api/auth/login", {}, REMOTE_ADDR="10.4.4.4",
                  HTTP_X_FORWARDED_FOR=f"1.2.3.{index}").status_code for index in range(3)]
    assert codes[-1] == 429
