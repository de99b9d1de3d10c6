"""Issue 14, item 6: every URL pattern (API and webhooks, tenant and head-office domains) gets the hostile bodies.

The endpoints are read from the URL configuration itself, so a new endpoint is attacked without
anyone editing this file. For each one and each method it takes a body with: JSON nested deeper
than the limit, 100 KB of ``[``, an oversized body, a media type it does not take, a multipart
file. Then every amount field of every endpoint that reads amounts (API bodies, a query string,
provider webhooks, signed where the provider signs) gets every class of bad amount. Expected: a
4xx in ``{"error": {"code", "message", "fields"}}`` (``invalid_amount`` for every bad amount on
the API), never a 5xx, and not one row written in any schema.

An endpoint that reads amounts but is not in ``AMOUNT_ENDPOINTS`` fails the suite
(``test_every_endpoint_that_reads_an_amount_is_attacked``), as does a writable serializer field
named like an amount that is not an ``AmountField``.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import URLResolver, get_resolver

from shared_apps.core.request_guard import body_policy
from tests.security.inputs import aggregator_headers as _aggregator_headers
from tests.security.inputs import (
    airtel_signed,
    assert_no_internals,
    build_world,
    cinetpay_headers,
    error_of,
    fingerprint,
    multipart_with_file,
    paystack_headers,
    send,
    wave_headers,
    with_amount,
    written,
)

URLCONFS = {"ng": "nexustop.urls_tenant", "public": "nexustop.urls_public"}
CONVERTER_SAMPLES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "slug": lambda: "x", "str": lambda: "x",
                     "path": lambda: "x"}


def url_patterns(urlconf: str) -> list[tuple[str, Any]]:
    """(route, view) for every pattern under /api/ and /webhook/, includes flattened."""
    def visit(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from visit(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    return [("/" + route, view) for route, view in visit(get_resolver(urlconf).url_patterns, "")
            if route.startswith(("api/", "webhook/"))]


def concrete(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_SAMPLES[m.group(1) or "str"](), route)


def body_method(view: Any) -> str:
    """A method the view takes a body with (the guard refuses before the view, so one is enough)."""
    view_class = getattr(view, "cls", None)
    if view_class is None:
        return "POST"  # plain Django views: the webhooks
    return next((m.upper() for m in ("post", "put", "patch") if hasattr(view_class, m)), "POST")


def takes_multipart(view: Any, route: str) -> bool:
    return "multipart/form-data" in body_policy(view, route).media_types


HOSTILE_BODIES: dict[str, tuple[bytes, str, int | None, str | None]] = {
    # name: (body, content type, expected status, expected code)
    "JSON nested 20 KB deep (under the size limit)": (b"[" * 20_000, "application/json", 400, "malformed_request"),
    "100 KB of [ (oversized)": (b"[" * 100_000, "application/json", 413, "request_too_large"),
    "wrong media type": (b"amount=100", "text/plain", 415, "unsupported_media_type"),
}


@pytest.fixture
def world(db):
    return build_world()


def test_every_endpoint_refuses_hostile_bodies_with_a_4xx_and_writes_nothing(world):
    patterns = {host: url_patterns(conf) for host, conf in URLCONFS.items()}
    assert len(patterns["ng"]) > 60 and any(route == "/webhook/orange" for route, _ in patterns["ng"])
    tokens = {"ng": world.customer.token, "public": ""}
    multipart, multipart_type = multipart_with_file(type="p2p", recipient="+2348030000000")
    before = fingerprint()
    failures = []
    sent = 0
    for host, rows in patterns.items():
        for route, view in rows:
            path, method = concrete(route), body_method(view)
            attacks = dict(HOSTILE_BODIES)
            # Views that take files (KYC, reseller applications) read the multipart body: any 4xx, never a 5xx.
            uploads = takes_multipart(view, route)
            attacks["multipart file"] = (multipart, multipart_type, None if uploads else 415,
                                         None if uploads else "unsupported_media_type")
            takes_json = "application/json" in body_policy(view, route).media_types
            for name, (body, content_type, status, code) in attacks.items():
                if content_type == "application/json" and not takes_json:  # a form-only view (CinetPay's)
                    status, code = 415, "unsupported_media_type"
                response = send(method, host, path, body, content_type=content_type, token=tokens[host])
                sent += 1
                try:
                    error = error_of(response)
                    assert response.status_code < 500
                    if status is not None:
                        assert (response.status_code, error["code"]) == (status, code)
                    assert_no_internals(response)
                except AssertionError as exc:
                    failures.append(f"{method} {route} [{name}]: {response.status_code} "
                                    f"{response.content[:160]!r} {exc}")
    assert failures == [], "\n".join(failures)
    assert written(before, fingerprint()) == {}
    assert sent >= 4 * 80


# --- bad amounts in every amount field ---------------------------------------------------------------

# Raw JSON values (strings quoted, numbers bare): every class of input the money rule refuses.
BAD_AMOUNTS = ['"1e999990"', "1e400000", '"NaN"', '"Infinity"', '"abc"', '"1_000"', '" 100"', '"+100"', '"١٠٠"',
               '"100.001"', '"1,000"', '"9999999999999999999999999999999999999999"', "1.5e3", "true", "[]", '"-100"']


@dataclass(frozen=True)
class AmountEndpoint:
    view: str  # the view's class or function name (the coverage check matches on it)
    method: str
    host: str
    path: str  # "{agent}" and "{product}" are filled from the world
    who: str  # a World attribute holding the caller, or "" (webhooks)
    body: Any  # "@AMOUNT@" marks the amount; None: the amount goes in the query string
    signed: bool = False  # "-100" is a valid amount here
    sign: str = ""  # "paystack" | "aggregator" | "wave" | "cinetpay" | "airtel": sign the body as that provider does
    headers: tuple[tuple[str, str], ...] = ()
    form: bool = False  # an HTML-form body (CinetPay's notifications): the amount is the text of the raw value
    field: str = "amount"  # the amount's field name (the API names it in the error)


AMOUNT_ENDPOINTS = [
    AmountEndpoint("FundView", "POST", "ng", "/api/wallet/fund", "customer",
                   {"gateway": "paystack", "amount": "@AMOUNT@"}),
    AmountEndpoint("TransfersView", "POST", "ng", "/api/transfers", "customer",
                   {"type": "p2p", "recipient": "+2348030000000", "amount": "@AMOUNT@"}),
    AmountEndpoint("PurchaseView", "POST", "ng", "/api/purchase", "customer",
                   {"product_id": "{product}", "recipient_phone": "08031234567", "amount": "@AMOUNT@"}),
    AmountEndpoint("SubscriptionListView", "POST", "ng", "/api/subscriptions", "customer",
                   {"product_id": "{product}", "frequency": "daily", "recipient_phone": "08031234567",
                    "amount": "@AMOUNT@"}),
    AmountEndpoint("WalletAdjustmentView", "POST", "ng", "/api/wallet/adjustments", "finance",
                   {"user": "{customer}", "amount": "@AMOUNT@", "reason": "attack"}, signed=True),
    AmountEndpoint("PriceRulesView", "POST", "ng", "/api/pricing/rules", "admin",
                   {"mode": "fixed", "amount": "@AMOUNT@"}, signed=True),
    AmountEndpoint("QuotePreviewView", "GET", "ng", "/api/pricing/quote", "admin", None),
    AmountEndpoint("FloatFundView", "POST", "ng", "/api/resellers/quickvend/float", "finance",
                   {"amount": "@AMOUNT@"}),
    AmountEndpoint("MyFloatFundView", "POST", "quickvend", "/api/resellers/float/fund", "reseller_admin",
                   {"amount": "@AMOUNT@", "gateway": "paystack"}),
    AmountEndpoint("AgentDetailView", "PATCH", "quickvend", "/api/agents/{agent}", "reseller_admin",
                   {"max_amount_per_day": "@AMOUNT@"}),
    AmountEndpoint("AgentFundView", "POST", "quickvend", "/api/agents/{agent}/fund", "reseller_admin",
                   {"amount": "@AMOUNT@"}),
    AmountEndpoint("PinPolicyView", "PATCH", "ng", "/api/pin/policy", "admin", {"web_api_threshold": "@AMOUNT@"}),
    # Merchant payments and savings (issue 17): "{merchant}", "{payment}", "{goal}" from World.ids.
    AmountEndpoint("MerchantPaymentsView", "POST", "ng", "/api/merchant-payments", "customer",
                   {"merchant_code": "{merchant_code}", "amount": "@AMOUNT@"}),
    AmountEndpoint("PaymentRequestView", "POST", "ng", "/api/merchants/{merchant}/payment-requests", "other",
                   {"amount": "@AMOUNT@"}),
    AmountEndpoint("RefundView", "POST", "ng", "/api/merchants/{merchant}/payments/{payment}/refunds", "other",
                   {"amount": "@AMOUNT@", "reason": "attack"}),
    AmountEndpoint("StaffRefundView", "POST", "ng", "/api/staff/merchant-payments/{payment}/refunds", "finance",
                   {"amount": "@AMOUNT@", "reason": "attack"}),
    AmountEndpoint("StaffCategoryView", "PUT", "ng", "/api/staff/merchant-categories/groceries", "admin",
                   {"rate_bps": 100, "fee_fixed": "@AMOUNT@"}, field="fee_fixed"),
    AmountEndpoint("CircleListView", "POST", "ng", "/api/savings/circles", "customer",
                   {"name": "Input circle", "contribution": "@AMOUNT@", "frequency": "weekly"}, field="contribution"),
    AmountEndpoint("GoalListView", "POST", "ng", "/api/savings/goals", "customer",
                   {"name": "Input goal", "target": "@AMOUNT@"}, field="target"),
    AmountEndpoint("GoalDepositView", "POST", "ng", "/api/savings/goals/{goal}/deposits", "customer",
                   {"amount": "@AMOUNT@"}),
    AmountEndpoint("GoalWithdrawView", "POST", "ng", "/api/savings/goals/{goal}/withdrawals", "customer",
                   {"amount": "@AMOUNT@"}),
    AmountEndpoint("GoalAutosaveView", "PUT", "ng", "/api/savings/goals/{goal}/autosave", "customer",
                   {"amount": "@AMOUNT@", "frequency": "weekly"}),
    # Remittances (issue 17): a quote (no corridor to GH in this world: a good amount stops at 422
    # corridor_unavailable, before any provider call) and a corridor's fixed fee.
    AmountEndpoint("QuoteView", "POST", "ng", "/api/remittances/quotes", "customer",
                   {"destination_country": "GH", "method": "wallet", "sender_name": "Ada Obi",
                    "recipient_name": "Kofi Mensah", "recipient_phone": "+233244123456", "amount": "@AMOUNT@"}),
    AmountEndpoint("StaffCorridorView", "PUT", "ng", "/api/staff/remittance-corridors/GH", "admin",
                   {"margin_bps": 150, "rate_bps": 100, "fee_fixed": "@AMOUNT@"}, field="fee_fixed"),
    # Risk rules (inactive: nothing the attack creates screens another request).
    AmountEndpoint("RulesView", "POST", "ng", "/api/risk/rules", "admin",
                   {"name": "attack", "rule_type": "amount_above", "action": "block", "is_active": False,
                    "threshold_amount": "@AMOUNT@"}),
    AmountEndpoint("RuleDetailView", "PATCH", "ng", "/api/risk/rules/{risk_rule}", "admin",
                   {"threshold_amount": "@AMOUNT@"}),
    # Provider webhooks: the amount inside the provider's own body, signed where the provider signs.
    AmountEndpoint("vtpass_webhook", "POST", "ng", "/webhook/vtpass", "", {"type": "transaction-update", "data": {
        "requestId": "202601011200abcdef", "code": "000", "amount": "@AMOUNT@",
        "content": {"transactions": {"status": "delivered"}}}}),
    AmountEndpoint("aggregator_webhook", "POST", "gh", "/webhook/aggregator", "", {"data": {
        "customIdentifier": "nt-attack", "status": "SUCCESSFUL", "deliveredAmount": "@AMOUNT@",
        "deliveredAmountCurrencyCode": "GHS"}}, sign="aggregator"),
    AmountEndpoint("dtone_webhook", "POST", "ng", "/webhook/dtone", "", {
        "id": 8100000001, "external_id": "nt-attack", "status": {"id": 70000, "message": "COMPLETED",
                                                                "class": {"id": 7, "message": "COMPLETED"}},
        "adjusted_values": {"destination": {"unit_type": "CURRENCY", "unit": "NGN", "amount": "@AMOUNT@"}}}),
    AmountEndpoint("orange_webhook_view", "POST", "sn", "/webhook/orange", "",
                   {"transaction_ref": "nt-attack", "amount": "@AMOUNT@", "status": "SUCCESS"}),
    AmountEndpoint("mtn_momo_webhook_view", "PUT", "gh", "/webhook/mtn_momo", "",
                   {"externalId": "nt-attack", "amount": "@AMOUNT@", "currency": "GHS", "status": "SUCCESSFUL"}),
    AmountEndpoint("flutterwave_webhook_view", "POST", "ng", "/webhook/flutterwave", "", {
        "event": "charge.completed", "data": {"id": 1234567, "tx_ref": "nt-attack", "amount": "@AMOUNT@",
                                              "currency": "NGN", "status": "successful"}},
                   headers=(("verif-hash", "flw-sim-hash"),)),
    AmountEndpoint("paystack_webhook_view", "POST", "ng", "/webhook/paystack", "", {
        "event": "charge.success", "data": {"id": 1234567, "reference": "nt-attack", "amount": "@AMOUNT@",
                                            "currency": "NGN", "status": "success"}}, sign="paystack"),
    # A transfer into a dedicated account (Paystack's dedicated-account route of the same URL).
    AmountEndpoint("paystack_webhook_view", "POST", "ng", "/webhook/paystack", "", {
        "event": "charge.success", "data": {"id": 1234568, "reference": "nt-attack-dva", "amount": "@AMOUNT@",
                                            "currency": "NGN", "status": "success", "channel": "dedicated_nuban",
                                            "customer": {"customer_code": "CUS_attack"}}}, sign="paystack"),
    # Agent cash and withdrawal codes (tenant_apps.cash).
    AmountEndpoint("CashInView", "POST", "ng", "/api/cash/in", "cash_agent",
                   {"customer": "{other_phone}", "amount": "@AMOUNT@"}),
    AmountEndpoint("CashOutView", "POST", "ng", "/api/cash/out", "cash_agent",
                   {"customer": "{other_phone}", "code": "12345678", "amount": "@AMOUNT@"}),
    AmountEndpoint("WithdrawalCodesView", "POST", "ng", "/api/cash/withdrawal-codes", "customer",
                   {"amount": "@AMOUNT@"}),
    # Mobile-money rails (issue 16), each in the provider's own body, signed where it signs.
    AmountEndpoint("wave_webhook_view", "POST", "sn", "/webhook/wave", "", {
        "id": "EV_attack", "type": "checkout.session.completed", "data": {
            "id": "cos-attack", "client_reference": "nt-attack", "amount": "@AMOUNT@", "currency": "XOF",
            "checkout_status": "complete", "payment_status": "succeeded"}}, sign="wave"),
    AmountEndpoint("cinetpay_webhook_view", "POST", "sn", "/webhook/cinetpay", "", {
        "cpm_site_id": "{cinetpay_site}", "cpm_trans_id": "nt-attack", "cpm_trans_date": "2026-12-06 10:00:00",
        "cpm_amount": "@AMOUNT@", "cpm_currency": "XOF", "signature": "0" * 32, "payment_method": "OMCI",
        "cel_phone_num": "0707000001", "cpm_phone_prefixe": "225", "cpm_language": "fr", "cpm_version": "V4",
        "cpm_payment_config": "SINGLE", "cpm_page_action": "PAYMENT", "cpm_custom": "", "cpm_designation": "x",
        "cpm_error_message": "SUCCES"}, sign="cinetpay", form=True),
    AmountEndpoint("cinetpay_transfer_webhook_view", "POST", "sn", "/webhook/cinetpay/transfer", "", {
        "transaction_id": "TR1", "client_transaction_id": "nt-attack", "amount": "@AMOUNT@",
        "treatment_status": "VAL"}, form=True),
    AmountEndpoint("airtel_money_webhook_view", "POST", "ng", "/webhook/airtel_money", "", {"transaction": {
        "id": "nt-attack", "message": "Paid", "status_code": "TS", "airtel_money_id": "MP1", "amount": "@AMOUNT@"}},
                   sign="airtel"),
    AmountEndpoint("mtn_momo_disbursement_webhook_view", "PUT", "gh", "/webhook/mtn_momo/disbursement", "",
                   {"externalId": "nt-attack", "amount": "@AMOUNT@", "currency": "GHS", "status": "SUCCESSFUL"}),
]
# Webhooks whose body carries no amount (none today: the MTN-direct {tx_id, status, recipient} is gone).
WEBHOOKS_WITHOUT_AMOUNTS: set[str] = set()
AMOUNT_USE = re.compile(r"\b(parse_amount|_amount|amount_to_minor|AmountField)\(|\b(\w+Serializer)\b")


def _fill(value: Any, world) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    if value == "{product}":
        return world.product.pk
    if value == "{customer}":
        return str(world.customer.user.public_id)
    if value == "{other_phone}":
        return world.other.user.phone
    if value == "{cinetpay_site}":
        return world.secrets["cinetpay_site"]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in world.ids:
        return world.ids[value[1:-1]]
    return value


def _form_body(template: dict, amount_json: str) -> bytes:
    """``template`` as an HTML form, the amount being the raw value's text (a string's content, else as written)."""
    text = json.loads(amount_json) if amount_json.startswith('"') else amount_json
    return urlencode({key: text if value == "@AMOUNT@" else value for key, value in template.items()}).encode()


_RISK_RULES: dict[int, str] = {}


def _risk_rule(world) -> str:
    """An inactive rule for the PATCH attacks, made once per world (before the write fingerprint is taken)."""
    from django_tenants.utils import schema_context

    from tenant_apps.risk.models import RiskRule

    if id(world) not in _RISK_RULES:
        with schema_context("ng"):
            _RISK_RULES[id(world)] = str(RiskRule.objects.create(
                name="attacked", rule_type="amount_above", threshold_amount_minor=100, currency="NGN",
                action="block", is_active=False).public_id)
    return _RISK_RULES[id(world)]


def _attack_amount(endpoint: AmountEndpoint, world, amount_json: str):
    path = endpoint.path.replace("{agent}", str(world.agent.public_id))
    for name, value in world.ids.items():
        path = path.replace("{" + name + "}", value)
    if "{risk_rule}" in path:
        path = path.replace("{risk_rule}", _risk_rule(world))
    token = getattr(world, endpoint.who).token if endpoint.who else ""
    if endpoint.body is None:
        text = json.loads(amount_json) if amount_json.startswith('"') else amount_json  # the query string's text
        query = urlencode({"product_id": world.product.pk, "amount": text})
        return send(endpoint.method, endpoint.host, path, token=token, query=query)
    template = _fill(endpoint.body, world)
    body = _form_body(template, amount_json) if endpoint.form else with_amount(template, amount_json)
    headers = dict(endpoint.headers)
    if endpoint.sign == "paystack":
        headers.update(paystack_headers(world.secrets["paystack"], body))
    elif endpoint.sign == "aggregator":
        headers.update(_aggregator_headers(world.secrets["aggregator"], body))
    elif endpoint.sign == "wave":
        headers.update(wave_headers(world.secrets["wave"], body))
    elif endpoint.sign == "cinetpay":
        headers.update(cinetpay_headers(world.secrets["cinetpay"], body))
    elif endpoint.sign == "airtel":
        body = airtel_signed(world.secrets["airtel"], body)
    content_type = "application/x-www-form-urlencoded" if endpoint.form else "application/json"
    return send(endpoint.method, endpoint.host, path, body, token=token, headers=headers, content_type=content_type)


def amounts_for(index: int) -> list[str]:
    """The two freezes for every field, and three more classes in rotation (every class hits several fields;
    each class against every parser is proven in test_money_rule.py)."""
    rest = BAD_AMOUNTS[2:]
    return BAD_AMOUNTS[:2] + [rest[(index * 3 + k) % len(rest)] for k in range(3)]


def test_every_bad_amount_in_every_amount_field_is_refused_and_writes_nothing(world):
    rotated = {amount for index in range(len(AMOUNT_ENDPOINTS)) for amount in amounts_for(index)}
    assert rotated == set(BAD_AMOUNTS)
    _risk_rule(world)
    before = fingerprint()
    failures = []
    for index, endpoint in enumerate(AMOUNT_ENDPOINTS):
        for amount in amounts_for(index):
            if endpoint.signed and amount == '"-100"':
                continue
            response = _attack_amount(endpoint, world, amount)
            try:
                error = error_of(response)
                assert 400 <= response.status_code < 500
                assert_no_internals(response)
                if endpoint.who:  # the API: one code, and the field that was wrong
                    assert error["code"] == "invalid_amount", error
                    allowed = {"amount", "max_amount_per_day", "web_api_threshold", "threshold_amount", endpoint.field}
                    assert set(error["fields"]) <= allowed \
                        and error["fields"], error
                else:  # a provider's body: malformed, whatever the provider (never 2xx, never 5xx)
                    assert error["code"] in {"malformed_webhook", "bad_payload"}, error
            except AssertionError as exc:
                failures.append(f"{endpoint.method} {endpoint.path} amount={amount}: {response.status_code} "
                                f"{response.content[:200]!r} {exc}")
    assert failures == [], "\n".join(failures)
    assert written(before, fingerprint()) == {}


def test_the_amount_attacks_reach_the_amount(world):
    """The bodies are otherwise right: with a good amount the same requests get past the amount check."""
    for endpoint in AMOUNT_ENDPOINTS:
        if not endpoint.who:
            # A provider's body with a good amount is authentic and readable: acknowledged (it names nothing of
            # ours; Flutterwave's asks its dead gateway first: 503), so the refusals above were the amount's.
            response = _attack_amount(endpoint, world, '"100"')
            assert response.status_code < 400 or b"verification_unavailable" in response.content, (
                endpoint.path, response.status_code, response.content[:300])
            continue
        response = _attack_amount(endpoint, world, '"100"')
        body = json.loads(response.content or b"{}")
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        # Past the amount: a 2xx, or the next check (the dead gateway's 502 gateway_error, a limit...).
        assert code != "invalid_amount" and response.status_code != 500, (endpoint.path, response.status_code, body)


def test_every_endpoint_that_reads_an_amount_is_attacked():
    """A view that parses an amount (its source calls the rule or uses a serializer with an AmountField) and is
    not in AMOUNT_ENDPOINTS fails here: add it there with a body that reaches the amount."""
    from rest_framework import serializers

    from shared_apps.core.amounts import AmountField

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    with_amounts = set()
    for serializer in set(subclasses(serializers.Serializer)):
        try:
            fields = serializer().fields
        except Exception:  # serializers needing arguments are response shapes, not input
            continue
        if any(isinstance(field, AmountField) for field in fields.values()):
            with_amounts.add(serializer.__name__)
    covered = {endpoint.view for endpoint in AMOUNT_ENDPOINTS} | WEBHOOKS_WITHOUT_AMOUNTS
    uncovered = []
    for conf in URLCONFS.values():
        for route, view in url_patterns(conf):
            target = getattr(view, "cls", None) or view
            name = target.__name__
            if route.startswith("/webhook/"):
                if name not in covered:
                    uncovered.append(f"{route} ({name})")
                continue
            source = inspect.getsource(target)
            uses = {match.group(1) or match.group(2) for match in AMOUNT_USE.finditer(source)}
            if (uses & {"parse_amount", "_amount", "amount_to_minor", "AmountField"} or uses & with_amounts) \
                    and name not in covered:
                uncovered.append(f"{route} ({name})")
    assert uncovered == [], f"endpoints reading amounts that no attack covers: {uncovered}"


def test_every_amount_field_a_view_reads_is_an_amount_field():
    """No request serializer takes an amount as a CharField/DecimalField/FloatField again (1e999990 went through
    those). Request serializers: the ones a view builds from ``data=`` (read from every URL pattern's view)."""
    from rest_framework import serializers

    from shared_apps.core.amounts import AmountField

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    request_serializers = set()
    for conf in URLCONFS.values():  # also imports every view module, so every serializer class exists
        for _route, view in url_patterns(conf):
            source = inspect.getsource(getattr(view, "cls", None) or view)
            request_serializers |= set(re.findall(r"(\w+Serializer)\(data=", source))
    from tenant_apps.orders.serializers import purchase_body  # the purchase view's body: common case, or this

    request_serializers |= set(re.findall(r"(\w+Serializer)\(data=", inspect.getsource(purchase_body)))
    assert {"FundRequestSerializer", "PurchaseSerializer", "TransferRequestSerializer"} <= request_serializers
    offenders = []
    for serializer in set(subclasses(serializers.Serializer)):
        if serializer.__name__ not in request_serializers:
            continue
        for name, field in serializer().fields.items():
            money_like = re.search(r"(^|_)(amount|price|fee|value)(_|$)", name)
            if money_like and not field.read_only and not isinstance(field, AmountField):
                offenders.append(f"{serializer.__module__}.{serializer.__name__}.{name}: {type(field).__name__}")
    assert offenders == []
