"""Orange Money WebPay connector against the Orange simulator over real HTTP."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderProtocolError,
)
from provider_plugins.interfaces.money import from_minor
from provider_plugins.interfaces.payments import CheckoutRequest, PaymentGateway
from provider_plugins.orange_money import PLUGIN, OrangeMoneyConnector
from provider_plugins.orange_money.simulator import OrangeMoneySimulator
from tests.support.waiting import wait_for

om = OrangeMoneyConnector()


@pytest.fixture
def sim():
    with OrangeMoneySimulator(client_id="cid", client_secret="csecret", merchant_key="mk") as server:
        yield server


def make_config(sim, timeout=2.0, secret="csecret", country="ci"):
    return ProviderConfig(base_url=sim.url, timeout_seconds=timeout,
                          credentials={"client_id": "cid", "client_secret": secret, "merchant_key": "mk"},
                          options={"country": country, "currency": "XOF"})


@pytest.fixture
def config(sim):
    return make_config(sim)


def checkout(config, sink, *, amount=5_000, currency="XOF", reference=None):
    return om.initialize_checkout(CheckoutRequest(
        amount_minor=amount, currency=currency, reference=reference or "nt-" + uuid.uuid4().hex[:16],
        callback_url="https://sn.localhost/wallet/retour", notify_url=sink.url), config=config)


def pay_token(session):
    return session.provider_reference.split(":")[0]


def test_descriptor_and_protocol():
    assert PLUGIN.key == "orange_money" and isinstance(om, PaymentGateway)


@pytest.mark.parametrize(("country", "currency", "amount", "wire"), [
    ("GN", "GNF", 25_000, 25_000), ("LR", "LRD", 30_000, 300), ("SL", "SLE", 4_000, 40), ("GW", "XOF", 2_500, 2_500)])
def test_every_declared_market_is_verified_in_the_currency_it_was_paid_in(sim, sink, country, currency, amount, wire):
    """As the core configures a registry row (options ``country`` = the row's country in upper case, no
    ``currency``): the URL segment is Orange's lower-case one, and the verification reports the checkout's own
    currency. It reported XOF for a Guinean, Liberian or Sierra Leonean payment: the core saw a currency
    mismatch and parked the customer's money in suspense instead of crediting the wallet."""
    assert country in PLUGIN.countries and currency in PLUGIN.currencies
    config = ProviderConfig(base_url=sim.url, credentials={"client_id": "cid", "client_secret": "csecret",
                                                           "merchant_key": "mk"}, options={"country": country})
    session = checkout(config, sink, amount=amount, currency=currency)
    assert session.provider_reference.endswith(f":{wire}:{currency}")
    assert sim.payments[pay_token(session)]["amount"] == wire and sim.payments[pay_token(session)]["currency"] == \
        currency
    sim.complete(pay_token(session))
    result = om.verify(config=config, reference=session.reference, provider_id=session.provider_reference)
    assert result.status is OutcomeStatus.SUCCESS and (result.amount_minor, result.currency) == (amount, currency)
    # The contract notification ({transaction_ref, amount, status}) is read in the country's currency: a Liberian
    # "300.50" was read as XOF (no decimals), refused as malformed (400) and the notification lost.
    contract = om.parse_webhook({}, json.dumps({"transaction_ref": session.reference, "status": "SUCCESS",
                                                "amount": from_minor(amount, currency)}).encode(), config=config)
    assert (contract.amount_minor, contract.currency) == (amount, currency)
    # A session stored before the currency was part of the reference is read in the option (default XOF).
    older = ":".join(session.provider_reference.split(":")[:2])
    legacy = om.verify(config=ProviderConfig(base_url=sim.url, credentials=config.credentials,
                                             options={"country": country, "currency": currency}),
                       reference=session.reference, provider_id=older)
    assert (legacy.status, legacy.amount_minor, legacy.currency) == (OutcomeStatus.SUCCESS, amount, currency)


def test_pay_on_page_verify_and_authenticated_notification(sim, config, sink):
    session = checkout(config, sink)
    assert session.provider_reference.endswith(":5000:XOF") and session.raw["notif_token"]
    page = requests.get(session.authorization_url, timeout=2)
    assert page.status_code == 200 and "Payer 5000 XOF" in page.text
    before = om.verify(config=config, reference=session.reference, provider_id=session.provider_reference)
    assert before.status is OutcomeStatus.PENDING and before.provider_status == "INITIATED"

    confirm = requests.post(f"{sim.url}/payment/{pay_token(session)}/confirm", data={"action": "pay"},
                            allow_redirects=False, timeout=2)
    assert confirm.status_code == 302 and confirm.headers["Location"] == "https://sn.localhost/wallet/retour"
    result = om.verify(config=config, reference=session.reference, provider_id=session.provider_reference)
    assert result.status is OutcomeStatus.SUCCESS and result.matches(amount_minor=5_000, currency="XOF")
    assert result.provider_id.startswith("MP")

    notification = wait_for(lambda: sink.received)[0]
    assert om.notification_matches(notification["body"], session.raw["notif_token"])
    assert not om.notification_matches(notification["body"], "another-token")
    event = om.parse_webhook(notification["headers"], notification["body"], config=config)
    assert event.status is OutcomeStatus.SUCCESS and event.authenticated is False
    assert event.provider_id == result.provider_id


