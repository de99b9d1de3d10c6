"""Forged, confused, expired and tampered JWTs are refused with 401 on every protected endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from tests.accounts.helpers import call, login, make_user
from tests.support.attack import alg_none, claims_of, resigned, with_claims_unsigned

pytestmark = pytest.mark.django_db

PROTECTED = [("GET", "/api/auth/me"), ("GET", "/api/wallet"), ("GET", "/api/accounts/users"), ("GET", "/api/audit"),
             ("GET", "/api/kyc/submissions")]


@pytest.fixture
def tokens(host_client):
    make_user("ng", email="jwt-customer@example.test", phone="+2348031114001")
    customer = login(host_client("ng.localhost"), "jwt-customer@example.test")
    make_user("ng", email="jwt-admin@example.test", role="operator_admin", phone="+2348031114002")
    admin = login(host_client("ng.localhost"), "jwt-admin@example.test")
    return {"customer": customer, "admin": admin}


def _rsa_pem() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def hmac_signed(claims: dict, key: bytes) -> str:
    """HS256 by hand (PyJWT refuses an asymmetric key as an HMAC secret; an attacker would not)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forgeries(admin_access: str, customer_access: str, admin_refresh: str) -> dict[str, str]:
    claims = claims_of(admin_access)
    private, public = _rsa_pem()
    return {
        "alg-none": alg_none(admin_access),
        "alg-none-uppercase": alg_none(admin_access).replace("bm9uZ", "Tk9ORS"),  # {"alg": "NONE"...}
        "alg-none-no-dot": alg_none(admin_access).rstrip("."),
        # RS256 signed by the attacker's own key (a verifier that trusts the header's alg would accept it).
        "rs256-attacker-key": jwt.encode(claims, private, algorithm="RS256"),
        # HS/RS confusion: HMAC keyed with a public key the attacker knows.
        "hs256-keyed-with-public-key": hmac_signed(claims, public),
        "hs512-real-key": jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS512"),
        "hs256-wrong-key": jwt.encode(claims, "x" * 64, algorithm="HS256"),
        "hs256-empty-key": hmac_signed(claims, b""),
        "expired": resigned(admin_access, exp=int(time.time()) - 5, iat=int(time.time()) - 1000),
        "not-yet-valid-iat-future-exp-past": resigned(admin_access, exp=int(time.time()) - 1),
        "role-escalated-unsigned": with_claims_unsigned(customer_access, role="operator_admin"),
        "user-swapped-unsigned": with_claims_unsigned(customer_access, user_id=claims["user_id"]),
        "no-tenant-claim": jwt.encode({k: v for k, v in claims.items() if k != "tenant"},
                                      settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"),
        "refresh-as-access": admin_refresh,
        "truncated-signature": admin_access[:-6],
        "garbage": "not.a.jwt",
        "empty-segments": "..",
    }


def test_forged_tokens_are_refused_everywhere(host_client, tokens):
    client = host_client("ng.localhost")
    admin = tokens["admin"]["access"]
    # The genuine token works (so a refusal below is about the forgery, not the endpoint).
    for method, path in PROTECTED:
        assert call(client, method, path, token=admin).status_code == 200, path
    problems = []
    for name, forged in forgeries(admin, tokens["customer"]["access"], tokens["admin"]["refresh"]).items():
        for method, path in PROTECTED:
            answer = call(client, method, path, token=forged)
            if answer.status_code != 401:
                problems.append(f"{name} {method} {path}: {answer.status_code} {answer.content[:120]!r}")
            elif answer.json()["error"]["code"] not in {"token_not_valid", "token_tenant_mismatch"}:
                problems.append(f"{name} {path}: code {answer.json()['error']['code']}")
    assert not problems, "\n".join(problems)


def test_access_token_is_not_a_refresh_token(host_client, tokens):
    answer = call(host_client("ng.localhost"), "POST", "/api/auth/refresh", {"refresh": tokens["admin"]["access"]})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_not_valid"


def test_forged_refresh_tokens_are_refused(host_client, tokens):
    client = host_client("ng.localhost")
    refresh = tokens["customer"]["refresh"]
    for forged in (alg_none(refresh), with_claims_unsigned(refresh, role="operator_admin"),
                   resigned(refresh, exp=int(time.time()) - 5), jwt.encode(claims_of(refresh), "k" * 64,
                                                                          algorithm="HS256")):
        answer = call(client, "POST", "/api/auth/refresh", {"refresh": forged})
        assert answer.status_code == 401, answer.content
    # The genuine one still rotates once, then is blacklisted.
    assert call(client, "POST", "/api/auth/refresh", {"refresh": refresh}).status_code == 200
    assert call(client, "POST", "/api/auth/refresh", {"refresh": refresh}).status_code == 401


def test_role_claim_is_not_trusted_over_the_database(host_client, tokens):
    """A correctly signed token claiming operator_admin for a customer still gets the customer's rights."""
    client = host_client("ng.localhost")
    escalated = resigned(tokens["customer"]["access"], role="operator_admin")
    assert call(client, "GET", "/api/auth/me", token=escalated).json()["role"] == "customer"
    assert call(client, "GET", "/api/accounts/users", token=escalated).status_code == 403
    assert call(client, "GET", "/api/audit", token=escalated).status_code == 403
