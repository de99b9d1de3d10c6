"""Every endpoint of a tenant domain, attacked from another tenant: refused, nothing leaked, nothing changed.

The endpoints come from the tenant domain's own OpenAPI schema (``/api/schema/?format=json``),
so a new endpoint is attacked without editing this file. For each endpoint and method the
victim is tenant A (ng, with users, wallet and ledger entries, a KYC submission, audit events,
idempotency keys); the attacker is tenant B (a country operation, sn, and a reseller under A's
country, quickvend). Attacks: B's tokens on B's domain aimed at A's ids; A's token on B's
domain; B's token on A's domain (``Host: a``); forged forwarding headers; tokens whose tenant
claim was changed (with the original signature, and re-signed with the real key).

Surfaces: the tenant API today. The reseller API and the portal plug in as more ``SURFACES``
(their own schema URL and credentials); the attacks and assertions stay the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.test import Client

from nexustop_dev.fuzz import error_shape_problems
from tests.support.attack import (
    REFUSED,
    Attack,
    Endpoint,
    endpoints_from_schema,
    fingerprint_diff,
    references_victim,
    resigned,
    schema_fingerprint,
    send,
    victim_body,
    victim_path,
    with_claims_unsigned,
)
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db

ATTACKERS = {"sn": "sn.localhost", "quickvend": "quickvend.localhost"}


@dataclass(frozen=True)
class Surface:
    name: str
    schema_path: str


SURFACES = [Surface("tenant-api", "/api/schema/?format=json")]


def enumerate_endpoints(surface: Surface, domain: str) -> list[Endpoint]:
    response = Client(HTTP_HOST=domain).get(surface.schema_path)
    assert response.status_code == 200, response.content[:300]
    return endpoints_from_schema(response.json())


def attacks(victim, attacker_schema: str, tokens: dict[str, str]) -> list[Attack]:
    b_domain = ATTACKERS[attacker_schema]
    a_admin = victim.ids["admin_access"]
    a_customer = victim.ids["customer_access"]
    forged_headers = (("HTTP_X_FORWARDED_HOST", victim.domain), ("HTTP_FORWARDED", f"host={victim.domain}"),
                      ("HTTP_X_ORIGINAL_HOST", victim.domain), ("HTTP_X_TENANT", victim.schema))
    return [
        Attack("b-customer-on-b", b_domain, tokens["customer"], own_domain=True),
        Attack("b-admin-on-b", b_domain, tokens["admin"], own_domain=True),
        Attack("b-finance-on-b", b_domain, tokens["finance"], own_domain=True),
        Attack("a-admin-token-on-b", b_domain, a_admin),
        Attack("a-customer-token-on-b", b_domain, a_customer),
        Attack("b-admin-token-on-a", victim.domain, tokens["admin"]),
        Attack("b-customer-token-on-a", victim.domain, tokens["customer"]),
        Attack("a-token-on-b-forwarded-host-a", b_domain, a_admin, forged_headers),
        Attack("b-token-tenant-claim-a-unsigned", victim.domain, with_claims_unsigned(tokens["admin"],
                                                                                     tenant=victim.schema)),
        Attack("b-token-tenant-claim-a-resigned", victim.domain, resigned(tokens["admin"], tenant=victim.schema)),
        Attack("a-token-tenant-claim-b-resigned", b_domain, resigned(a_admin, tenant=attacker_schema)),
        Attack("a-token-user-of-b-unsigned", victim.domain, with_claims_unsigned(
            tokens["admin"], tenant=victim.schema, user_id=victim.ids["admin"])),
    ]


def judge(endpoint: Endpoint, attack: Attack, response, victim) -> list[str]:
    problems = []
    status = response.status_code
    if status >= 500:
        problems.append(f"server error {status}")
    if status >= 400:
        problems += error_shape_problems(response)
    leaked = victim.leaked_in(response.content.decode("utf-8", "replace"))
    if leaked:
        problems.append(f"leaked {leaked}")
    if references_victim(endpoint):
        if status not in REFUSED:
            problems.append(f"aimed at A's object, expected 401/403/404, got {status}")
    elif endpoint.secured and not attack.own_domain and status not in REFUSED:
        # A foreign or forged identity on an endpoint that needs one: refused.
        problems.append(f"expected 401/403/404, got {status}")
    return [f"{endpoint.label} [{attack.name}]: {p}" for p in problems]


def applicable(endpoint: Endpoint, attack: Attack, victim) -> bool:
    """Anonymous endpoints (register, login, countries, ...) on A's own domain are open to anyone:
    a token adds nothing there, so they are attacked from B's domain only."""
    return endpoint.secured or attack.host != victim.domain


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize("attacker_schema", sorted(ATTACKERS))
def test_every_endpoint_refuses_other_tenants(surface, attacker_schema, victim, attacker_tokens):
    tokens = attacker_tokens(attacker_schema, ATTACKERS[attacker_schema])
    endpoints = enumerate_endpoints(surface, victim.domain)
    assert endpoints_from_schema_is_not_vacuous(endpoints)
    problems: list[str] = []
    client = Client()
    before = schema_fingerprint(victim.schema)
    for endpoint in endpoints:
        path = victim_path(endpoint, victim)
        body = victim_body(endpoint.body_schema, victim)
        for attack in attacks(victim, attacker_schema, tokens):
            if not applicable(endpoint, attack, victim):
                continue
            response = send(client, attack, endpoint, path, body, idempotency_key=victim.ids["idempotency_key"])
            problems += judge(endpoint, attack, response, victim)
        after = schema_fingerprint(victim.schema)  # (nothing else runs in between: the next endpoint's "before")
        changed = fingerprint_diff(before, after)
        if changed:
            problems.append(f"{endpoint.label}: rows of {victim.schema} changed: {sorted(changed)}")
        before = after
    assert not problems, "\n".join(problems)


