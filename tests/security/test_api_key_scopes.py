"""Issue 14, item 2: API-key scopes are deny-by-default and a key never grants more than it holds.

The attack as reported: a reseller key with only ``read`` minted itself a ``read, purchase, wallet`` key
(``POST /api/resellers/api-keys`` -> 201) and created price rules (``POST /api/pricing/rules`` -> 201),
because only four path prefixes were checked. Now every view an API key can reach declares the scope each
method needs (``@api_key_scopes``, shared_apps/core/api_scopes.py) and the API-key authentication refuses
a view that declares nothing.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django_tenants.utils import schema_context
from rest_framework.views import APIView

from shared_apps.core.api_scopes import GRANTABLE_SCOPES, NO_API_KEY, READ, handler_methods, scope_needed
from tenant_apps.agents.api_keys import api_key_create, sign
from tenant_apps.agents.authentication import ResellerSignatureAuthentication
from tests.accounts.helpers import call, login, make_user
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db

HOST = "quickvend.localhost"
URLCONFS = ("nexustop.urls_tenant", "nexustop.urls_public")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CONVERTER_SAMPLES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "str": lambda: "rk_0", "slug": lambda: "ng",
                     "path": lambda: "1"}
# The two bodies of the report; every other write endpoint gets "{}" (the scope is refused before the body is read).
ATTACK_BODIES = {
    "/api/resellers/api-keys": {"name": "escalated", "scopes": ["read", "purchase", "wallet"]},
    "/api/pricing/rules": {"mode": "percent", "percent_bp": 1, "priority": 99},
}


def walk(patterns, prefix=""):
    """(route, callback) for every URL pattern, includes flattened."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def accepts_api_keys(view_class) -> bool:
    return any(issubclass(auth, ResellerSignatureAuthentication)
               for auth in getattr(view_class, "authentication_classes", ()))


def undeclared_scopes(patterns) -> tuple[list[str], int, int]:
    """Every (route, method) an API key can reach without a declared scope; also how many views were seen."""
    problems, with_keys, without_keys = [], 0, 0
    for route, callback in walk(patterns):
        view_class = getattr(callback, "cls", None)  # DRF: APIView.as_view() and @api_view set .cls
        if view_class is None or not accepts_api_keys(view_class):
            without_keys += 1  # Django views (portal, console, admin, webhooks) never read X-Api-Key
            continue
        with_keys += 1
        for method in handler_methods(view_class):
            scope = scope_needed(view_class, method)
            if scope not in (*GRANTABLE_SCOPES, NO_API_KEY):
                problems.append(f"{method} /{route} ({view_class.__module__}.{view_class.__qualname__})")
    return problems, with_keys, without_keys


def test_every_view_reachable_with_an_api_key_declares_its_scope():
    seen = 0
    for urlconf in URLCONFS:
        problems, with_keys, without_keys = undeclared_scopes(get_resolver(urlconf).url_patterns)
        assert not problems, f"{urlconf}: declare @api_key_scopes on: {problems}"
        seen += with_keys + without_keys
        assert with_keys > 5 and without_keys > 5
    assert seen > 150  # the admin, portal, console, webhooks and the API were all walked


def test_the_walk_can_fail():
    from django.urls import path

    class Forgotten(APIView):
        def post(self, request):  # pragma: no cover - never called
            raise AssertionError

    problems, with_keys, _ = undeclared_scopes([path("api/forgotten", Forgotten.as_view())])
    assert problems == [f"POST /api/forgotten ({__name__}.test_the_walk_can_fail.<locals>.Forgotten)"]
    assert with_keys == 1


def routes_reachable_with_keys(urlconf="nexustop.urls_tenant"):
    for route, callback in walk(get_resolver(urlconf).url_patterns):
        view_class = getattr(callback, "cls", None)
        if view_class is not None and accepts_api_keys(view_class):
            yield route, view_class


def concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES[m.group(1) or "str"](), route)


def signed(method: str, path: str, key_id: str, secret: str, body: bytes = b"", host: str = HOST):
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    headers: dict[str, Any] = {"HTTP_X_API_KEY": key_id, "HTTP_X_TIMESTAMP": timestamp, "HTTP_X_NONCE": nonce,
               "HTTP_X_SIGNATURE": sign(secret=secret, timestamp=timestamp, nonce=nonce, method=method, path=path,
                                        body=body)}
    return Client(HTTP_HOST=host).generic(method, path, body, content_type="application/json", **headers)


def error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


@pytest.fixture
def qv_admin():
    return make_user("quickvend", email=f"scopes-{uuid.uuid4().hex[:8]}@qv.test", role="operator_admin")


def issue(user, scopes):
    with schema_context("quickvend"):
        issued = api_key_create(name="attacker", scopes=scopes, user=user, created_by=user)
    return issued.key.key_id, issued.secret


def test_a_read_only_key_is_refused_on_every_write_endpoint_and_writes_nothing(qv_admin):
    key_id, secret = issue(qv_admin, ["read"])
    attacked = []
    with nothing_changes("quickvend", "ng", "public"):
        for route, view_class in routes_reachable_with_keys():
            for method in handler_methods(view_class):
                if method not in WRITE_METHODS:
                    continue
                path = concrete(route)
                body = json.dumps(ATTACK_BODIES.get(path, {})).encode()
                response = signed(method, path, key_id, secret, body)
                attacked.append(f"{method} {path}")
                assert (response.status_code, error_code(response)) == (403, "api_key_scope"), \
                    f"{method} {path}: {response.status_code} {response.content[:300]!r}"
    assert "POST /api/resellers/api-keys" in attacked and "POST /api/pricing/rules" in attacked
    assert len(attacked) > 30, attacked


