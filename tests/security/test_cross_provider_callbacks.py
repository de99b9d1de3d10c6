"""Issue 14, item 1: a callback touches only what we sent to THAT provider, found by its own reference.

The attack: a customer's airtime was delivered and settled by VTPass; ``POST /webhook/mtn`` with
``{"tx_id": "<the VTPass request id>", "status": "FAILED"}``, correctly signed with MTN's own
secret, answered 200, reversed the order and refunded the wallet (free airtime).

Here every webhook endpoint of the URL conf is aimed at every other provider's objects of the
same tenant (settled orders of VTPass, DT One and the aggregator; pending funding intents of
Paystack, Flutterwave, MTN MoMo and Orange Money; pending payouts of Paystack and Flutterwave),
each request authentic for its endpoint: signed with that provider's own secret, and for the card
gateways a real payment made at that gateway under the victim's reference. Then every victim is
attacked through its own provider's plugin configured in ANOTHER tenant. Nothing may move: every
money and state table of both schemas is fingerprinted before and after; every refusal is logged
without the reference.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.urls import get_resolver
from django_tenants.utils import schema_context

from provider_plugins.aggregator.protocol import SIGNATURE_HEADER as AGG_SIGNATURE
from provider_plugins.aggregator.protocol import TIMESTAMP_HEADER as AGG_TIMESTAMP
from provider_plugins.aggregator.protocol import webhook_signature
from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as AGG_CREDENTIALS
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.flutterwave.simulator import FlutterwaveSimulator
from provider_plugins.interfaces import ProviderConfig
from provider_plugins.interfaces.payments import CheckoutRequest
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from provider_plugins.orange_money.simulator import OrangeMoneySimulator
from provider_plugins.paystack.simulator import PaystackSimulator
from tests.fixtures.purchase import build_stack
from tests.orders.helpers import new_buyer, requeried, submitted
from tests.support.attack import fingerprint_diff

# Endpoint -> the plugin whose callbacks it takes (the contract's /webhook/mtn is MTN MoMo's callback).
ENDPOINTS = {"/webhook/vtpass": "vtpass", "/webhook/dtone": "dtone", "/webhook/aggregator": "aggregator",
             "/webhook/paystack": "paystack", "/webhook/flutterwave": "flutterwave",
             "/webhook/orange": "orange_money", "/webhook/mtn_momo": "mtn_momo", "/webhook/mtn": "mtn_momo"}
HOSTS = {"ng": "ng.localhost", "gh": "gh.localhost"}
CURRENCY = {"ng": "NGN", "gh": "GHS"}
# What a callback could move: money, and the state machines that decide it.
MONEY_TABLES: tuple[str, ...] = (
    "ledger_account", "ledger_journalentry", "ledger_posting", "ledger_hold", "orders_order", "orders_orderattempt",
    "orders_ordertransition", "orders_orderoutbox", "wallet_fundingintent", "wallet_transfer", "kyc_kycspend")

# The mobile-money rails (issue 16) and the dedicated accounts join the attack (``_rail_victims``, ``_rail_hostile``):
# pending Wave and CinetPay intents and wallet payouts in SN; Airtel Money intents and payouts and a MoMo
# disbursement in NG; a Paystack dedicated-account transfer held over the KYC cap (in suspense); dedicated accounts
# of another provider, attacked with Paystack's dedicated-account events (a transfer in, a number assigned). The
# rails' callbacks are authentic: Wave-Signature, CinetPay's x-token form, Airtel's hash; MoMo's and CinetPay's
# transfer notifications are unsigned by the providers. Every endpoint of a victim's provider attacks it from the
# other tenant; the SN schema is fingerprinted too.
RAIL_ENDPOINTS = {"/webhook/wave": "wave", "/webhook/cinetpay": "cinetpay", "/webhook/cinetpay/transfer": "cinetpay",
                  "/webhook/airtel_money": "airtel_money", "/webhook/mtn_momo/disbursement": "mtn_momo"}
ENDPOINTS.update(RAIL_ENDPOINTS)
HOSTS["sn"] = "sn.localhost"
CURRENCY["sn"] = "XOF"
MONEY_TABLES += ("wallet_virtualaccount",)
VIRTUAL_ACCOUNT_KINDS = ("virtual_account", "virtual_account_request")  # money received / awaiting its number


@dataclass(frozen=True)
class Victim:
    schema: str
    plugin: str
    kind: str  # order, intent, payout
    reference: str  # the provider's own reference for it: request id, intent or payout reference
    phone: str = ""


@pytest.fixture(scope="module")
def sims(django_db_setup, django_db_blocker):
    from django.test import override_settings

    order_sims, stack, _env = build_stack(django_db_blocker, worker=False)
    gateways = {"paystack": PaystackSimulator(transfer_delay=0.05), "flutterwave": FlutterwaveSimulator(),
                "mtn_momo": MtnMomoSimulator(auto_approve=False), "orange_money": OrangeMoneySimulator()}
    gateways.update(_rail_simulators())
    for sim in gateways.values():
        sim.start()
    try:
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix, ORDERS_SMS_NOTIFICATIONS=False,
                               WALLET_SMS_NOTIFICATIONS=False):
            yield stack, gateways
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (order_sims.vtpass, order_sims.dtone, order_sims.sms, order_sims.aggregator, *gateways.values()):
            sim.stop()


def _register_everything_everywhere(stack, gateways) -> None:
    """Every plugin has a usable registry row in NG and in GH (inside the test's transaction)."""
    from tenant_apps.wallet.demo import gateway_provider_spec
    from tests.orders.helpers import VTPASS_API_KEYS

    rows = [("GH", "vtpass", stack.vtpass.url, VTPASS_API_KEYS),
            ("GH", "dtone", stack.dtone.url + "/v1", DTONE_CREDENTIALS),
            ("NG", "aggregator", stack.aggregator.url, AGG_CREDENTIALS)]
    for country, key, url, credentials in rows:
        _row_anywhere(dict(name=f"{key} callbacks {country}", country=country, plugin_key=key, base_url=url,
                           capabilities=["airtime"], credentials=dict(credentials), routing_priority=90))
    for country in ("NG", "GH"):
        for key, sim in gateways.items():
            _row_anywhere(gateway_provider_spec(country=country, key=key, base_url=sim.url))


def _row_anywhere(spec: dict) -> None:
    """``provider_register``, also where the plugin does not serve the country (VTPass in GH, Orange Money in NG):
    the registry refuses such rows (issue 15), but the attack wants every endpoint to authenticate in both
    tenants, as a row registered before that rule (or written by hand) would."""
    from provider_plugins.registry import get_plugin
    from shared_apps.providers.crypto import encrypt_credentials
    from shared_apps.providers.models import Provider
    from shared_apps.providers.services import provider_register

    countries = get_plugin(spec["plugin_key"]).countries
    if not countries or spec["country"] in countries:
        provider_register(**spec)
        return
    fields = {key: value for key, value in spec.items() if key not in ("name", "country", "credentials")}
    Provider.objects.update_or_create(name=spec["name"], country=spec["country"], defaults={
        **fields, "status": "active", "credentials_encrypted": encrypt_credentials(spec["credentials"])})


def _settled_order(schema: str, product, phone: str) -> Victim:
    from tenant_apps.orders import services
    from tenant_apps.orders.models import OrderAttempt

    user, _ = new_buyer(500_000, schema=schema)
    with schema_context(schema):
        order = services.purchase_create(user=user, product_id=product.pk, recipient_phone=phone,
                                         amount_minor=10_000 if schema == "ng" else 1_000)
        order = submitted(order.pk)
        deadline = time.monotonic() + 5
        while order.status != "settled" and time.monotonic() < deadline:  # DT One completes asynchronously
            time.sleep(0.05)
            order = requeried(order.pk)
        assert order.status == "settled", order.status
        attempt = OrderAttempt.objects.get(order=order)
    return Victim(schema, attempt.plugin_key, "order", attempt.request_id, order.recipient_phone)


def _provider_row(schema: str, plugin: str):
    from shared_apps.providers.models import Provider

    country = schema.upper()  # ng, gh, sn
    return Provider.objects.filter(plugin_key=plugin, country=country).exclude(status="disabled") \
        .order_by("status", "routing_priority", "name").first()


def _pending_intent(schema: str, plugin: str) -> Victim:
    from tenant_apps.wallet.models import FundingIntent
    from tests.wallet.helpers import new_customer

    user = new_customer(schema)
    reference = f"fund_{uuid.uuid4().hex[:24]}"
    provider = _provider_row(schema, plugin)
    with schema_context(schema):
        FundingIntent.objects.create(user=user, gateway=plugin, provider_id=provider.pk, reference=reference,
                                     amount_minor=100_000, currency=CURRENCY[schema], notify_token=uuid.uuid4().hex,
                                     provider_reference=str(uuid.uuid4()))
    return Victim(schema, plugin, "intent", reference)


def _pending_payout(schema: str, plugin: str) -> Victim:
    from tenant_apps.ledger.services import fund_wallet, place_hold, wallet_for
    from tenant_apps.wallet.models import Transfer, TransferType
    from tests.wallet.helpers import new_customer

    user = new_customer(schema)
    reference = f"po_{uuid.uuid4().hex[:24]}"
    with schema_context(schema):
        wallet = wallet_for(user=user)
        fund_wallet(wallet=wallet, amount=300_000, reference=f"seed-{reference}")
        row = Transfer.objects.create(type=TransferType.BANK, sender=user, bank_code="058",
                                      account_number="0123456789", account_name="ADA OBI LOVELACE",
                                      amount_minor=200_000, currency=CURRENCY[schema], reference=reference,
                                      gateway=plugin, provider_id=_provider_row(schema, plugin).pk)
        row.hold = place_hold(wallet=wallet, amount=200_000, reference=f"payout:{reference}")
        row.save(update_fields=["hold"])
    return Victim(schema, plugin, "payout", reference)


def _rail_simulators() -> dict:
    from provider_plugins.airtel_money.simulator import AirtelMoneySimulator
    from provider_plugins.cinetpay.simulator import CinetPaySimulator
    from provider_plugins.wave.simulator import WaveSimulator

    return {"wave": WaveSimulator(), "cinetpay": CinetPaySimulator(), "airtel_money": AirtelMoneySimulator()}


def _register_rails_in_sn(gateways) -> None:
    """SN gets every gateway too (its Wave and CinetPay victims meet every endpoint there)."""
    from tenant_apps.wallet.demo import gateway_provider_spec

    for key, sim in gateways.items():
        _row_anywhere(gateway_provider_spec(country="SN", key=key, base_url=sim.url))


def _wallet_payout(schema: str, plugin: str) -> Victim:
    """A pending payout to the customer's own mobile-money wallet, sent through ``plugin`` (money on hold)."""
    from tenant_apps.ledger.services import fund_wallet, place_hold, wallet_for
    from tenant_apps.wallet.models import Transfer, TransferType
    from tests.wallet.helpers import new_customer

    user = new_customer(schema)
    reference = f"po_{uuid.uuid4().hex[:24]}"
    amount = 200_000 if CURRENCY[schema] != "XOF" else 2_000
    with schema_context(schema):
        wallet = wallet_for(user=user)
        fund_wallet(wallet=wallet, amount=3 * amount, reference=f"seed-{reference}")
        row = Transfer.objects.create(type=TransferType.WALLET, sender=user, account_number=user.phone.lstrip("+"),
                                      account_name="", amount_minor=amount, currency=CURRENCY[schema],
                                      reference=reference, gateway=plugin,
                                      provider_id=_provider_row(schema, plugin).pk)
        row.hold = place_hold(wallet=wallet, amount=amount, reference=f"payout:{reference}")
        row.save(update_fields=["hold"])
    return Victim(schema, plugin, "payout", reference)


def _virtual_account(schema: str, plugin: str, *, assigned: bool = True) -> Victim:
    """A dedicated account opened with ``plugin`` (another provider than Paystack: the object a Paystack
    dedicated-account event must never reach); ``assigned=False``: still waiting for its number."""
    from tenant_apps.wallet.models import VirtualAccount
    from tests.wallet.helpers import new_customer

    user = new_customer(schema)
    code = f"CUS_{uuid.uuid4().hex[:14]}"
    with schema_context(schema):
        VirtualAccount.objects.create(user=user, gateway=plugin, provider_id=_provider_row(schema, plugin).pk,
                                      customer_code=code, currency=CURRENCY[schema],
                                      account_number=str(uuid.uuid4().int)[:10] if assigned else "",
                                      status="active" if assigned else "requested")
    return Victim(schema, plugin, "virtual_account" if assigned else "virtual_account_request", code)


def _held_bank_transfer(schema: str) -> Victim:
    """A transfer into a customer's Paystack dedicated account that did not fit under the KYC cap: in suspense,
    the intent in review (``balance_limit_exceeded``), waiting to be credited when it fits."""
    from provider_plugins.interfaces.common import OutcomeStatus
    from provider_plugins.interfaces.payments import PaymentVerification
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.wallet.funding import funding_apply_verification, funding_is_held
    from tenant_apps.wallet.models import FundingIntent, VirtualAccount
    from tests.wallet.helpers import new_customer

    user = new_customer(schema)  # tier 0: at most 20,000 NGN
    paystack_reference = f"T{uuid.uuid4().hex[:15]}"
    provider = _provider_row(schema, "paystack")
    with schema_context(schema):
        fund_wallet(wallet=wallet_for(user=user), amount=1_990_000, reference=f"seed-{paystack_reference}")
        account = VirtualAccount.objects.create(user=user, gateway="paystack", provider_id=provider.pk,
                                                customer_code=f"CUS_{uuid.uuid4().hex[:14]}", currency="NGN",
                                                account_number=str(uuid.uuid4().int)[:10], status="active")
        intent = FundingIntent.objects.create(user=user, gateway="paystack", provider_id=provider.pk,
                                              reference=f"dva_{paystack_reference}", amount_minor=50_000,
                                              currency="NGN", provider_reference=paystack_reference,
                                              virtual_account=account)
        intent = funding_apply_verification(intent_id=intent.pk, verification=PaymentVerification(
            OutcomeStatus.SUCCESS, paystack_reference, 50_000, "NGN", channel="dedicated_nuban"))
        assert funding_is_held(intent)
    return Victim(schema, "paystack", "intent", intent.reference)


def victim_world(stack, gateways, monkeypatch) -> list[Victim]:
    """Every provider and rail registered in every tenant (so each endpoint authenticates there and meets every
    victim), and one object of each kind each provider could touch: settled orders, pending intents and payouts,
    the new rails' objects."""
    from tenant_apps.wallet import gateways as wallet_gateways

    monkeypatch.setattr(wallet_gateways, "tenant_gateway_keys", lambda: list(gateways))
    _register_everything_everywhere(stack, gateways)
    victims = [
        _settled_order("ng", stack.products["vt_airtime"], stack.phone()),
        _settled_order("ng", stack.products["dt_data"], stack.phone()),
        _settled_order("gh", stack.products["gh_airtime"], "0241234567"),
        _pending_intent("ng", "paystack"), _pending_intent("ng", "flutterwave"),
        _pending_intent("gh", "mtn_momo"), _pending_intent("gh", "orange_money"),
        _pending_payout("ng", "paystack"), _pending_payout("ng", "flutterwave"),
    ]
    _register_rails_in_sn(gateways)
    return victims + _rail_victims()


def _rail_victims() -> list[Victim]:
    return [_pending_intent("sn", "wave"), _pending_intent("sn", "cinetpay"), _pending_intent("ng", "airtel_money"),
            _wallet_payout("sn", "wave"), _wallet_payout("sn", "cinetpay"), _wallet_payout("ng", "airtel_money"),
            _wallet_payout("ng", "mtn_momo"), _held_bank_transfer("ng"),
            _virtual_account("ng", "flutterwave"), _virtual_account("ng", "flutterwave", assigned=False)]


def _rail_hostile(endpoint: str, victim: Victim, gateways) -> tuple[str, dict, bytes] | None:
    """The new rails' callbacks naming ``victim``, each authentic for its endpoint (signed with that rail's own
    secret where it signs), with the most harmful outcome; Paystack's dedicated-account events for the dedicated
    accounts. None: the endpoint's usual body (``hostile``)."""
    from urllib.parse import urlencode

    from provider_plugins.airtel_money.connector import callback_hash as airtel_hash
    from provider_plugins.cinetpay.connector import notification_token as cinetpay_token

    ref, currency = victim.reference, CURRENCY[victim.schema]
    plugin = ENDPOINTS[endpoint]
    payout = victim.kind == "payout"
    if plugin == "paystack" and victim.kind in VIRTUAL_ACCOUNT_KINDS:
        customer = {"customer_code": ref, "email": "attacker@example.test"}
        if victim.kind == "virtual_account_request":  # Paystack "assigns" a number to another provider's account
            payload = {"event": "dedicatedaccount.assign.success", "data": {"customer": customer, "dedicated_account": {
                "id": 999, "account_number": "9999999999", "account_name": "ATTACKER", "currency": currency,
                "active": True, "assigned": True, "bank": {"name": "Wema Bank", "slug": "wema-bank"}}}}
        else:  # a transfer "into" another provider's account
            payload = {"event": "charge.success", "data": {
                "id": 4_100_000_001, "reference": f"T{uuid.uuid4().hex[:15]}", "status": "success", "amount": 500_000,
                "currency": currency, "channel": "dedicated_nuban", "customer": customer,
                "authorization": {"channel": "dedicated_nuban", "receiver_bank_account_number": "0000000000"}}}
        headers, body = gateways["paystack"].build_webhook(payload)
        return "POST", headers, body
    if endpoint == "/webhook/wave":
        headers, body = gateways["wave"].build_webhook({"id": f"EV_{uuid.uuid4().hex[:12]}",
                                                        "type": "checkout.session.completed", "data": {
            "id": f"cos-{uuid.uuid4().hex[:12]}", "client_reference": ref, "amount": "1000", "currency": currency,
            "checkout_status": "complete", "payment_status": "succeeded"}})
        return "POST", headers, body
    if endpoint == "/webhook/cinetpay":
        sim = gateways["cinetpay"]
        fields = {"cpm_site_id": sim.site_id, "cpm_trans_id": ref, "cpm_trans_date": "2026-12-06 10:00:00",
                  "cpm_amount": "1000", "cpm_currency": currency, "signature": uuid.uuid4().hex,
                  "payment_method": "OMCI", "cel_phone_num": "0707000001", "cpm_phone_prefixe": "225",
                  "cpm_language": "fr", "cpm_version": "V4", "cpm_payment_config": "SINGLE",
                  "cpm_page_action": "PAYMENT", "cpm_custom": "", "cpm_designation": "Wallet funding",
                  "cpm_error_message": "SUCCES"}
        return "POST", {"Content-Type": "application/x-www-form-urlencoded",
                        "x-token": cinetpay_token(fields, sim.secret_key)}, urlencode(fields).encode()
    if endpoint == "/webhook/cinetpay/transfer":  # unsigned by CinetPay: a "reversal" (refund) or a "success"
        fields = {"transaction_id": "TR000000000001", "client_transaction_id": ref, "amount": "1000",
                  "operator_transaction_id": "OP1", "treatment_status": "REJ" if payout else "VAL"}
        return "POST", {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(fields).encode()
    if endpoint == "/webhook/airtel_money":
        transaction = {"id": ref, "message": "Paid" if not payout else "Failed",
                       "status_code": "TF" if payout else "TS", "airtel_money_id": "MP260000000001"}
        payload = {"transaction": transaction, "hash": airtel_hash(transaction, gateways["airtel_money"].callback_key)}
        return "POST", {}, json.dumps(payload).encode()
    if endpoint == "/webhook/mtn_momo/disbursement":  # unsigned PUT: a failed payout would release the hold
        body = json.dumps({"externalId": ref, "status": "FAILED" if payout else "SUCCESSFUL", "amount": "1000",
                           "currency": currency, "reason": "PAYEE_NOT_FOUND"}).encode()
        return "PUT", {}, body
    return None


# --- hostile callbacks, each authentic for its endpoint -------------------------------------------

def _real_charge(sim, connector_cls, plugin: str, reference: str, currency: str) -> tuple[dict, bytes]:
    """A genuine payment made at the gateway under the victim's reference: its own signed notification."""
    from tenant_apps.wallet.demo import GATEWAY_CREDENTIALS

    config = ProviderConfig(base_url=sim.url, credentials=dict(GATEWAY_CREDENTIALS[plugin]))
    connector_cls().initialize_checkout(CheckoutRequest(amount_minor=100_000, currency=currency, reference=reference,
                                                        callback_url="https://attacker.example/back",
                                                        email="attacker@example.test"), config=config)
    before = len(sim.deliveries)
    sim.complete(reference)
    delivery = sim.deliveries[before]
    return delivery["headers"], delivery["body"]


def hostile(endpoint: str, victim: Victim, gateways) -> tuple[str, dict, bytes]:
    """(method, headers, body) of a callback to ``endpoint`` naming ``victim`` with the most harmful status."""
    from provider_plugins.flutterwave.connector import FlutterwaveConnector
    from provider_plugins.paystack.connector import PaystackConnector

    rail = _rail_hostile(endpoint, victim, gateways)
    if rail is not None:
        return rail
    ref, currency = victim.reference, CURRENCY[victim.schema]
    plugin = ENDPOINTS[endpoint]
    if plugin == "vtpass":
        body = json.dumps({"type": "transaction-update", "data": {
            "code": "000", "requestId": ref, "response_description": "TRANSACTION SUCCESSFUL",
            "content": {"transactions": {"status": "reversed", "transactionId": "17000000001",
                                         "unique_element": victim.phone}}}}).encode()
        return "POST", {}, body
    if plugin == "dtone":  # unsigned: DT One POSTs the transaction object; REVERSED is its most harmful status
        body = json.dumps({"id": 4_100_000_001, "external_id": ref, "credit_party_identifier": {
            "mobile_number": victim.phone}, "status": {"id": 80000, "message": "REVERSED", "class": {
                "id": 8, "message": "REVERSED"}}}).encode()
        return "POST", {}, body
    if plugin == "aggregator":
        stamp = str(int(time.time()))
        body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:8]}", "type": "airtime_transaction.status", "data": {
            "transactionId": 99, "status": "FAILED", "customIdentifier": ref, "recipientPhone": victim.phone,
            "requestedAmount": 10, "requestedAmountCurrencyCode": currency}}).encode()
        return "POST", {AGG_TIMESTAMP: stamp,
                        AGG_SIGNATURE: webhook_signature(AGG_CREDENTIALS["webhook_secret"], body, stamp)}, body
    sim = gateways[plugin]
    if plugin in ("paystack", "flutterwave") and victim.kind == "payout":
        payload = ({"event": "transfer.reversed", "data": {"id": 7, "reference": ref, "status": "reversed",
                                                           "amount": 200_000, "currency": currency}}
                   if plugin == "paystack" else
                   {"event": "transfer.completed", "data": {"id": 7, "reference": ref, "status": "FAILED",
                                                            "amount": 2000, "currency": currency}})
        headers, body = sim.build_webhook(payload)
        return "POST", headers, body
    if plugin == "paystack":
        headers, body = _real_charge(sim, PaystackConnector, plugin, ref, currency)
        return "POST", headers, body
    if plugin == "flutterwave":
        headers, body = _real_charge(sim, FlutterwaveConnector, plugin, ref, currency)
        return "POST", headers, body
    if plugin == "orange_money":
        return "POST", {}, json.dumps({"transaction_ref": ref, "amount": "1000", "status": "SUCCESS"}).encode()
    body = json.dumps({"externalId": ref, "status": "SUCCESSFUL", "amount": "1000", "currency": currency,
                       "financialTransactionId": "123456789"}).encode()
    return "PUT", {}, body


