"""Tools for tenant-isolation attacks: endpoint enumeration, schema fingerprints, forged tokens.

The attack suite (tests/isolation/) reads the endpoints from the tenant domain's
OpenAPI schema, so a new endpoint is attacked without anyone editing the suite.
What an endpoint needs to be attacked well (a victim id for a path parameter, a
body that references the victim's objects) is looked up here by path; an
endpoint with a path parameter nobody taught this module about fails the suite
with a message saying what to add.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.conf import settings
from django.db import connection

from tenants.schema import quote_ident

METHODS = ("get", "post", "put", "patch", "delete")
REFUSED = {401, 403, 404}


@dataclass(frozen=True)
class Endpoint:
    method: str  # upper case
    path: str  # OpenAPI template, e.g. /api/accounts/users/{public_id}/role
    path_params: tuple[str, ...]
    body_schema: dict[str, Any] | None
    content_types: tuple[str, ...]
    secured: bool  # requires a bearer token (no anonymous alternative in `security`)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def endpoints_from_schema(schema: dict[str, Any]) -> list[Endpoint]:
    """Every operation of an OpenAPI 3 document (refs in request bodies resolved one level)."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in sorted(schema["paths"].items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = tuple(p["name"] for p in operation.get("parameters", []) + item.get("parameters", [])
                           if p.get("in") == "path")
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = None
            if content:
                first = content.get("application/json") or next(iter(content.values()))
                body_schema = resolve(first.get("schema", {}), components)
            security = operation.get("security", schema.get("security", []))
            secured = bool(security) and all(requirement for requirement in security)
            found.append(Endpoint(method.upper(), path, params, body_schema, tuple(content), secured))
    return found


