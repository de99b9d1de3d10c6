"""The world the input attacks (issue 14, items 5 and 6) run against, and how they send requests.

Every provider and gateway is registered on a closed port: a refused body must be
refused before anything is sent anywhere, so nothing here needs a simulator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.test.client import encode_multipart
from django.utils import timezone
from django_tenants.utils import schema_context

DEAD_URL = "http://127.0.0.1:9"  # nothing listens: any outbound call would fail loudly
HOSTS = {"ng": "ng.localhost", "sn": "sn.localhost", "gh": "gh.localhost", "quickvend": "quickvend.localhost",
         "public": "localhost"}
PHONES = {"ng": "+234803", "sn": "+22177", "gh": "+233244", "quickvend": "+234803"}
BOUNDARY = "nexustop-attack-boundary"


@dataclass
class Person:
    user: Any
    token: str
    schema: str


@dataclass
class World:
    customer: Person  # ng, phone verified, empty wallet
    other: Person  # ng, another customer (a transfer recipient)
    finance: Person  # ng operator_finance
    admin: Person  # ng operator_admin
    sn_customer: Person
    gh_customer: Person
    reseller_admin: Person  # quickvend operator_admin
    agent: Any  # quickvend Agent row
    product: Any  # an NG open-amount airtime product (registry row on a dead URL)
    secrets: dict[str, str]
    cash_agent: Person | None = None  # ng, an agent (phone verified) serving cash-in / cash-out, empty float
    # Path and body placeholders ("{merchant}", ...) for the merchant and savings endpoints (money_objects).
    ids: dict[str, str] = field(default_factory=dict)


def person(schema: str, role: str = "customer") -> Person:
    import random

    from tenant_apps.accounts.models import User
    from tenant_apps.accounts.tokens import tokens_for_user

    phone = PHONES[schema] + "".join(random.choices("0123456789", k=7 if schema != "gh" else 6))
    with schema_context(schema):
        user = User.objects.create_user(email=f"in-{uuid.uuid4().hex[:12]}@example.test", role=role, phone=phone,
                                        phone_verified_at=timezone.now(), password="Input-attack-2026!")
        access, _refresh = tokens_for_user(user)
    return Person(user, access, schema)


def build_world() -> World:
    from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGGREGATOR_CREDENTIALS
    from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
    from shared_apps.catalog.models import Product
    from shared_apps.providers.services import provider_register
    from tenant_apps.agents.services import add_agent
    from tenant_apps.wallet.demo import GATEWAY_CREDENTIALS, gateway_provider_spec
    from tests.orders.helpers import VTPASS_API_KEYS

    for country, key, options in (("NG", "paystack", {}), ("NG", "flutterwave", {}), ("GH", "mtn_momo", {}),
                                  ("SN", "orange_money", {"country": "sn", "currency": "XOF"}),
                                  ("SN", "wave", {}), ("SN", "cinetpay", {}),
                                  ("NG", "airtel_money", {"country": "NG", "currency": "NGN"})):
        provider_register(**gateway_provider_spec(country=country, key=key, base_url=DEAD_URL, options=options))
    tag = uuid.uuid4().hex[:6]
    vtpass = provider_register(name=f"VTPass input {tag}", country="NG", plugin_key="vtpass", base_url=DEAD_URL,
                               capabilities=["airtime", "data"], credentials=VTPASS_API_KEYS, routing_priority=1,
                               timeout_seconds=1)
    provider_register(name=f"DT One input {tag}", country="NG", plugin_key="dtone", base_url=DEAD_URL + "/v1",
                      capabilities=["airtime"], credentials=dict(DTONE_CREDENTIALS), routing_priority=2,
                      timeout_seconds=1)
    provider_register(name=f"Aggregator input {tag}", country="GH", plugin_key="aggregator", base_url=DEAD_URL,
                      capabilities=["airtime"], credentials=dict(AGGREGATOR_CREDENTIALS),
                      options={"countries": ["GH"]}, routing_priority=1, timeout_seconds=1)
    product = Product.objects.create(provider=vtpass, provider_product_code=f"mtn-{tag}", product_type="airtime",
                                     name="MTN Airtime", country="NG", currency="NGN", operator="mtn",
                                     min_amount_minor=5_000, max_amount_minor=5_000_000, cost_rate_bp=9_700)
    reseller_admin = person("quickvend", "operator_admin")
    agent_person = person("quickvend", "agent")
    with schema_context("quickvend"):
        agent = add_agent(user=agent_person.user, parent=None)
    world = World(customer=person("ng"), other=person("ng"), finance=person("ng", "operator_finance"),
                  admin=person("ng", "operator_admin"), sn_customer=person("sn"), gh_customer=person("gh"),
                  reseller_admin=reseller_admin, agent=agent, product=product,
                  secrets={"paystack": GATEWAY_CREDENTIALS["paystack"]["secret_key"],
                           "flutterwave": GATEWAY_CREDENTIALS["flutterwave"]["secret_hash"],
                           "aggregator": AGGREGATOR_CREDENTIALS["webhook_secret"],
                           "wave": GATEWAY_CREDENTIALS["wave"]["webhook_secret"],
                           "cinetpay": GATEWAY_CREDENTIALS["cinetpay"]["secret_key"],
                           "cinetpay_site": GATEWAY_CREDENTIALS["cinetpay"]["site_id"],
                           "airtel": GATEWAY_CREDENTIALS["airtel_money"]["callback_key"]},
                  cash_agent=person("ng", "agent"))
    world.ids = money_objects(world)
    return world


def money_objects(world: World) -> dict[str, str]:
    """An approved business of ``other`` with one payment from a funded payer, and a goal of ``customer`` (whose
    wallet stays empty): what the merchant and savings amount endpoints need to reach their amount."""
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.merchants import services as merchants
    from tenant_apps.savings.goals import goal_create

    with schema_context("ng"):
        merchant = merchants.merchant_register(owner=world.other.user, business_name="Input Bakery",
                                               category_code="groceries", city="Lagos", address="1 Input Street")
        merchant = merchants.merchant_decide(reviewer=world.admin.user, merchant=merchant, action="approve")
        payer = person("ng").user
        fund_wallet(wallet=wallet_for(user=payer), amount=100_000, reference=f"test:input-payer-{payer.pk}")
        payment = merchants.merchant_pay(payer=payer, payee=merchants.payee_from_code(merchant.code),
                                         amount_minor=20_000)
        goal = goal_create(owner=world.customer.user, name="Input goal", target_minor=50_000)
    return {"merchant": str(merchant.public_id), "merchant_code": merchant.code, "payment": str(payment.public_id),
            "goal": str(goal.public_id)}


_CLIENT: list[Client] = []


def client() -> Client:
    """One client for the session: building one loads the middleware (WhiteNoise scans every static file).

    ``raise_request_exception=False``: a 500 is an answer to assert on, not an exception. No cookies are kept
    between requests (the API is stateless; each request says who it is).
    """
    if not _CLIENT:
        _CLIENT.append(Client(raise_request_exception=False))
    _CLIENT[0].cookies.clear()
    return _CLIENT[0]


def send(method: str, host: str, path: str, body: bytes = b"", *, content_type: str = "application/json",
         token: str = "", headers: dict[str, str] | None = None, query: str = "") -> Any:
    extra: dict[str, Any] = {"HTTP_HOST": HOSTS.get(host, host), "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    target = f"{path}?{query}" if query else path
    return client().generic(method, target, data=body, content_type=content_type, **extra)


def send_json(method: str, host: str, path: str, payload: Any, **kwargs: Any) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send(method, host, path, raw, **kwargs)


def multipart_with_file(**fields: Any) -> tuple[bytes, str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"amount": "100", **fields, "document": SimpleUploadedFile("x.png", b"\x89PNG" + b"0" * 512, "image/png")}
    return encode_multipart(BOUNDARY, data), f"multipart/form-data; boundary={BOUNDARY}"


def with_amount(template: Any, amount_json: str) -> bytes:
    """``template`` as JSON with the placeholder string ``"@AMOUNT@"`` replaced by a raw JSON value."""
    return json.dumps(template).replace('"@AMOUNT@"', amount_json).encode()


def paystack_headers(secret: str, body: bytes) -> dict[str, str]:
    return {"X-Paystack-Signature": hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()}


def wave_headers(secret: str, body: bytes) -> dict[str, str]:
    from provider_plugins.wave.connector import wave_signature

    stamp = int(time.time())
    return {"Wave-Signature": f"t={stamp},v1={wave_signature(secret, stamp, body)}"}


def cinetpay_headers(secret: str, body: bytes) -> dict[str, str]:
    """``x-token`` over the form's fields, as CinetPay signs a payment notification."""
    from urllib.parse import parse_qsl

    from provider_plugins.cinetpay.connector import notification_token

    return {"x-token": notification_token(dict(parse_qsl(body.decode(), keep_blank_values=True)), secret)}