def test_contract_body_is_parsed(config):
    body = json.dumps({"transaction_ref": "nt-abc", "amount": 5000, "status": "SUCCESS"}).encode()
    event = om.parse_webhook({}, body, config=config)
    assert (event.reference, event.amount_minor, event.currency, event.status) == ("nt-abc", 5000, "XOF",
                                                                                   OutcomeStatus.SUCCESS)
    assert event.event_id == om.parse_webhook({}, body, config=config).event_id
    with pytest.raises(ProviderProtocolError):
        om.parse_webhook({}, b'{"amount": 1}', config=config)


def test_cancel_failure_and_pending_then_success(sim, config, sink):
    cancelled = checkout(config, sink)
    sim.complete(pay_token(cancelled), approve=False)
    assert om.verify(config=config, reference=cancelled.reference,
                     provider_id=cancelled.provider_reference).status is OutcomeStatus.FAILED
    assert sim.complete(pay_token(cancelled))["status"] == "FAILED"  # charged at most once

    slow = checkout(config, sink)
    sim.fault_for(slow.reference, "pending_then_success", polls=2)
    sim.complete(pay_token(slow))
    statuses = [om.verify(config=config, reference=slow.reference, provider_id=slow.provider_reference).status
                for _ in range(2)]
    assert statuses == [OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]


def test_forged_and_duplicate_notifications(sim, config, sink):
    forged = checkout(config, sink)
    sim.fault_for(forged.reference, "bad_signature")
    sim.complete(pay_token(forged))
    assert not om.notification_matches(wait_for(lambda: sink.received)[0]["body"], forged.raw["notif_token"])

    duplicated = checkout(config, sink)
    sim.fault_for(duplicated.reference, "duplicate_webhook", duplicates=3)
    sim.complete(pay_token(duplicated))
    deliveries = wait_for(lambda: sink.received[1:] if len(sink.received) == 4 else None)
    assert len({om.parse_webhook(d["headers"], d["body"], config=config).event_id for d in deliveries}) == 1


def test_faults_are_pending_and_errors_are_typed(sim, config, sink):
    session = checkout(config, sink)
    sim.set_fault("timeout", hang=0.8, count=1, path=r".*/transactionstatus")
    timed_out = om.verify(config=make_config(sim, 0.3), reference=session.reference,
                          provider_id=session.provider_reference)
    assert timed_out.status is OutcomeStatus.PENDING and timed_out.provider_status == "provider_timeout"
    sim.set_fault("server_error", count=1)
    assert om.verify(config=config, reference=session.reference,
                     provider_id=session.provider_reference).provider_status == "provider_unavailable"
    wrong_amount = session.provider_reference.split(":")[0] + ":4000"
    assert om.verify(config=config, reference=session.reference,
                     provider_id=wrong_amount).provider_status == "not_found"
    with pytest.raises(ProviderProtocolError):
        om.verify(config=config, reference=session.reference)
    with pytest.raises(DuplicateRequest):
        checkout(config, sink, reference=session.reference)
    with pytest.raises(InvalidAmount):
        checkout(config, sink, amount=0)
    with pytest.raises(InvalidAmount):
        checkout(config, sink, amount=150, currency="GHS")  # 1.50: Orange takes whole units only
    with pytest.raises(ProviderAuthError):
        checkout(make_config(sim, secret="wrong"), sink)


def test_sandbox_uses_ouv(sim, sink):
    dev = ProviderConfig(base_url=sim.url, credentials={"client_id": "cid", "client_secret": "csecret",
                                                        "merchant_key": "mk"},
                         options={"country": "dev", "wire_currency": "OUV"})
    session = checkout(dev, sink)
    assert sim.payments[pay_token(session)]["currency"] == "OUV"
    sim.complete(pay_token(session))
    result = om.verify(config=dev, reference=session.reference, provider_id=session.provider_reference)
    assert result.matches(amount_minor=5_000, currency="XOF")


def test_the_control_endpoint_completes_a_payment_named_by_the_merchants_reference(sim, sink, config):
    """``make run``'s history completes a checkout through each simulator's control endpoint by our reference (the
    other gateways' simulators take it); Orange's answered 404 to it (only its pay_token was known), so Guinea-Bissau
    and Sierra Leone, whose only rail is Orange Money, had no funded customer in the demo."""
    session = checkout(config, sink)
    answer = requests.post(f"{sim.url}/_simulator/complete/{session.reference}", json={"approve": True}, timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "SUCCESS"
    result = om.verify(config=config, reference=session.reference, provider_id=session.provider_reference)
    assert result.status is OutcomeStatus.SUCCESS and result.amount_minor == 5_000
    assert requests.post(f"{sim.url}/_simulator/complete/nt-unknown", json={}, timeout=5).status_code == 404
