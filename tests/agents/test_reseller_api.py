"""Signed reseller API requests: valid works; wrong signature, stale timestamp, replay, revoked key refused."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.test import Client

from tenant_apps.agents.api_keys import sign
from tests.accounts.helpers import call, login
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db

HOST = "quickvend.localhost"


@pytest.fixture
def admin(host_client, qv_admin_token):
    client = host_client(HOST)
    return client, qv_admin_token


def new_key(admin, scopes=("read", "wallet")):
    client, token = admin
    response = call(client, "POST", "/api/resellers/api-keys", {"name": "POS", "scopes": list(scopes)}, token=token)
    assert response.status_code == 201, response.content
    return response.json()


def signed(method, path, key_id, secret, body=b"", *, timestamp=None, nonce=None, signature=None, **extra):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    signature = signature or sign(secret=secret, timestamp=timestamp, nonce=nonce, method=method, path=path, body=body)
    headers = {"HTTP_X_API_KEY": key_id, "HTTP_X_TIMESTAMP": timestamp, "HTTP_X_NONCE": nonce,
               "HTTP_X_SIGNATURE": signature, **extra}
    client = Client(HTTP_HOST=HOST)
    if method == "GET":
        return client.get(path, **headers), (timestamp, nonce, signature)
    return client.generic(method, path, body, content_type="application/json", **headers), (timestamp, nonce,
                                                                                            signature)


def code(response):
    return response.json()["error"]["code"]


def test_key_is_shown_once_and_stored_encrypted(admin):
    from django_tenants.utils import schema_context

    from tenant_apps.agents.models import ApiKey

    key = new_key(admin)
    assert key["key_id"].startswith("rk_") and key["secret"].startswith("rs_")
    listing = call(admin[0], "GET", "/api/resellers/api-keys", token=admin[1]).json()
    assert listing[0]["key_id"] == key["key_id"] and "secret" not in listing[0]
    with schema_context("quickvend"):
        row = ApiKey.objects.get(key_id=key["key_id"])
    assert key["secret"] not in row.secret_encrypted and len(row.secret_sha256) == 64


def test_valid_signature_works_on_the_customer_wallet_endpoint(admin):
    key = new_key(admin)
    response, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"])
    assert response.status_code == 200, response.content
    assert response.json()["default_currency"] == "NGN"
    with_query, _ = signed("GET", "/api/wallet/transactions?page=1", key["key_id"], key["secret"])
    assert with_query.status_code == 200  # the query string is part of the signed path


def test_refusals_have_clear_codes(admin):
    key = new_key(admin)
    wrong, _ = signed("GET", "/api/wallet", key["key_id"], "rs_not-the-secret")
    assert (wrong.status_code, code(wrong)) == (401, "invalid_signature")
    expired, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"], timestamp=int(time.time()) - 301)
    assert (expired.status_code, code(expired)) == (401, "expired_timestamp")
    future, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"], timestamp=int(time.time()) + 400)
    assert code(future) == "expired_timestamp"
    first, (timestamp, nonce, signature) = signed("GET", "/api/wallet", key["key_id"], key["secret"])
    assert first.status_code == 200
    replay, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"], timestamp=timestamp, nonce=nonce,
                       signature=signature)
    assert (replay.status_code, code(replay)) == (401, "replayed_request")
    with nothing_changes("quickvend"):
        tampered_body, _ = signed("POST", "/api/purchase", key["key_id"], key["secret"], b'{"a":1}',
                                  signature=sign(secret=key["secret"], timestamp=str(int(time.time())), nonce="n1",
                                                 method="POST", path="/api/purchase", body=b'{"a":2}'),
                                  nonce="n1")
        assert code(tampered_body) == "invalid_signature"
    unknown, _ = signed("GET", "/api/wallet", "rk_nope", key["secret"])
    assert code(unknown) == "unknown_api_key"
    missing = Client(HTTP_HOST=HOST).get("/api/wallet", HTTP_X_API_KEY=key["key_id"])
    assert (missing.status_code, code(missing)) == (401, "missing_signature_headers")

    revoked = call(admin[0], "POST", f"/api/resellers/api-keys/{key['key_id']}/revoke", token=admin[1])
    assert revoked.json()["revoked_at"]
    after, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"])
    assert (after.status_code, code(after)) == (401, "api_key_revoked")


def test_rotation_and_scopes(admin):
    key = new_key(admin, scopes=("read",))
    no_scope, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"])
    assert (no_scope.status_code, code(no_scope)) == (403, "api_key_scope")  # known caller, missing scope
    assert no_scope.json()["error"]["fields"] == {"scope": ["wallet"]}
    products, _ = signed("GET", "/api/products", key["key_id"], key["secret"])
    assert products.status_code == 200
    rotated = call(admin[0], "POST", f"/api/resellers/api-keys/{key['key_id']}/rotate", token=admin[1]).json()
    assert rotated["key_id"] == key["key_id"] and rotated["secret"] != key["secret"]
    old, _ = signed("GET", "/api/products", key["key_id"], key["secret"])
    assert code(old) == "invalid_signature"
    new, _ = signed("GET", "/api/products", key["key_id"], rotated["secret"])
    assert new.status_code == 200


def test_a_key_of_one_tenant_means_nothing_on_another(admin):
    key = new_key(admin)
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    response = Client(HTTP_HOST="ng.localhost").get(
        "/api/wallet", HTTP_X_API_KEY=key["key_id"], HTTP_X_TIMESTAMP=timestamp, HTTP_X_NONCE=nonce,
        HTTP_X_SIGNATURE=sign(secret=key["secret"], timestamp=timestamp, nonce=nonce, method="GET",
                              path="/api/wallet", body=b""))
    assert (response.status_code, code(response)) == (401, "unknown_api_key")


def test_only_the_admin_manages_keys(host_client):
    from tests.accounts.helpers import make_user

    make_user("quickvend", email="support@qv.test", role="operator_support")
    client = host_client(HOST)
    token = login(client, "support@qv.test")["access"]
    with nothing_changes("quickvend"):  # no key row, no audit event
        assert call(client, "POST", "/api/resellers/api-keys", {"name": "x"}, token=token).status_code == 403
    assert json.loads(call(client, "GET", "/api/resellers/api-keys", token=token).content)["error"]["code"]


def test_a_signature_header_that_is_not_hex_is_a_clean_401(admin):
    """A header is decoded as latin-1: ``é`` in X-Signature reached hmac.compare_digest as a non-ASCII str, which
    raises TypeError (a 500). Any shape other than 64 hex characters is ``invalid_signature``, and burns no nonce."""
    key = new_key(admin)
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    genuine = sign(secret=key["secret"], timestamp=timestamp, nonce=nonce, method="GET", path="/api/wallet", body=b"")
    for forged in ("\xe9" * 64, genuine[:-1] + "\xe9", "\xff", genuine + "00", "z" * 64):
        client = Client(HTTP_HOST=HOST, raise_request_exception=False)
        response = client.get("/api/wallet", HTTP_X_API_KEY=key["key_id"], HTTP_X_TIMESTAMP=timestamp,
                              HTTP_X_NONCE=nonce, HTTP_X_SIGNATURE=forged)
        assert (response.status_code, code(response)) == (401, "invalid_signature"), (forged, response.content)
    upper, _ = signed("GET", "/api/wallet", key["key_id"], key["secret"], timestamp=timestamp, nonce=nonce,
                      signature=genuine.upper())
    assert upper.status_code == 200, upper.content  # the nonce was not burnt by the refusals; hex in any case