def resolve(node: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return resolve(components[node["$ref"].rsplit("/", 1)[-1]], components)
    if "allOf" in node and len(node["allOf"]) == 1:
        return resolve(node["allOf"][0], components)
    if node.get("type") == "object":
        props = {name: resolve(value, components) for name, value in node.get("properties", {}).items()}
        return {**node, "properties": props}
    return node


# --- What the victim tenant owns -------------------------------------------------------------


@dataclass
class Victim:
    """Tenant A's objects the attacks aim at, and the strings that must never leak out of A."""

    schema: str
    domain: str
    ids: dict[str, str]  # "user", "kyc_submission", ... -> public id
    markers: set[str] = field(default_factory=set)  # emails, ids, phones of A

    def leaked_in(self, text: str) -> list[str]:
        return sorted(marker for marker in self.markers if marker and marker in text)


# Path parameters: (path pattern, parameter) -> which of the victim's ids to use.
PATH_PARAMETER_IDS: list[tuple[re.Pattern[str], str, Callable[[Victim], str]]] = [
    (re.compile(r"^/api/accounts/users/"), "public_id", lambda v: v.ids["user"]),
    (re.compile(r"^/api/kyc/submissions/"), "public_id", lambda v: v.ids["kyc_submission"]),
    # A's order waiting in manual review (staff API).
    (re.compile(r"^/api/staff/orders/"), "public_id", lambda v: v.ids["review_order"]),
    # Not tenant data: the shared country configuration (same answer on every domain).
    (re.compile(r"^/api/countries/"), "code", lambda v: "NG"),
    # The victim's reseller (quickvend is ng's reseller brand).
    (re.compile(r"^/api/resellers/\{schema\}/"), "schema", lambda v: "quickvend"),
    # Tenant A's real objects (tests/isolation/conftest.py seeds one of each kind in the victim fixture).
    (re.compile(r"^/api/purchases/"), "public_id", lambda v: v.ids["order"]),
    (re.compile(r"^/api/subscriptions/"), "public_id", lambda v: v.ids["subscription"]),
    (re.compile(r"^/api/transfers/"), "public_id", lambda v: v.ids["transfer"]),
    (re.compile(r"^/api/wallet/fund/"), "public_id", lambda v: v.ids["funding_intent"]),
    (re.compile(r"^/api/wallet/funding-reviews/"), "public_id", lambda v: v.ids["funding_intent"]),
    (re.compile(r"^/api/agents/"), "agent_id", lambda v: v.ids["agent"]),
    (re.compile(r"^/api/resellers/api-keys/"), "key_id", lambda v: v.ids["api_key"]),
    (re.compile(r"^/api/resellers/applications/"), "application_id", lambda v: v.ids["reseller_application"]),
    (re.compile(r"^/api/pricing/rules/"), "rule_id", lambda v: v.ids["price_rule"]),
    (re.compile(r"^/api/resellers/webhooks/deliveries/"), "delivery_id", lambda v: v.ids["webhook_delivery"]),
    (re.compile(r"^/api/cash/(in|transactions)/"), "public_id", lambda v: v.ids["cash_transaction"]),
    (re.compile(r"^/api/cash/withdrawal-codes/"), "public_id", lambda v: v.ids["withdrawal_code"]),
    # Merchant payments and savings (tenant_apps.merchants, tenant_apps.savings).
    (re.compile(r"^/api/merchants/"), "public_id", lambda v: v.ids["merchant"]),
    (re.compile(r"^/api/merchants/"), "payment_id", lambda v: v.ids["merchant_payment"]),
    (re.compile(r"^/api/merchant-payments/"), "public_id", lambda v: v.ids["merchant_payment"]),
    (re.compile(r"^/api/staff/merchants/"), "public_id", lambda v: v.ids["merchant"]),
    (re.compile(r"^/api/staff/merchant-payments/"), "public_id", lambda v: v.ids["merchant_payment"]),
    # Category codes exist in every tenant (seeded): B's admin edits B's own category, never A's.
    (re.compile(r"^/api/staff/merchant-categories/"), "code", lambda v: "groceries"),
    (re.compile(r"^/api/savings/circles/"), "public_id", lambda v: v.ids["circle"]),
    (re.compile(r"^/api/savings/circles/"), "member_id", lambda v: v.ids["circle_member"]),
    (re.compile(r"^/api/staff/savings/circles/"), "public_id", lambda v: v.ids["circle"]),
    (re.compile(r"^/api/savings/contributions/"), "public_id", lambda v: v.ids["contribution"]),
    (re.compile(r"^/api/savings/goals/"), "public_id", lambda v: v.ids["goal"]),
    (re.compile(r"^/api/bulk-topups/"), "public_id", lambda v: v.ids["bulk_batch"]),
    # Remittances (tenant_apps.remittances): A's quote and A's remittance held for review; corridor codes are
    # countries (B's admin edits B's own corridor, never A's).
    (re.compile(r"^/api/remittances/quotes/"), "public_id", lambda v: v.ids["remittance_quote"]),
    (re.compile(r"^/api/remittances/"), "public_id", lambda v: v.ids["remittance"]),
    (re.compile(r"^/api/staff/remittances/"), "public_id", lambda v: v.ids["remittance"]),
    (re.compile(r"^/api/staff/remittance-corridors/"), "country", lambda v: "GH"),
    # A receipt is one of A's objects named by kind and id: A's order.
    (re.compile(r"^/api/receipts/"), "kind", lambda v: "order"),
    (re.compile(r"^/api/receipts/"), "public_id", lambda v: v.ids["order"]),
    (re.compile(r"^/api/risk/rules/"), "public_id", lambda v: v.ids["risk_rule"]),
    (re.compile(r"^/api/risk/decisions/"), "public_id", lambda v: v.ids["risk_decision"]),
    (re.compile(r"^/api/risk/step-up/"), "public_id", lambda v: v.ids["step_up"]),
    (re.compile(r"^/api/auth/devices/"), "public_id", lambda v: v.ids["device"]),
    # Data-subject rights (tenant_apps.privacy): A's export, A's customer.
    (re.compile(r"^/api/privacy/exports/"), "public_id", lambda v: v.ids["data_export"]),
    (re.compile(r"^/api/privacy/users/"), "public_id", lambda v: v.ids["user"]),
]

# Path parameters that name one of the victim's own objects (``code`` and ``schema`` name shared things).
VICTIM_PATH_PARAMETERS = {"public_id", "id", "pk", "agent_id", "key_id", "application_id", "rule_id", "delivery_id",
                          "payment_id", "member_id"}

# Body fields that name one of the victim's objects.
BODY_FIELD_IDS: dict[str, str] = {"user": "user", "user_id": "user", "public_id": "user", "wallet": "user",
                                  "submission": "kyc_submission", "recipient": "user_email",
                                  "quote": "remittance_quote"}


# Values that make a body well-formed, so the attack reaches the object lookup instead of stopping at
# validation (e.g. a P2P transfer aimed at A's user, not a malformed bank transfer).
# "10": a valid amount in every currency (XOF has no decimals: "10.00" is refused there by the money rule).
WELL_FORMED_VALUES: dict[str, str] = {"amount": "10", "type": "p2p", "note": "attack"}
# Optional fields sent anyway so the request gets past validation to the lookup (a reject needs a note).
OPTIONAL_FIELDS_SENT = {"note"}


# Body fields that carry one of the victim's secrets (its refresh token).
SECRET_FIELDS = {"refresh"}


class UncoveredEndpoint(AssertionError):
    pass


def victim_path(endpoint: Endpoint, victim: Victim) -> str:
    path = endpoint.path
    for name in endpoint.path_params:
        for pattern, param, pick in PATH_PARAMETER_IDS:
            if param == name and pattern.search(endpoint.path):
                path = path.replace("{" + name + "}", pick(victim))
                break
        else:
            raise UncoveredEndpoint(
                f"{endpoint.label}: no victim id for path parameter {name!r}; add it to "
                "tests/support/attack.py PATH_PARAMETER_IDS (and create the object in the victim fixture)")
    return path


def sample_value(name: str, node: dict[str, Any], victim: Victim) -> Any:
    if name in BODY_FIELD_IDS and BODY_FIELD_IDS[name] in victim.ids:
        return victim.ids[BODY_FIELD_IDS[name]]
    if name in WELL_FORMED_VALUES:
        return WELL_FORMED_VALUES[name]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "string")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return victim_body(node, victim)
    fmt = node.get("format")
    if fmt == "decimal":
        return "10"
    if fmt == "uuid":
        return victim.ids.get("user", "00000000-0000-0000-0000-000000000000")
    if fmt == "email" or name == "email":
        return f"attacker-{name}@example.test"
    if name == "password":
        return "Attack-password-2026!"
    if name == "phone":
        return "+2348039990000"
    if name == "refresh":
        return victim.ids.get("refresh", "x")
    return "x"


