"""Role permissions, endpoint by endpoint, role by role (tenant and head office)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenants.connection import tenant_connection
from tests.accounts.helpers import call, login, make_user
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db

TENANT_ROLES = ["customer", "agent", "operator_support", "operator_finance", "operator_admin"]


@pytest.fixture
def tokens(host_client):
    """An access token per tenant role on ng.localhost."""
    found = {}
    for index, role in enumerate(TENANT_ROLES):
        make_user("ng", email=f"{role}@roles.example.com", role=role, phone=f"+23480344400{index:02d}")
        found[role] = login(host_client("ng.localhost"), f"{role}@roles.example.com")["access"]
    return found


def _target():
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        return User.objects.get(email="customer@roles.example.com")


ALLOWED = {
    ("GET", "/api/auth/me"): set(TENANT_ROLES),
    ("GET", "/api/kyc"): set(TENANT_ROLES),
    ("GET", "/api/accounts/users"): {"operator_support", "operator_finance", "operator_admin"},
    ("GET", "/api/audit"): {"operator_admin"},
    ("GET", "/api/kyc/submissions"): {"operator_support", "operator_admin"},
}


@pytest.mark.parametrize("endpoint", list(ALLOWED))
@pytest.mark.parametrize("role", TENANT_ROLES)
def test_read_endpoints_per_role(host_client, tokens, endpoint, role):
    method, path = endpoint
    answer = call(host_client("ng.localhost"), method, path, token=tokens[role])
    expected = 200 if role in ALLOWED[endpoint] else 403
    assert answer.status_code == expected, (role, path, answer.content)
    if expected == 403:
        assert answer.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("endpoint", list(ALLOWED))
def test_anonymous_is_refused_everywhere(host_client, endpoint):
    method, path = endpoint
    answer = call(host_client("ng.localhost"), method, path)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", TENANT_ROLES)
def test_role_change_only_by_operator_admin(host_client, tokens, role):
    target = _target()
    if role == "operator_admin":
        answer = call(host_client("ng.localhost"), "POST", f"/api/accounts/users/{target.public_id}/role",
                      {"role": "agent"}, token=tokens[role])
        assert answer.status_code == 200, answer.content
        return
    with nothing_changes("ng"):  # no role written, no audit event
        answer = call(host_client("ng.localhost"), "POST", f"/api/accounts/users/{target.public_id}/role",
                      {"role": "agent"}, token=tokens[role])
        assert answer.status_code == 403, answer.content


def test_role_change_is_audited(host_client, tokens):
    from tenant_apps.accounts.models import User
    from tenant_apps.audit.models import AuditEvent

    target = _target()
    answer = call(host_client("ng.localhost"), "POST", f"/api/accounts/users/{target.public_id}/role",
                  {"role": "agent"}, token=tokens["operator_admin"], REMOTE_ADDR="10.8.8.8")
    assert answer.status_code == 200, answer.content
    assert answer.json()["role"] == "agent"
    with schema_context("ng"):
        assert User.objects.get(pk=target.pk).role == "agent"
        event = AuditEvent.objects.get(action="role_changed", subject_id=str(target.public_id))
    assert event.actor_email == "operator_admin@roles.example.com"
    assert event.actor_role == "operator_admin"
    assert event.details == {"from": "customer", "to": "agent"}
    assert event.tenant == "ng" and event.ip_address == "10.8.8.8" and event.occurred_at


def test_role_change_bad_input(host_client, tokens):
    from tenant_apps.audit.models import AuditEvent

    target = _target()
    client = host_client("ng.localhost")
    with schema_context("ng"):
        admin_id = AuditEvent.objects.filter(actor_email="operator_admin@roles.example.com").values_list(
            "actor_id", flat=True).first()
    with nothing_changes("ng"):
        for role in ("super_admin", "wizard", ""):
            answer = call(client, "POST", f"/api/accounts/users/{target.public_id}/role", {"role": role},
                          token=tokens["operator_admin"])
            assert answer.status_code == 400, role
            assert "role" in answer.json()["error"]["fields"]
        own = call(client, "POST", f"/api/accounts/users/{admin_id}/role", {"role": "customer"},
                   token=tokens["operator_admin"])
        assert own.status_code == 403
        missing = call(client, "POST", "/api/accounts/users/00000000-0000-0000-0000-000000000000/role",
                       {"role": "agent"}, token=tokens["operator_admin"])
        assert missing.status_code == 404
    with schema_context("ng"):
        assert not AuditEvent.objects.filter(action="role_changed").exists()


def test_phone_verified_permission_and_service(host_client):
    from rest_framework.test import APIRequestFactory

    from shared_apps.core.errors import ApiError
    from tenant_apps.accounts.permissions import PhoneVerified
    from tenant_apps.accounts.services import require_phone_verified

    verified = make_user("ng", email="verified@example.com", phone="+2348034445001")
    unverified = make_user("ng", email="unverified@example.com", phone="+2348034445002", verified=False)
    request = APIRequestFactory().get("/")
    request.user = verified
    assert PhoneVerified().has_permission(request, None) is True
    require_phone_verified(verified)
    request.user = unverified
    with pytest.raises(ApiError) as refused:
        PhoneVerified().has_permission(request, None)
    assert refused.value.code == "phone_not_verified" and refused.value.status_code == 403
    with pytest.raises(ApiError) as refused_again:
        require_phone_verified(unverified)
    assert refused_again.value.code == "phone_not_verified"


# --- head office ----------------------------------------------------------------------------

@pytest.fixture
def head_office(host_client):
    found = {}
    for role in ("super_admin", "analyst"):
        make_user("public", email=f"{role}@nexustop.example.com", role=role)
        found[role] = login(host_client("localhost"), f"{role}@nexustop.example.com")
    return found


@pytest.mark.parametrize(("role", "expected"), [("super_admin", 200), ("analyst", 200)])
def test_head_office_read(host_client, head_office, role, expected):
    for path in ("/api/head-office/users", "/api/head-office/audit", "/api/auth/me"):
        answer = call(host_client("localhost"), "GET", path, token=head_office[role]["access"])
        assert answer.status_code == expected, (path, answer.content)


def test_head_office_role_change_only_super_admin(host_client, head_office):
    from tenant_apps.accounts.models import User

    with schema_context("public"):
        analyst = User.objects.get(email="analyst@nexustop.example.com")
        superadmin = User.objects.get(email="super_admin@nexustop.example.com")
    client = host_client("localhost")
    path = f"/api/head-office/users/{superadmin.public_id}/role"
    with nothing_changes("public"):
        assert call(client, "POST", path, {"role": "analyst"},
                    token=head_office["analyst"]["access"]).status_code == 403
        bad = call(client, "POST", f"/api/head-office/users/{analyst.public_id}/role", {"role": "operator_admin"},
                   token=head_office["super_admin"]["access"])
        assert bad.status_code == 400
    ok = call(client, "POST", f"/api/head-office/users/{analyst.public_id}/role", {"role": "super_admin"},
              token=head_office["super_admin"]["access"])
    assert ok.status_code == 200
    from tenant_apps.audit.models import AuditEvent

    tenant_connection().set_schema_to_public()
    assert AuditEvent.objects.filter(action="role_changed", subject_id=str(analyst.public_id),
                                     tenant="public").exists()


def test_head_office_token_refused_on_tenants_and_tenant_staff_refused_at_head_office(host_client, head_office,
                                                                                       tokens):
    assert call(host_client("ng.localhost"), "GET", "/api/auth/me",
                token=head_office["super_admin"]["access"]).status_code == 401
    assert call(host_client("localhost"), "GET", "/api/head-office/users",
                token=tokens["operator_admin"]).status_code == 401


def test_tenant_endpoints_do_not_exist_on_public(host_client, head_office):
    answer = call(host_client("localhost"), "GET", "/api/accounts/users", token=head_office["super_admin"]["access"])
    assert answer.status_code == 404