def test_a_read_only_key_reads_only_what_read_covers(qv_admin):
    key_id, secret = issue(qv_admin, ["read"])
    for route, view_class in routes_reachable_with_keys():
        if "GET" not in handler_methods(view_class) or route.startswith(("api/schema", "api/docs")):
            continue  # (the OpenAPI document takes seconds to build; its scope is checked by the walk)
        path = concrete(route)
        response = signed("GET", path, key_id, secret)
        if scope_needed(view_class, "GET") == READ:
            assert error_code(response) != "api_key_scope", path
            assert response.status_code < 500, path
        else:
            assert (response.status_code, error_code(response)) == (403, "api_key_scope"), path
    products = signed("GET", "/api/products", key_id, secret)
    assert products.status_code == 200


def test_the_reported_escalation_is_refused_and_a_key_grants_at_most_its_own_scopes(qv_admin, host_client):
    from tenant_apps.agents.models import ApiKey

    key_id, secret = issue(qv_admin, ["read"])
    admin_key, admin_secret = issue(qv_admin, ["admin", "read"])
    with nothing_changes("quickvend"):
        minted = signed("POST", "/api/resellers/api-keys", key_id, secret,
                        json.dumps({"name": "mine now", "scopes": ["read", "purchase", "wallet"]}).encode())
        assert (minted.status_code, error_code(minted)) == (403, "api_key_scope")
        assert minted.json()["error"]["fields"] == {"scope": ["admin"]}
    # The admin key's request is authentic and in scope for the view: its last_used_at moves (the key rows
    # themselves are checked below: no new key, none rotated or revoked).
    with nothing_changes("quickvend", ignore=("agents_apikey",)):
        wider = signed("POST", "/api/resellers/api-keys", admin_key, admin_secret,
                       json.dumps({"name": "wider", "scopes": ["read", "purchase"]}).encode())
        assert (wider.status_code, error_code(wider)) == (403, "api_key_scope")
        assert "purchase" in wider.json()["error"]["fields"]["scopes"][0]
    narrower = signed("POST", "/api/resellers/api-keys", admin_key, admin_secret,
                      json.dumps({"name": "narrower", "scopes": ["read"]}).encode())
    assert narrower.status_code == 201, narrower.content
    assert narrower.json()["scopes"] == ["read"]

    # Nor rotate (take the secret of) or revoke a key holding more than the signing key.
    purchase_key, _ = issue(qv_admin, ["purchase", "wallet"])
    with nothing_changes("quickvend", ignore=("agents_apikey",)):  # (last_used_at of the admin key; rows below)
        for action in ("rotate", "revoke"):
            refused = signed("POST", f"/api/resellers/api-keys/{purchase_key}/{action}", admin_key, admin_secret)
            assert (refused.status_code, error_code(refused)) == (403, "api_key_scope"), action
    with schema_context("quickvend"):
        row = ApiKey.objects.get(key_id=purchase_key)
        assert row.revoked_at is None and row.rotated_at is None
        assert sorted(ApiKey.objects.filter(user=qv_admin).values_list("name", flat=True)) == [
            "attacker", "attacker", "attacker", "narrower"]

    # A person (JWT) with the admin role still grants any scope.
    client = host_client(HOST)
    token = login(client, qv_admin.email)["access"]
    by_person = call(client, "POST", "/api/resellers/api-keys", {"name": "full", "scopes": list(GRANTABLE_SCOPES)},
                     token=token)
    assert by_person.status_code == 201 and sorted(by_person.json()["scopes"]) == sorted(GRANTABLE_SCOPES)


def test_price_rules_need_the_admin_scope(qv_admin):
    from tenant_apps.pricing.models import PriceRule

    body = json.dumps(ATTACK_BODIES["/api/pricing/rules"]).encode()
    with schema_context("quickvend"):
        rules_before = PriceRule.objects.count()
    for scopes in (["read"], ["read", "purchase", "wallet"]):
        key_id, secret = issue(qv_admin, scopes)
        with nothing_changes("quickvend"):
            refused = signed("POST", "/api/pricing/rules", key_id, secret, body)
            assert (refused.status_code, error_code(refused)) == (403, "api_key_scope"), scopes
    key_id, secret = issue(qv_admin, ["admin"])
    created = signed("POST", "/api/pricing/rules", key_id, secret, body)
    assert created.status_code == 201, created.content
    with schema_context("quickvend"):
        assert PriceRule.objects.count() == rules_before + 1


def test_views_closed_to_keys_refuse_even_a_key_with_every_scope(qv_admin):
    key_id, secret = issue(qv_admin, list(GRANTABLE_SCOPES))
    with nothing_changes("quickvend"):
        profile = signed("PATCH", "/api/auth/me", key_id, secret, b'{"preferred_language": "fr"}')
        assert (profile.status_code, error_code(profile)) == (403, "api_key_scope")
    assert profile.json()["error"]["fields"] == {"scope": ["No scope grants this."]}
    assert signed("GET", "/api/auth/me", key_id, secret).status_code == 200


def test_api_keys_mean_nothing_on_the_head_office_domain(qv_admin):
    key_id, secret = issue(qv_admin, list(GRANTABLE_SCOPES))
    response = signed("GET", "/api/head-office/users", key_id, secret, host="localhost")
    assert (response.status_code, error_code(response)) == (401, "unknown_api_key")
