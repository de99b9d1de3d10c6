"""Tokens are bound to their tenant; users belong to one tenant."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import PASSWORD, call, login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ng_tokens(host_client):
    make_user("ng", email="bound@example.com", phone="+2348031230001")
    return login(host_client("ng.localhost"), "bound@example.com")


def test_token_works_on_its_own_tenant(host_client, ng_tokens):
    assert call(host_client("ng.localhost"), "GET", "/api/auth/me", token=ng_tokens["access"]).status_code == 200


@pytest.mark.parametrize("host", ["sn.localhost", "quickvend.localhost", "localhost"])
def test_access_token_refused_on_other_tenants_and_public(host_client, ng_tokens, host):
    answer = call(host_client(host), "GET", "/api/auth/me", token=ng_tokens["access"])
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_tenant_mismatch"
    assert "WWW-Authenticate" in answer


def test_token_refused_even_when_the_other_tenant_has_a_user_with_that_id(host_client, ng_tokens):
    """Same public id would be a forged token; same email on sn is a different person."""
    make_user("sn", email="bound@example.com", phone="+221771230001")
    answer = call(host_client("sn.localhost"), "GET", "/api/auth/me", token=ng_tokens["access"])
    assert answer.status_code == 401


@pytest.mark.parametrize("host", ["sn.localhost", "localhost"])
def test_refresh_token_refused_on_other_tenants(host_client, ng_tokens, host):
    answer = call(host_client(host), "POST", "/api/auth/refresh", {"refresh": ng_tokens["refresh"]})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_not_valid"
    # and it still works at home (nothing was blacklisted by the refused attempt)
    assert call(host_client("ng.localhost"), "POST", "/api/auth/refresh",
                {"refresh": ng_tokens["refresh"]}).status_code == 200


def test_logout_on_another_tenant_refused(host_client, ng_tokens):
    answer = call(host_client("sn.localhost"), "POST", "/api/auth/logout", {"refresh": ng_tokens["refresh"]},
                  token=ng_tokens["access"])
    assert answer.status_code == 401


def test_user_of_one_tenant_cannot_log_in_on_another(host_client):
    make_user("ng", email="only-ng@example.com", phone="+2348031230002")
    answer = call(host_client("sn.localhost"), "POST", "/api/auth/login",
                  {"email": "only-ng@example.com", "password": PASSWORD})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_credentials"
    # nor on the reseller under the same country operation
    answer = call(host_client("quickvend.localhost"), "POST", "/api/auth/login",
                  {"email": "only-ng@example.com", "password": PASSWORD})
    assert answer.status_code == 401


def test_same_person_registers_on_two_tenants_independently(host_client):
    from django_tenants.utils import schema_context

    from tenant_apps.accounts.models import User

    for host, phone in (("ng.localhost", "08031230003"), ("quickvend.localhost", "08031230003")):
        answer = call(host_client(host), "POST", "/api/auth/register",
                      {"email": "twice@example.com", "phone": phone, "password": PASSWORD})
        assert answer.status_code == 201, answer.content
    with schema_context("ng"):
        ng_user = User.objects.get(email="twice@example.com")
    with schema_context("quickvend"):
        qv_user = User.objects.get(email="twice@example.com")
    assert ng_user.public_id != qv_user.public_id
    with schema_context("public"):
        assert not User.objects.filter(email="twice@example.com").exists()  # no personal data in public