def endpoints_from_schema_is_not_vacuous(endpoints: list[Endpoint]) -> bool:
    labels = {e.label for e in endpoints}
    expected = {"GET /api/wallet", "POST /api/wallet/adjustments", "GET /api/accounts/users",
                "POST /api/accounts/users/{public_id}/role", "POST /api/kyc/submissions/{public_id}/approve",
                "GET /api/audit", "GET /api/kyc/submissions", "GET /api/products", "POST /api/auth/refresh"}
    missing = expected - labels
    assert not missing, f"schema enumeration lost endpoints: {missing}"
    return len(endpoints) >= len(expected)


def test_idempotency_key_of_a_does_not_replay_on_b(victim, attacker_tokens):
    """B's finance posting with A's key and A's exact body gets B's own answer (404: no such user in B)."""
    tokens = attacker_tokens("quickvend", "quickvend.localhost")
    with nothing_changes(victim.schema, "quickvend"):  # no adjustment on either side, no key stored, no audit
        response = Client().post("/api/wallet/adjustments", json.dumps({"user": victim.ids["user"],
                                                                         "amount": "25.00", "reason": "goodwill"}),
                                 content_type="application/json", HTTP_HOST="quickvend.localhost",
                                 HTTP_AUTHORIZATION=f"Bearer {tokens['finance']}",
                                 HTTP_IDEMPOTENCY_KEY=victim.ids["idempotency_key"])
        assert response.status_code == 404, response.content
    assert "Idempotency-Replayed" not in response
    assert not victim.leaked_in(response.content.decode())


def test_the_attacks_can_fail(victim, attacker_tokens, settings):
    """Trusting X-Forwarded-Host (a classic proxy misconfiguration) must make the forged-host attack
    succeed and the judge report it: proof that a green run above means something."""
    settings.USE_X_FORWARDED_HOST = True
    tokens = attacker_tokens("sn", ATTACKERS["sn"])
    forged = next(a for a in attacks(victim, "sn", tokens) if a.name == "a-token-on-b-forwarded-host-a")
    endpoint = next(e for e in enumerate_endpoints(SURFACES[0], victim.domain) if e.label == "GET /api/accounts/users")
    response = send(Client(), forged, endpoint, endpoint.path, {}, idempotency_key="x")
    problems = judge(endpoint, forged, response, victim)
    assert response.status_code == 200
    assert any("leaked" in p for p in problems) and any("expected 401/403/404" in p for p in problems)


def test_the_victim_ids_are_real_objects_of_a(victim):
    """The ids the attacks aim at are A's real objects: A's own customer reads each of them (200) on A,
    so the refusals above are about the tenant, not about an id that exists nowhere."""
    client = Client(HTTP_HOST=victim.domain, HTTP_AUTHORIZATION=f"Bearer {victim.ids['customer_access']}")
    for path in (f"/api/purchases/{victim.ids['order']}", f"/api/subscriptions/{victim.ids['subscription']}",
                 f"/api/transfers/{victim.ids['transfer']}", f"/api/wallet/fund/{victim.ids['funding_intent']}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
