"""MTN MoMo connector against the MoMo simulator over real HTTP."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from provider_plugins.interfaces.common import (
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderFault,
    ProviderUnavailable,
)
from provider_plugins.interfaces.payments import MobileMoneyCollection, MobileMoneyRequest
from provider_plugins.mtn_momo import PLUGIN, MtnMomoConnector, reference_id_for
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from tests.support.waiting import wait_for

API_USER = str(uuid.uuid4())
momo = MtnMomoConnector()


@pytest.fixture
def sim(sink):
    with MtnMomoSimulator(api_user=API_USER, api_key="k3y", subscription_key="sub", target_environment="mtnghana",
                          auto_approve=False, webhook_url=sink.url) as server:
        yield server


def make_config(sim, timeout=2.0, api_key="k3y", environment="mtnghana"):
    return ProviderConfig(base_url=sim.url, timeout_seconds=timeout, options={"target_environment": environment},
                          credentials={"subscription_key": "sub", "api_user": API_USER, "api_key": api_key})


@pytest.fixture
def config(sim):
    return make_config(sim)


def push(config, sink, *, phone="233241234567", amount=1_250, currency="GHS", reference=None):
    return momo.request_to_pay(MobileMoneyRequest(
        amount_minor=amount, currency=currency, phone=phone, reference=reference or "nt-" + uuid.uuid4().hex,
        callback_url=sink.url, payer_message="Wallet top-up"), config=config)


def test_descriptor_and_protocol():
    assert PLUGIN.key == "mtn_momo" and isinstance(momo, MobileMoneyCollection)


def test_request_to_pay_202_poll_approve_and_callback(sim, config, sink):
    accepted = push(config, sink)
    assert accepted.status is OutcomeStatus.PENDING
    assert accepted.provider_reference == reference_id_for(accepted.reference)
    assert sim.payments[accepted.provider_reference]["amount"] == "12.50"
    pending = momo.payment_status(config=config, provider_reference=accepted.provider_reference)
    assert pending.status is OutcomeStatus.PENDING and pending.provider_status == "PENDING"

    sim.complete(accepted.provider_reference)
    result = momo.payment_status(config=config, provider_reference=accepted.provider_reference)
    assert result.status is OutcomeStatus.SUCCESS and result.matches(amount_minor=1_250, currency="GHS")
    assert result.reference == accepted.reference and result.channel == "mobile_money"

    callback = wait_for(lambda: sink.received)[0]
    assert callback["method"] == "PUT"
    event = momo.parse_callback(callback["headers"], callback["body"], config=config)
    assert event.authenticated is False  # unsigned: the core must poll before crediting
    assert (event.reference, event.status, event.amount_minor) == (accepted.reference, OutcomeStatus.SUCCESS, 1_250)
    assert event.provider_id == accepted.provider_reference


def test_token_is_cached_and_refreshed(sim, config, sink):
    push(config, sink)
    push(config, sink)
    issued = sim.tokens_issued
    sim.expire_tokens()  # MoMo now answers 401 to the cached token
    accepted = push(config, sink)
    assert sim.tokens_issued == issued + 1 and accepted.status is OutcomeStatus.PENDING
    with pytest.raises(ProviderAuthError):
        push(make_config(sim, api_key="wrong"), sink)
    with pytest.raises(ProviderAuthError):
        push(make_config(sim, environment="sandbox"), sink)


def test_same_reference_is_one_payment(sim, config, sink):
    first = push(config, sink, reference="nt-once")
    second = push(config, sink, reference="nt-once")
    assert first.provider_reference == second.provider_reference and len(sim.payments) == 1
    assert sim.requests_seen.count(("POST", "/collection/v1_0/requesttopay")) == 2


def test_rejection_and_sandbox_magic_numbers(sim, config, sink):
    rejected = push(config, sink)
    sim.complete(rejected.provider_reference, approve=False)
    result = momo.payment_status(config=config, provider_reference=rejected.provider_reference)
    assert result.status is OutcomeStatus.FAILED and result.message == "APPROVAL_REJECTED"
    assert sim.complete(rejected.provider_reference)["status"] == "FAILED"  # final states never change

    expired = push(config, sink, phone="46733123452")
    wait_for(lambda: momo.payment_status(config=config, provider_reference=expired.provider_reference).status
             is OutcomeStatus.FAILED)
    stuck = push(config, sink, phone="46733123454")
    assert momo.payment_status(config=config, provider_reference=stuck.provider_reference).status \
        is OutcomeStatus.PENDING


def test_failure_mode_and_pending_then_success(sim, config, sink):
    sim.set_fault("failure")
    failed = push(config, sink)
    wait_for(lambda: momo.payment_status(config=config, provider_reference=failed.provider_reference).status
             is OutcomeStatus.FAILED)
    sim.set_fault("pending_then_success", polls=3)
    slow = push(config, sink)
    statuses = [momo.payment_status(config=config, provider_reference=slow.provider_reference).status
                for _ in range(3)]
    assert statuses == [OutcomeStatus.PENDING, OutcomeStatus.PENDING, OutcomeStatus.SUCCESS]


def test_duplicate_callbacks_share_event_id(sim, config, sink):
    sim.set_fault("duplicate_webhook", duplicates=3)
    accepted = push(config, sink)
    sim.complete(accepted.provider_reference)
    deliveries = wait_for(lambda: sink.received if len(sink.received) == 3 else None)
    ids = {momo.parse_callback(d["headers"], d["body"], config=config).event_id for d in deliveries}
    assert len(ids) == 1


def test_unclear_answers_are_pending_then_resolvable(sim, config, sink):
    push(config, sink)  # token cached
    sim.set_fault("timeout", hang=0.8, count=1, path="/collection/v1_0/requesttopay")
    timed_out = push(make_config(sim, timeout=0.3), sink)
    assert timed_out.status is OutcomeStatus.PENDING
    sim.complete(timed_out.provider_reference)  # MoMo did receive it
    assert momo.payment_status(config=config, provider_reference=timed_out.provider_reference).status \
        is OutcomeStatus.SUCCESS

    sim.set_fault("server_error", count=1, path="/collection/v1_0/requesttopay")
    lost = push(config, sink, reference="nt-lost")
    assert lost.status is OutcomeStatus.PENDING
    status = momo.payment_status(config=config, provider_reference=lost.provider_reference)
    assert status.status is OutcomeStatus.PENDING and status.provider_status == "not_found"
    again = push(config, sink, reference="nt-lost")  # safe re-send: same X-Reference-Id
    assert again.provider_reference == lost.provider_reference and len(sim.payments) == 3

    sim.set_fault("latency", latency=0.3, count=1, path="/collection/v1_0/requesttopay/.*")
    started = time.monotonic()
    assert momo.payment_status(config=config, provider_reference=timed_out.provider_reference).status \
        is OutcomeStatus.SUCCESS
    assert time.monotonic() - started >= 0.3

    sim.set_fault("server_error", count=1, path="/collection/v1_0/requesttopay/.*")
    assert momo.payment_status(config=config, provider_reference=again.provider_reference).provider_status \
        == "provider_unavailable"


def test_user_and_provider_errors(sim, config, sink):
    with pytest.raises(InvalidAmount):
        push(config, sink, amount=0)
    with pytest.raises(ProviderFault) as excinfo:
        push(config, sink, currency="USD")
    assert excinfo.value.provider_code == "INVALID_CURRENCY"
    sim.stop()
    with pytest.raises(ProviderUnavailable):
        push(config, sink, reference="nt-" + uuid.uuid4().hex)


def test_callback_body_must_be_json_with_external_id(config):
    from provider_plugins.interfaces.common import ProviderProtocolError
    with pytest.raises(ProviderProtocolError):
        momo.parse_callback({}, b"not json", config=config)
    with pytest.raises(ProviderProtocolError):
        momo.parse_callback({}, json.dumps({"status": "SUCCESSFUL"}).encode(), config=config)