def victim_body(schema: dict[str, Any] | None, victim: Victim) -> dict[str, Any]:
    """A body with every property filled, object references pointing at the victim's objects."""
    if not schema:
        return {}
    required = set(schema.get("required", []))
    return {name: sample_value(name, node, victim) for name, node in schema.get("properties", {}).items()
            if not node.get("readOnly") and (name in required or name in BODY_FIELD_IDS or name in SECRET_FIELDS
                                             or name in OPTIONAL_FIELDS_SENT)}


def references_victim(endpoint: Endpoint) -> bool:
    """Does the attack on this endpoint aim at one of the victim's objects or secrets (path or body)?"""
    if any(name in VICTIM_PATH_PARAMETERS for name in endpoint.path_params):
        return True
    props = (endpoint.body_schema or {}).get("properties", {})
    return any(name in BODY_FIELD_IDS or name in SECRET_FIELDS for name in props)


# --- Fingerprint of a schema's rows -----------------------------------------------------------


def schema_fingerprint(schema: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row of every table in ``schema`` (order independent)."""
    quoted = quote_ident(schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_type = 'BASE TABLE' ORDER BY table_name", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        if not tables:
            return {}
        # One statement for every table (the isolation suite takes ~1,000 fingerprints: a round trip per table
        # was most of its time).
        cursor.execute(" UNION ALL ".join(
            f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM {quoted}."{table}" t' for table in tables), tables)
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def fingerprint_diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> dict[str, Any]:
    return {table: (before.get(table), after.get(table)) for table in set(before) | set(after)
            if before.get(table) != after.get(table)}


# --- Tokens -----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token: str) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[1]))


def with_claims_unsigned(token: str, **changes: Any) -> str:
    """The same token with changed claims and its ORIGINAL signature (what an attacker can do)."""
    header, payload, signature = token.split(".")
    claims = {**json.loads(_unb64(payload)), **changes}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def resigned(token: str, **changes: Any) -> str:
    """The token with changed claims, re-signed with the REAL key (an insider / leaked key scenario)."""
    claims = {**claims_of(token), **changes}
    return jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=settings.SIMPLE_JWT["ALGORITHM"])


def alg_none(token: str, **changes: Any) -> str:
    claims = {**claims_of(token), **changes}
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."


# --- Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    """One way of reaching tenant A's data from outside A."""

    name: str
    host: str  # HTTP_HOST
    token: str
    extra: tuple[tuple[str, str], ...] = ()  # WSGI environ additions (forged headers)
    own_domain: bool = False  # the caller is legitimately on its own tenant (B on B)


def send(client: Any, attack: Attack, endpoint: Endpoint, path: str, body: dict[str, Any], *,
         idempotency_key: str) -> Any:
    headers = {"HTTP_HOST": attack.host, **dict(attack.extra)}
    if attack.token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {attack.token}"
    if endpoint.method in ("POST", "PUT", "PATCH"):
        # A's own key: a replay across tenants would hand back A's stored response.
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    sender = getattr(client, endpoint.method.lower())
    if endpoint.method in ("GET", "DELETE"):
        return sender(path, **headers)
    return sender(path, json.dumps(body), content_type="application/json", **headers)


def labels(endpoints: Iterable[Endpoint]) -> list[str]:
    return [endpoint.label for endpoint in endpoints]
