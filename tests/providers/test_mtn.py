"""MTN direct connector and its signed webhook against the simulator."""

from __future__ import annotations

import json

import pytest

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    DataTopupRequest,
    InvalidAmount,
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    SignatureError,
)
from provider_plugins.interfaces.simulator import FaultMode
from provider_plugins.mtn import MTNCallbacks, MTNConnector
from provider_plugins.mtn.protocol import SIGNATURE_HEADER, sign

from .helpers import MTN_CREDENTIALS, config_for, unique_id


def airtime(request_id, phone="+2348031234567", amount_minor=10_000):
    return AirtimeTopupRequest(request_id, phone, amount_minor, "NGN", "NG")


def test_success_and_tx_id_idempotency(mtn, mtn_sim):
    rid = unique_id()
    first = mtn.airtime(airtime(rid))
    assert first.status == OutcomeStatus.SUCCESS and first.delivered_amount_minor == 10_000
    again = mtn.airtime(airtime(rid))
    assert again.status == OutcomeStatus.SUCCESS and again.provider_reference == first.provider_reference
    assert mtn_sim.delivery_count(rid) == 1


def test_national_format_is_converted_to_msisdn(mtn, mtn_sim):
    rid = unique_id()
    assert mtn.airtime(airtime(rid, phone="08031234567")).status == OutcomeStatus.SUCCESS
    assert mtn_sim.transactions[rid].msisdn == "2348031234567"


def test_failure_carries_the_reason(mtn):
    result = mtn.airtime(airtime(unique_id(), phone="+2348031239990"))
    assert (result.status, result.reason) == (OutcomeStatus.FAILED, "SUBSCRIBER_BARRED")


def test_pending_then_success(mtn, mtn_sim):
    rid = unique_id()
    assert mtn.airtime(airtime(rid, phone="+2348031239991")).status == OutcomeStatus.PENDING
    assert mtn.requery(rid).status == OutcomeStatus.PENDING
    assert mtn.requery(rid).status == OutcomeStatus.SUCCESS
    assert mtn_sim.delivery_count(rid) == 1


@pytest.mark.parametrize("mode", [FaultMode.TIMEOUT, FaultMode.NO_RESPONSE, FaultMode.GARBAGE,
                                  FaultMode.DUPLICATE_REPLY])
def test_unclear_or_duplicate_answers_end_in_exactly_one_delivery(mtn, mtn_sim, mode):
    mtn_sim.set_fault(mode, times=1)
    rid = unique_id()
    result = mtn.airtime(airtime(rid))
    expected = OutcomeStatus.SUCCESS if mode == FaultMode.DUPLICATE_REPLY else OutcomeStatus.PENDING
    assert result.status == expected
    assert mtn.requery(rid).status == OutcomeStatus.SUCCESS
    assert mtn_sim.delivery_count(rid) == 1


def test_bad_gateway_is_pending_and_unknown_afterwards(mtn, mtn_sim):
    mtn_sim.set_fault(FaultMode.SERVER_ERROR, times=1)
    rid = unique_id()
    assert mtn.airtime(airtime(rid)).reason == "http_502"
    assert mtn.requery(rid).reason == "unknown_request_id"
    assert mtn_sim.delivery_count(rid) == 0


def test_errors(mtn, mtn_sim):
    with pytest.raises(InvalidRecipient):
        mtn.airtime(airtime(unique_id(), phone="+23380312"))
    with pytest.raises(InvalidAmount):
        mtn.data(DataTopupRequest(unique_id(), "+2348031234567", "MTN-DATA-2GB-30D", 100, "NGN", "NG"))
    mtn_sim.float_minor = 0
    with pytest.raises(ProviderLowBalance):
        mtn.airtime(airtime(unique_id()))
    with pytest.raises(ProviderAuthError):
        MTNConnector(config_for(mtn_sim.url, {"api_key": "nope"})).airtime(airtime(unique_id()))


def test_catalog(mtn):
    products = {p.provider_product_code: p for p in mtn.list_products()}
    assert products["MTN-AIRTIME"].cost_rate_bp == 9_700
    bundle = products["MTN-DATA-2GB-30D"]
    assert (bundle.face_value_minor, bundle.cost_minor, bundle.data_size_mb, bundle.validity_days) == (
        150_000, 144_000, 2048, 30)


def test_signed_webhook_is_parsed(mtn, mtn_sim):
    rid = unique_id()
    mtn.airtime(airtime(rid, phone="+2348031239991"))
    mtn_sim.resolve_pending(rid)
    body, headers = mtn_sim.build_callback(rid)
    assert set(json.loads(body)) == {"tx_id", "status", "recipient"}
    update = MTNCallbacks(ProviderConfig(base_url=mtn_sim.url, credentials=MTN_CREDENTIALS)).parse(
        body=body, headers=headers)
    assert (update.request_id, update.status, update.recipient) == (rid, OutcomeStatus.SUCCESS, "2348031239991")
    assert update.requires_confirmation is False


def test_bad_signature_fault_and_tampering_are_rejected(mtn, mtn_sim):
    callbacks = MTNCallbacks(ProviderConfig(base_url=mtn_sim.url, credentials=MTN_CREDENTIALS))
    rid = unique_id()
    mtn.airtime(airtime(rid, phone="+2348031239998"))  # bad_signature magic number
    body, headers = mtn_sim.build_callback(rid)
    with pytest.raises(SignatureError):
        callbacks.parse(body=body, headers=headers)
    good_rid = unique_id()
    mtn.airtime(airtime(good_rid))
    body, headers = mtn_sim.build_callback(good_rid)
    tampered = body.replace(b"SUCCESSFUL", b"FAILED")
    with pytest.raises(SignatureError):
        callbacks.parse(body=tampered, headers=headers)
    with pytest.raises(SignatureError):
        callbacks.parse(body=body, headers={})
    forged = {SIGNATURE_HEADER: sign("guessed-secret", body)}
    with pytest.raises(SignatureError):
        callbacks.parse(body=body, headers=forged)


def test_latency_beyond_the_client_timeout_is_pending_until_the_provider_finishes(mtn, mtn_sim):
    import time

    mtn_sim.latency_seconds = 2.0  # > CLIENT_TIMEOUT: the answer comes too late, the work still happens
    rid = unique_id()
    assert mtn.airtime(airtime(rid)).reason == "timeout"
    mtn_sim.latency_seconds = 0.0
    deadline = time.monotonic() + 5
    while mtn_sim.delivery_count(rid) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mtn.requery(rid).status == OutcomeStatus.SUCCESS
    assert mtn_sim.delivery_count(rid) == 1


def test_latency_magic_number_within_the_timeout_succeeds(mtn, mtn_sim):
    mtn_sim.latency_seconds = 0.0
    assert mtn.airtime(airtime(unique_id(), phone="+2348031239997")).status == OutcomeStatus.SUCCESS