_clients: dict[str, Client] = {}


def _send(host: str, endpoint: str, method: str, headers: dict, body: bytes):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k.lower() != "content-type"}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "application/json")
    # One client per host: a new Client loads the middleware again (WhiteNoise indexes the static files).
    client = _clients.setdefault(host, Client(HTTP_HOST=host))
    return getattr(client, method.lower())(endpoint, body, content_type=content_type, **extra)


def _fingerprints() -> dict[str, dict]:
    """Row count and md5 of every row of the money and state tables, per schema."""
    found: dict[str, dict] = {}
    with connection.cursor() as cursor:
        for schema in HOSTS:
            for table in MONEY_TABLES:
                cursor.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                               f'FROM "{schema}"."{table}" t')
                found.setdefault(schema, {})[table] = cursor.fetchone()
    return found


def test_every_webhook_refuses_every_other_providers_objects_and_other_tenants(db, sims, caplog, monkeypatch):

    stack, gateways = sims
    victims = victim_world(stack, gateways, monkeypatch)
    assert {v.plugin for v in victims} == set(ENDPOINTS.values())
    webhook_routes = {f"/{route}" for route, _ in _webhook_routes()}
    assert webhook_routes == set(ENDPOINTS), "a new webhook endpoint: teach this attack its provider's body"

    before = _fingerprints()
    answers: dict[str, list[int]] = {}
    with caplog.at_level(logging.INFO):
        for endpoint, plugin in ENDPOINTS.items():
            for victim in victims:
                if victim.plugin == plugin:
                    continue
                method, headers, body = hostile(endpoint, victim, gateways)
                response = _send(HOSTS[victim.schema], endpoint, method, headers, body)
                answers.setdefault(f"{endpoint} x {victim.plugin} {victim.kind}", []).append(response.status_code)
        # The same provider, configured in the OTHER tenant, aimed at this tenant's objects.
        for victim in victims:
            other = "gh" if victim.schema == "ng" else "ng"
            for endpoint in [path for path, plugin in ENDPOINTS.items() if plugin == victim.plugin]:
                method, headers, body = hostile(endpoint, victim, gateways)
                response = _send(HOSTS[other], endpoint, method, headers, body)
                answers.setdefault(f"{endpoint} on the other tenant x own {victim.kind}", []).append(
                    response.status_code)

    after = _fingerprints()
    assert {schema: fingerprint_diff(before[schema], after[schema]) for schema in HOSTS} == {s: {} for s in HOSTS}
    # Refused or acknowledged without effect; never a 5xx.
    assert {code for codes in answers.values() for code in codes} <= {200, 401, 404}, answers
    refusals = [record for record in caplog.records if record.getMessage() == "provider callback refused"]
    refused_by = {record.provider for record in refusals if record.reason == "sent_to_another_provider"}
    assert refused_by == set(ENDPOINTS.values())  # each endpoint met another provider's object, and said so
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in refusals)
    assert not any(victim.reference in logged or (victim.phone and victim.phone in logged) for victim in victims)


