"""Paystack connector against the Paystack simulator over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import uuid

import pytest
import requests

from provider_plugins.interfaces.common import (
    DuplicateRequest,
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderTimeout,
    ProviderUnavailable,
    SignatureError,
    UserFixableError,
)
from provider_plugins.interfaces.payments import CheckoutRequest, MobileMoneyCollection, PaymentGateway
from provider_plugins.interfaces.payouts import InvalidAccount, PayoutGateway, TransferRequest
from provider_plugins.paystack import PLUGIN, PaystackConnector
from provider_plugins.paystack.simulator import PaystackSimulator
from tests.support.waiting import wait_for

SECRET = "sk_test_abc123"


@pytest.fixture
def sim(sink):
    with PaystackSimulator(secret_key=SECRET, webhook_url=sink.url) as server:
        yield server


@pytest.fixture
def config(sim):
    return ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET}, timeout_seconds=2)


@pytest.fixture
def short_config(sim):
    return ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET}, timeout_seconds=0.3)


gateway = PaystackConnector()


def ref() -> str:
    return "nt-" + uuid.uuid4().hex[:20]


def checkout(config, *, amount=250_000, reference=None):
    reference = reference or ref()
    request = CheckoutRequest(amount_minor=amount, currency="NGN", reference=reference,
                              callback_url="https://ng.localhost/wallet/return", email="ada@example.com")
    return gateway.initialize_checkout(request, config=config)


def test_plugin_descriptor_and_protocols():
    assert PLUGIN.key == "paystack" and set(PLUGIN.capabilities) == {"payments", "payouts"}
    assert isinstance(gateway, PaymentGateway) and isinstance(gateway, PayoutGateway)
    assert not isinstance(object(), MobileMoneyCollection)


def test_checkout_page_pay_then_verify_and_signed_webhook(sim, config, sink):
    session = checkout(config)
    assert session.authorization_url.startswith(sim.url + "/checkout/")
    page = requests.get(session.authorization_url, timeout=2)
    assert page.status_code == 200 and "Pay" in page.text and session.reference in page.text

    pay = requests.post(session.authorization_url + "/pay", data={"action": "pay"}, allow_redirects=False, timeout=2)
    assert pay.status_code == 302
    assert pay.headers["Location"].startswith("https://ng.localhost/wallet/return?trxref=" + session.reference)

    result = gateway.verify(config=config, reference=session.reference)
    assert result.status is OutcomeStatus.SUCCESS
    assert (result.amount_minor, result.currency, result.channel) == (250_000, "NGN", "card")
    assert result.paid_at is not None and result.provider_id
    assert result.matches(amount_minor=250_000, currency="NGN")
    assert not result.matches(amount_minor=250_001, currency="NGN")  # a mismatch is visible to the core
    assert not result.matches(amount_minor=250_000, currency="GHS")

    by_id = gateway.verify(config=config, provider_id=result.provider_id)
    assert by_id.status is OutcomeStatus.SUCCESS and by_id.reference == session.reference

    delivery = wait_for(lambda: sink.received)[0]
    event = gateway.parse_webhook(delivery["headers"], delivery["body"], config=config)
    assert event.event_type == "charge.success" and event.status is OutcomeStatus.SUCCESS
    assert (event.reference, event.amount_minor, event.currency) == (session.reference, 250_000, "NGN")
    assert gateway.classify_webhook(delivery["body"]) == "payment"


def test_unpaid_checkout_verifies_pending_never_failed(config):
    session = checkout(config)
    result = gateway.verify(config=config, reference=session.reference)
    assert result.status is OutcomeStatus.PENDING and result.provider_status == "abandoned"
    unknown = gateway.verify(config=config, reference="never-initialized")
    assert unknown.status is OutcomeStatus.PENDING and unknown.provider_status == "not_found"


def test_declined_and_failure_mode_verify_failed(sim, config, sink):
    declined = checkout(config)
    sim.complete(declined.reference, approve=False)
    assert gateway.verify(config=config, reference=declined.reference).status is OutcomeStatus.FAILED

    sim.set_fault("failure")
    failing = checkout(config)
    sim.complete(failing.reference)
    result = gateway.verify(config=config, reference=failing.reference)
    assert result.status is OutcomeStatus.FAILED and result.message == "Declined"
    assert sink.received == []  # no charge.success for failures


@pytest.mark.parametrize("word", ["count", "times"])
def test_a_failure_run_fault_with_a_count_fails_that_many_payments_then_stops(sim, config, word):
    """``POST /_simulator/fault {"mode": "failure", "count": 1}`` stayed on until cleared: every later payment was
    declined too (the transport modes and the provider simulators honour their count)."""
    answer = requests.post(f"{sim.url}/_simulator/fault", json={"mode": "failure", word: 1}, timeout=2)
    assert answer.status_code == 200
    outcomes = []
    for _ in range(3):
        session = checkout(config)
        sim.complete(session.reference)
        outcomes.append(gateway.verify(config=config, reference=session.reference).status)
    assert outcomes == [OutcomeStatus.FAILED, OutcomeStatus.SUCCESS, OutcomeStatus.SUCCESS]


def test_each_reference_is_charged_once(sim, config, sink):
    session = checkout(config)
    sim.complete(session.reference)
    sim.complete(session.reference)
    requests.post(f"{sim.url}/_simulator/complete/{session.reference}", json={}, timeout=2)
    wait_for(lambda: sink.received)
    time.sleep(0.1)
    assert len(sink.received) == 1
    with pytest.raises(DuplicateRequest):
        checkout(config, reference=session.reference)


def test_pending_then_success(sim, config, sink):
    sim.set_fault("pending_then_success", polls=3)
    session = checkout(config)
    sim.complete(session.reference)
    seen = [gateway.verify(config=config, reference=session.reference).status for _ in range(3)]
    assert seen == [OutcomeStatus.PENDING, OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]
    assert len(wait_for(lambda: sink.received)) == 1


def test_duplicate_webhook_deliveries_share_event_id(sim, config, sink):
    sim.fault_for("dup-" + "x" * 12, "duplicate_webhook", duplicates=4)
    session = checkout(config, reference="dup-" + "x" * 12)
    sim.complete(session.reference)
    deliveries = wait_for(lambda: sink.received if len(sink.received) == 4 else None)
    events = [gateway.parse_webhook(d["headers"], d["body"], config=config) for d in deliveries]
    assert len({e.event_id for e in events}) == 1 and events[0].event_id.startswith("charge.success:")


def test_bad_signature_mode_is_rejected(sim, config, sink):
    sim.set_fault("bad_signature")
    session = checkout(config)
    sim.complete(session.reference)
    delivery = wait_for(lambda: sink.received)[0]
    with pytest.raises(SignatureError):
        gateway.parse_webhook(delivery["headers"], delivery["body"], config=config)


def test_signature_accepts_good_and_rejects_tampered_missing_and_modified(sim, config):
    headers, body = sim.build_webhook({"event": "charge.success", "data": {
        "id": 7, "status": "success", "reference": "r-1", "amount": 5000, "currency": "NGN"}})
    event = gateway.parse_webhook(headers, body, config=config)
    assert event.amount_minor == 5000 and event.event_id == "charge.success:7"
    # Django META-style keys are understood too.
    assert gateway.parse_webhook({"HTTP_X_PAYSTACK_SIGNATURE": headers["x-paystack-signature"]}, body,
                                 config=config).reference == "r-1"

    modified = body.replace(b"5000", b"9000")  # body changed after signing
    with pytest.raises(SignatureError):
        gateway.parse_webhook(headers, modified, config=config)
    with pytest.raises(SignatureError):
        gateway.parse_webhook({"Content-Type": "application/json"}, body, config=config)
    tampered = dict(headers, **{"x-paystack-signature": headers["x-paystack-signature"][:-2] + "00"})
    with pytest.raises(SignatureError):
        gateway.parse_webhook(tampered, body, config=config)
    wrong_key = hmac.new(b"another-secret", body, hashlib.sha512).hexdigest()
    with pytest.raises(SignatureError):
        gateway.parse_webhook({"x-paystack-signature": wrong_key}, body, config=config)
    # Re-serialising the same JSON differently also breaks the signature: the RAW body is signed.
    reserialised = json.dumps(json.loads(body), indent=1).encode()
    with pytest.raises(SignatureError):
        gateway.parse_webhook(headers, reserialised, config=config)


def test_user_fixable_errors_on_initialize(config):
    with pytest.raises(InvalidAmount):
        checkout(config, amount=50)
    with pytest.raises(UserFixableError) as excinfo:
        gateway.initialize_checkout(CheckoutRequest(amount_minor=10_000, currency="NGN", reference=ref(),
                                                    callback_url="", email="not-an-email"), config=config)
    assert excinfo.value.code == "invalid_email"


def test_wrong_secret_is_an_auth_fault(sim):
    bad = ProviderConfig(base_url=sim.url, credentials={"secret_key": "sk_wrong"}, timeout_seconds=2)
    with pytest.raises(ProviderAuthError):
        checkout(bad)


def test_latency_is_tolerated(sim, config):
    sim.set_fault("latency", latency=0.4, count=1)
    started = time.monotonic()
    session = checkout(config)
    assert time.monotonic() - started >= 0.4 and session.authorization_url


def test_timeout_and_5xx_map_to_faults_or_pending(sim, config, short_config, fault_session):
    session = checkout(config)
    sim.complete(session.reference)

    sim.set_fault("timeout", hang=0.8, count=1)
    result = gateway.verify(config=short_config, reference=session.reference)
    assert result.status is OutcomeStatus.PENDING and result.provider_status == "provider_timeout"

    sim.set_fault("server_error", count=1)
    result = gateway.verify(config=config, reference=session.reference)
    assert result.status is OutcomeStatus.PENDING and result.provider_status == "provider_unavailable"
    assert gateway.verify(config=config, reference=session.reference).status is OutcomeStatus.SUCCESS

    sim.set_fault("timeout", hang=0.8, count=1)
    with pytest.raises(ProviderTimeout):
        checkout(short_config)
    per_request = ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET},
                                 session=fault_session("server_error"))
    with pytest.raises(ProviderUnavailable):
        checkout(per_request)


def test_fault_control_endpoint(sim, config):
    requests.post(f"{sim.url}/_simulator/fault", json={"mode": "server_error"}, timeout=2)
    with pytest.raises(ProviderUnavailable):
        checkout(config)
    requests.delete(f"{sim.url}/_simulator/fault", timeout=2)
    assert checkout(config).authorization_url


def test_connection_refused_is_unavailable_and_not_sent():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = ProviderConfig(base_url=f"http://127.0.0.1:{port}", credentials={"secret_key": SECRET}, timeout_seconds=1)
    with pytest.raises(ProviderUnavailable) as excinfo:
        checkout(dead)
    assert excinfo.value.sent is False
    assert gateway.verify(config=dead, reference="x").status is OutcomeStatus.PENDING


# -- payouts -------------------------------------------------------------------------

def transfer_request(reference=None, *, amount=500_000, account="0123456789"):
    return TransferRequest(amount_minor=amount, currency="NGN", reference=reference or ref(), bank_code="058",
                           account_number=account, account_name="ADA OBI LOVELACE", narration="payout")


def test_list_banks_and_name_enquiry(config):
    banks = gateway.list_banks(config=config, country="NG")
    assert ("058", "Guaranty Trust Bank") in [(b.code, b.name) for b in banks]
    assert gateway.list_banks(config=config, country="GH")[0].code == "280100"
    account = gateway.resolve_account(config=config, bank_code="058", account_number="0123456789")
    assert account.account_name == "ADA OBI LOVELACE"
    with pytest.raises(InvalidAccount) as excinfo:
        gateway.resolve_account(config=config, bank_code="058", account_number="9912345678")
    assert excinfo.value.code == "invalid_account"
    with pytest.raises(InvalidAccount):
        gateway.resolve_account(config=config, bank_code="058", account_number="123")


def test_transfer_success_with_webhook(sim, config, sink):
    request = transfer_request()
    queued = gateway.initiate_transfer(request, config=config)
    assert queued.status is OutcomeStatus.PENDING and queued.provider_reference.startswith("TRF_")
    delivery = wait_for(lambda: sink.received)[0]
    event = gateway.parse_transfer_webhook(delivery["headers"], delivery["body"], config=config)
    assert (event.event_type, event.status, event.reference) == ("transfer.success", OutcomeStatus.SUCCESS,
                                                                 request.reference)
    assert event.amount_minor == 500_000 and gateway.classify_webhook(delivery["body"]) == "transfer"
    final = gateway.transfer_status(config=config, reference=request.reference)
    assert final.status is OutcomeStatus.SUCCESS and final.amount_minor == 500_000


def test_transfer_failure(sim, config, sink):
    request = transfer_request()
    sim.fault_for(request.reference, "failure")
    gateway.initiate_transfer(request, config=config)
    delivery = wait_for(lambda: sink.received)[0]
    event = gateway.parse_transfer_webhook(delivery["headers"], delivery["body"], config=config)
    assert event.status is OutcomeStatus.FAILED and event.event_type == "transfer.failed"
    assert gateway.transfer_status(config=config, reference=request.reference).status is OutcomeStatus.FAILED


def test_transfer_reversal_after_success(sim, config, sink):
    request = transfer_request()
    sim.fault_for(request.reference, "reversed")
    gateway.initiate_transfer(request, config=config)
    deliveries = wait_for(lambda: sink.received if len(sink.received) == 2 else None)
    events = [gateway.parse_transfer_webhook(d["headers"], d["body"], config=config) for d in deliveries]
    assert [(e.event_type, e.status, e.reversed) for e in events] == [
        ("transfer.success", OutcomeStatus.SUCCESS, False), ("transfer.reversed", OutcomeStatus.FAILED, True)]
    assert events[0].event_id != events[1].event_id
    final = gateway.transfer_status(config=config, reference=request.reference)
    assert final.status is OutcomeStatus.FAILED and final.reversed


def test_transfer_is_idempotent_on_reference(sim, config, sink):
    request = transfer_request()
    gateway.initiate_transfer(request, config=config)
    wait_for(lambda: sink.received)
    again = gateway.initiate_transfer(request, config=config)
    assert again.status is OutcomeStatus.SUCCESS
    assert len(sim.transfers) == 1 and sim.requests_seen.count(("POST", "/transfer")) == 2


def test_transfer_timeout_is_pending_then_requery_finds_it(sim, short_config, sink):
    request = transfer_request()
    sim.set_fault("timeout", hang=0.8, count=1, path="/transfer")  # the transfer call only, not the recipient
    first = gateway.initiate_transfer(request, config=short_config)
    assert first.status is OutcomeStatus.PENDING and first.provider_status == "provider_timeout"
    wait_for(lambda: sink.received)
    assert gateway.transfer_status(config=short_config, reference=request.reference).status is OutcomeStatus.SUCCESS


def test_transfer_pending_then_success_by_polling(sim, config):
    request = transfer_request()
    sim.fault_for(request.reference, "pending_then_success", polls=2)
    gateway.initiate_transfer(request, config=config)
    statuses = [gateway.transfer_status(config=config, reference=request.reference).status for _ in range(2)]
    assert statuses == [OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]
    missing = gateway.transfer_status(config=config, reference="never-sent")
    assert missing.status is OutcomeStatus.PENDING and missing.provider_status == "not_found"


def test_transfer_user_and_provider_errors(sim, config):
    with pytest.raises(InvalidAmount):
        gateway.initiate_transfer(transfer_request(amount=500), config=config)
    with pytest.raises(InvalidAccount):
        gateway.initiate_transfer(transfer_request(account="9900000000"), config=config)
    sim.balance = 1_000
    with pytest.raises(ProviderLowBalance):
        gateway.initiate_transfer(transfer_request(), config=config)


def test_concurrent_pays_and_initializes_charge_once(sim, config, sink):
    from concurrent.futures import ThreadPoolExecutor

    session = checkout(config)
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: requests.post(session.authorization_url + "/pay", data={"action": "pay"},
                                                        allow_redirects=False, timeout=5).status_code, range(20)))
    assert answers == [302] * 20
    wait_for(lambda: sink.received)
    time.sleep(0.2)
    assert len(sink.received) == 1
    assert gateway.verify(config=config, reference=session.reference).amount_minor == 250_000

    reference = ref()

    def try_initialize(_):
        try:
            return checkout(config, reference=reference).reference
        except DuplicateRequest:
            return None

    with ThreadPoolExecutor(max_workers=10) as pool:
        created = [r for r in pool.map(try_initialize, range(20)) if r]
    assert created == [reference]


def test_outcome_fault_per_request_header_and_unknown_modes_ignored(sim, fault_session):
    failing = ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET}, session=fault_session("failure"))
    session = checkout(failing)
    sim.complete(session.reference)
    assert gateway.verify(config=failing, reference=session.reference).status is OutcomeStatus.FAILED
    odd = ProviderConfig(base_url=sim.url, credentials={"secret_key": SECRET}, session=fault_session("no-such-mode"))
    normal = checkout(odd)
    sim.complete(normal.reference)
    assert gateway.verify(config=odd, reference=normal.reference).status is OutcomeStatus.SUCCESS


def test_refused_credentials_are_never_an_unclear_transfer(sim):
    bad = ProviderConfig(base_url=sim.url, credentials={"secret_key": "sk_wrong"}, timeout_seconds=2)
    with pytest.raises(ProviderAuthError):
        gateway.initiate_transfer(transfer_request(), config=bad)
    assert sim.transfers == {}


def test_unclear_classification():
    from provider_plugins.interfaces.gateway_http import is_unclear

    sent_timeout, refused, auth = ProviderTimeout("t"), ProviderUnavailable("u"), ProviderAuthError("a")
    sent_timeout.sent, refused.sent, auth.sent = True, False, True
    assert is_unclear(sent_timeout) and not is_unclear(refused) and not is_unclear(auth)