def airtel_signed(key: str, body: bytes) -> bytes:
    """The body with Airtel's ``hash`` (HMAC of the ``transaction`` object) appended, the rest byte for byte (a
    hostile number literal stays as written), as an authenticated callback."""
    from provider_plugins.airtel_money.connector import callback_hash

    digest = callback_hash(json.loads(body)["transaction"], key)
    return body.rstrip()[:-1] + f', "hash": "{digest}"}}'.encode()


def aggregator_headers(secret: str, body: bytes) -> dict[str, str]:
    from provider_plugins.aggregator.protocol import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature

    stamp = str(int(time.time()))
    return {SIGNATURE_HEADER: webhook_signature(secret, body, stamp), TIMESTAMP_HEADER: stamp}


def error_of(response: Any) -> dict[str, Any]:
    from nexustop_dev.fuzz import error_shape_problems

    assert response.status_code >= 400, (response.status_code, response.content[:300])
    problems = error_shape_problems(response)
    assert problems == [], problems
    return json.loads(response.content)["error"]


INTERNALS = ("Traceback", "decimal.", "<class", "ConversionSyntax", "InvalidOperation", "RecursionError",
             "SECRET_KEY", "DATABASES", "File \"", "django.", "psycopg")


def assert_no_internals(response: Any) -> None:
    text = response.content.decode("utf-8", "replace")
    leaked = [marker for marker in INTERNALS if marker in text]
    assert leaked == [], (leaked, text[:500])


def fingerprint(schemas: tuple[str, ...] = ("ng", "sn", "gh", "quickvend", "public")) -> dict[str, Any]:
    from tests.support.attack import schema_fingerprint

    return {schema: schema_fingerprint(schema) for schema in schemas}


def written(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    from tests.support.attack import fingerprint_diff

    return {schema: diff for schema in before if (diff := fingerprint_diff(before[schema], after[schema]))}