def _webhook_routes():
    from tests.ledger.test_money_endpoints import _patterns

    return [(route, pattern) for route, pattern in _patterns(get_resolver("nexustop.urls_tenant").url_patterns)
            if route.startswith("webhook/")]


def test_a_callback_is_only_a_hint_the_providers_own_answer_decides(db, sims, settings):
    """The right provider and its own reference, but the provider does not confirm: nothing moves.

    A DT One "REVERSED" for an order DT One delivered is checked with DT One (delivered: no reversal), and an
    unsigned VTPass "reversed" for an attempt VTPass no longer knows (past the unknown-request grace) is not
    taken for a failure either: only the requery task decides "never received", and only for open orders.
    """
    stack, gateways = sims
    settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS = 0
    dt_order = _settled_order("ng", stack.products["dt_data"], stack.phone())
    vt_order = _settled_order("ng", stack.products["vt_airtime"], stack.phone())
    stack.vtpass.transactions.pop(vt_order.reference)  # VTPass forgot it (e.g. a restarted sandbox)
    before = _fingerprints()
    # DT One's own transaction object (its id, our external id), turned into a reversal it never made.
    reversal = json.loads(stack.dtone.build_callback(dt_order.reference)[0])
    reversal["status"] = {"id": 80000, "message": "REVERSED", "class": {"id": 8, "message": "REVERSED"}}
    assert _send("ng.localhost", "/webhook/dtone", "POST", {}, json.dumps(reversal).encode()).status_code == 200
    from tenant_apps.orders.models import OrderAttempt

    with schema_context("ng"):  # VTPass's own transaction id for it (a mismatching one is refused outright)
        vt_reference = OrderAttempt.objects.get(request_id=vt_order.reference).provider_reference
    method, headers, body = hostile("/webhook/vtpass", vt_order, gateways)
    body = body.replace(b'"17000000001"', json.dumps(vt_reference).encode())
    assert _send("ng.localhost", "/webhook/vtpass", method, headers, body).status_code == 200
    after = _fingerprints()
    # Nothing moved (an attempt row notes when its provider last answered: not money).
    assert set(fingerprint_diff(before["ng"], after["ng"])) <= {"orders_orderattempt"}
