"""Schemas keep tenants apart: rows, routing, suspension and cache keys."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.services import tenant_reactivate, tenant_suspend

pytestmark = pytest.mark.django_db


def _user_emails(schema: str) -> set[str]:
    from django.contrib.auth import get_user_model

    with schema_context(schema):
        return set(get_user_model().objects.values_list("email", flat=True))


def test_row_written_in_one_schema_is_invisible_from_another(tenants):
    from django.contrib.auth import get_user_model

    with schema_context("ng"):
        get_user_model().objects.create_user("ada@example.com", "x" * 12)
    assert "ada@example.com" in _user_emails("ng")
    assert "ada@example.com" not in _user_emails("sn")
    # The public schema (head office) holds no tenant's users.
    assert "ada@example.com" not in _user_emails("public")


def test_same_email_can_register_on_two_tenants_independently(tenants):
    from django.contrib.auth import get_user_model

    for schema in ("ng", "sn"):
        with schema_context(schema):
            get_user_model().objects.create_user("same@example.com", "x" * 12, role="customer")
    with schema_context("ng"):
        ng_user = get_user_model().objects.get(email="same@example.com")
    with schema_context("sn"):
        sn_user = get_user_model().objects.get(email="same@example.com")
    assert ng_user.public_id != sn_user.public_id


def test_public_schema_holds_no_tenant_rows(tenants):
    """Tenant admins exist only in their own schema; public has only head-office users."""
    public_roles = set()
    with schema_context("public"):
        from django.contrib.auth import get_user_model

        public_roles = set(get_user_model().objects.values_list("role", flat=True))
    assert public_roles <= {"super_admin", "analyst"}
    assert "admin@ng.localhost" in _user_emails("ng")
    assert "admin@ng.localhost" not in _user_emails("public")


def test_request_is_routed_by_host_header(host_client, tenants):
    for host, schema in [("ng.localhost", "ng"), ("sn.localhost", "sn"), ("localhost", "public")]:
        response = host_client(host).get("/health")
        assert response.status_code == 200, response.content
        assert response.json()["tenant"] == schema


def test_unknown_host_is_404_with_error_shape(host_client, tenants):
    response = host_client("nobody.localhost").get("/health")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_tenant"


def test_suspended_tenant_answers_403_json_and_page(host_client, tenant_ng):
    tenant_suspend(tenant=tenant_ng, reason="unpaid invoice")
    api = host_client("ng.localhost").get("/api/anything")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "tenant_suspended"
    page = host_client("ng.localhost").get("/", HTTP_ACCEPT="text/html")
    assert page.status_code == 403
    assert b"temporarily unavailable" in page.content
    assert page["Content-Type"].startswith("text/html")
    # Other tenants are unaffected; reactivation restores service.
    assert host_client("sn.localhost").get("/api/schema/").status_code == 200
    tenant_reactivate(tenant=tenant_ng)
    assert host_client("ng.localhost").get("/api/schema/").status_code == 200


def test_suspended_page_in_the_tenants_language(host_client, tenant_sn):
    tenant_suspend(tenant=tenant_sn, reason="audit")
    response = host_client("sn.localhost").get("/api/wallet")
    assert response.status_code == 403
    body = json.loads(response.content)
    assert body["error"]["code"] == "tenant_suspended"
    assert "NexusTop Sénégal" in body["error"]["message"]


def test_cache_keys_do_not_collide_across_tenants(tenants):
    with schema_context("ng"):
        cache.set("balance-banner", "ng-value", 30)
    with schema_context("sn"):
        assert cache.get("balance-banner") is None
        cache.set("balance-banner", "sn-value", 30)
    with schema_context("ng"):
        assert cache.get("balance-banner") == "ng-value"
        key_ng = cache.make_key("balance-banner")
    with schema_context("sn"):
        assert cache.get("balance-banner") == "sn-value"
        key_sn = cache.make_key("balance-banner")
    assert key_ng != key_sn
    assert key_ng.startswith("ng:") and key_sn.startswith("sn:")
    for schema in ("ng", "sn"):
        with schema_context(schema):
            cache.delete("balance-banner")
