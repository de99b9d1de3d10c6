"""Flutterwave connector against the Flutterwave simulator over real HTTP."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from provider_plugins.flutterwave import PLUGIN, FlutterwaveConnector
from provider_plugins.flutterwave.simulator import FlutterwaveSimulator
from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderConfig,
    ProviderLowBalance,
    ProviderUnavailable,
    SignatureError,
)
from provider_plugins.interfaces.payments import CheckoutRequest, PaymentGateway
from provider_plugins.interfaces.payouts import InvalidAccount, PayoutGateway, TransferRequest
from tests.support.waiting import wait_for

SECRET, HASH = "FLWSECK_TEST-123-X", "my-verif-hash"
gateway = FlutterwaveConnector()


@pytest.fixture
def sim(sink):
    with FlutterwaveSimulator(secret_key=SECRET, secret_hash=HASH, webhook_url=sink.url) as server:
        yield server


def make_config(sim, timeout=2.0, session=None):
    return ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET, "secret_hash": HASH},
                          timeout_seconds=timeout, session=session)


@pytest.fixture
def config(sim):
    return make_config(sim)


def ref() -> str:
    return "nt-" + uuid.uuid4().hex[:20]


def checkout(config, *, amount=250_050, currency="NGN", reference=None):
    return gateway.initialize_checkout(CheckoutRequest(
        amount_minor=amount, currency=currency, reference=reference or ref(), email="ada@example.com",
        callback_url="https://ng.localhost/wallet/return"), config=config)


def test_descriptor_and_protocols():
    assert PLUGIN.key == "flutterwave" and "payouts" in PLUGIN.capabilities
    assert isinstance(gateway, PaymentGateway) and isinstance(gateway, PayoutGateway)


def test_payment_link_pay_redirect_and_verify_by_id_and_reference(sim, config, sink):
    session = checkout(config)
    assert sim.links[session.reference]["amount"] == 250_050  # "2500.50" on the wire, exact
    page = requests.get(session.authorization_url, timeout=2)
    assert page.status_code == 200 and "NGN 2500.50" in page.text
    pay = requests.post(session.authorization_url + "/pay", data={"action": "pay"}, allow_redirects=False, timeout=2)
    query = parse_qs(urlsplit(pay.headers["Location"]).query)
    assert query["status"] == ["successful"] and query["tx_ref"] == [session.reference]

    by_id = gateway.verify(config=config, provider_id=query["transaction_id"][0])
    by_ref = gateway.verify(config=config, reference=session.reference)
    for result in (by_id, by_ref):
        assert result.status is OutcomeStatus.SUCCESS and result.reference == session.reference
        assert result.matches(amount_minor=250_050, currency="NGN") and result.channel == "card"
        assert result.paid_at is not None
    delivery = wait_for(lambda: sink.received)[0]
    event = gateway.parse_webhook(delivery["headers"], delivery["body"], config=config)
    assert (event.event_type, event.status, event.amount_minor) == ("charge.completed", OutcomeStatus.SUCCESS,
                                                                    250_050)
    assert gateway.classify_webhook(delivery["body"]) == "payment"


def test_zero_decimal_currency(sim, config):
    session = checkout(config, amount=5000, currency="XOF")
    sim.complete(session.reference)
    result = gateway.verify(config=config, reference=session.reference)
    assert result.matches(amount_minor=5000, currency="XOF")
    assert sim.transactions[int(result.provider_id)]["amount"] == 5000


def test_contract_body_then_reverification_by_id(sim, config):
    session = checkout(config)
    paid = sim.complete(session.reference)
    body = json.dumps({"event": "charge.completed", "data": {"id": paid["id"], "status": "successful"}}).encode()
    event = gateway.parse_webhook({"verif-hash": HASH}, body, config=config)
    assert event.provider_id == str(paid["id"]) and event.amount_minor is None and event.currency == ""
    verified = gateway.verify(config=config, provider_id=event.provider_id)
    assert verified.matches(amount_minor=250_050, currency="NGN")


def test_underpaid_or_other_currency_is_visible(sim, config):
    under = checkout(config, amount=1_000_000)
    sim.complete(under.reference, amount_minor=100)
    result = gateway.verify(config=config, reference=under.reference)
    assert result.status is OutcomeStatus.SUCCESS and result.amount_minor == 100
    assert not result.matches(amount_minor=1_000_000, currency="NGN")
    other = checkout(config, amount=10_000)
    sim.complete(other.reference, currency="USD")
    assert not gateway.verify(config=config, reference=other.reference).matches(amount_minor=10_000, currency="NGN")


def test_unpaid_is_pending_and_failure_is_failed(sim, config, sink):
    session = checkout(config)
    pending = gateway.verify(config=config, reference=session.reference)
    assert pending.status is OutcomeStatus.PENDING and pending.provider_status == "not_found"
    sim.fault_for(session.reference, "failure")
    sim.complete(session.reference)
    assert gateway.verify(config=config, reference=session.reference).status is OutcomeStatus.FAILED
    event = gateway.parse_webhook(wait_for(lambda: sink.received)[0]["headers"], sink.received[0]["body"],
                                  config=config)
    assert event.status is OutcomeStatus.FAILED


def test_pending_then_success_and_single_charge(sim, config, sink):
    sim.set_fault("pending_then_success", polls=2)
    session = checkout(config)
    first = sim.complete(session.reference)
    assert sim.complete(session.reference)["id"] == first["id"]  # charged once
    statuses = [gateway.verify(config=config, reference=session.reference).status for _ in range(2)]
    assert statuses == [OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]
    assert len(wait_for(lambda: sink.received)) == 1
    with pytest.raises(DuplicateRequest):
        checkout(config, reference=session.reference)


def test_duplicate_webhooks_share_event_id(sim, config, sink):
    sim.set_fault("duplicate_webhook", duplicates=3)
    session = checkout(config)
    sim.complete(session.reference)
    deliveries = wait_for(lambda: sink.received if len(sink.received) == 3 else None)
    assert len({gateway.parse_webhook(d["headers"], d["body"], config=config).event_id for d in deliveries}) == 1


def test_verif_hash_checks(sim, config, sink):
    sim.set_fault("bad_signature")
    session = checkout(config)
    sim.complete(session.reference)
    delivery = wait_for(lambda: sink.received)[0]
    with pytest.raises(SignatureError):
        gateway.parse_webhook(delivery["headers"], delivery["body"], config=config)
    body = b'{"event":"charge.completed","data":{"id":1,"status":"successful"}}'
    assert gateway.parse_webhook({"Verif-Hash": HASH}, body, config=config).provider_id == "1"
    for headers in ({}, {"verif-hash": ""}, {"verif-hash": HASH + "x"}, {"verif-hash": HASH[:-1]}):
        with pytest.raises(SignatureError):
            gateway.parse_webhook(headers, body, config=config)


def test_faults(sim, config, fault_session):
    session = checkout(config)
    sim.complete(session.reference)
    sim.set_fault("timeout", hang=0.8, count=1)
    assert gateway.verify(config=make_config(sim, 0.3), reference=session.reference).status is OutcomeStatus.PENDING
    sim.set_fault("server_error", count=1)
    assert gateway.verify(config=config, reference=session.reference).provider_status == "provider_unavailable"
    sim.set_fault("latency", latency=0.3, count=1)
    started = time.monotonic()
    assert gateway.verify(config=config, reference=session.reference).status is OutcomeStatus.SUCCESS
    assert time.monotonic() - started >= 0.3
    with pytest.raises(ProviderUnavailable):
        checkout(make_config(sim, session=fault_session("server_error")))
    with pytest.raises(InvalidAmount):
        checkout(config, amount=0)


# -- payouts -------------------------------------------------------------------------

def transfer(reference=None, *, amount=1_500_000, account="0690000031"):
    return TransferRequest(amount_minor=amount, currency="NGN", reference=reference or ref(), bank_code="044",
                           account_number=account, narration="payout")


def test_banks_and_name_enquiry(config):
    assert ("044", "Access Bank") in [(b.code, b.name) for b in gateway.list_banks(config=config, country="ng")]
    assert gateway.resolve_account(config=config, bank_code="044", account_number="0690000031").account_name
    with pytest.raises(InvalidAccount):
        gateway.resolve_account(config=config, bank_code="044", account_number="9990000031")


def test_transfer_success_failure_and_idempotency(sim, config, sink):
    ok = transfer()
    assert gateway.initiate_transfer(ok, config=config).status is OutcomeStatus.PENDING  # NEW
    delivery = wait_for(lambda: sink.received)[0]
    event = gateway.parse_transfer_webhook(delivery["headers"], delivery["body"], config=config)
    assert (event.status, event.reference, event.amount_minor) == (OutcomeStatus.SUCCESS, ok.reference, 1_500_000)
    assert gateway.transfer_status(config=config, reference=ok.reference).status is OutcomeStatus.SUCCESS
    assert gateway.initiate_transfer(ok, config=config).status is OutcomeStatus.SUCCESS  # same reference: no 2nd
    assert len(sim.transfers) == 1

    bad = transfer()
    sim.fault_for(bad.reference, "failure")
    gateway.initiate_transfer(bad, config=config)
    wait_for(lambda: len(sink.received) == 2)
    failed = gateway.parse_transfer_webhook(sink.received[1]["headers"], sink.received[1]["body"], config=config)
    assert failed.status is OutcomeStatus.FAILED and failed.event_id != event.event_id
    assert gateway.transfer_status(config=config, reference=bad.reference).status is OutcomeStatus.FAILED


def test_transfer_unclear_outcomes_are_pending(sim, config):
    slow = transfer()
    sim.set_fault("timeout", hang=0.8, count=1)
    assert gateway.initiate_transfer(slow, config=make_config(sim, 0.3)).status is OutcomeStatus.PENDING
    wait_for(lambda: gateway.transfer_status(config=config, reference=slow.reference).status
             is OutcomeStatus.SUCCESS)

    polled = transfer()
    sim.fault_for(polled.reference, "pending_then_success", polls=2)
    gateway.initiate_transfer(polled, config=config)
    statuses = [gateway.transfer_status(config=config, reference=polled.reference).status for _ in range(2)]
    assert statuses == [OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]
    assert gateway.transfer_status(config=config, reference="unknown").provider_status == "not_found"


def test_transfer_errors(sim, config):
    with pytest.raises(InvalidAmount):
        gateway.initiate_transfer(transfer(amount=100), config=config)
    with pytest.raises(InvalidAccount):
        gateway.initiate_transfer(transfer(account="9912345678"), config=config)
    sim.balance_minor = 0
    with pytest.raises(ProviderLowBalance):
        gateway.initiate_transfer(transfer(), config=config)
