"""VTPass connector against its simulator over real HTTP: every code and fault -> the right outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    BillPaymentRequest,
    CustomerVerificationRequest,
    DataTopupRequest,
    InvalidAmount,
    InvalidCustomer,
    OutcomeStatus,
    ProductType,
    ProductUnavailable,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderUnavailable,
    UserFixableError,
)
from provider_plugins.simkit.simulator import FaultMode
from provider_plugins.vtpass import VTPassCallbacks, VTPassConnector
from provider_plugins.vtpass import protocol as p
from provider_plugins.vtpass.simulator import VTPassSimulator

from .helpers import VTPASS_API_KEYS, VTPASS_CREDENTIALS, config_for, vtpass_request_id

OK_PHONE = p.SANDBOX_SUCCESS_PHONE


def airtime(request_id: str, phone: str = OK_PHONE, amount_minor: int = 10_000, network: str = "mtn"):
    return AirtimeTopupRequest(request_id=request_id, recipient_phone=phone, amount_minor=amount_minor,
                               currency="NGN", country="NG", operator_code=network)


def test_airtime_success_reports_delivery_reference_and_amount(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid))
    assert result.status == OutcomeStatus.SUCCESS
    assert result.provider_code == "000"
    assert result.delivered_amount_minor == 10_000 and result.currency == "NGN"
    assert result.provider_reference == vtpass_sim.transactions[rid].transaction_id
    assert vtpass_sim.delivery_count(rid) == 1


def test_e164_numbers_are_sent_in_national_format(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    assert vtpass.airtime(airtime(rid, phone="+2348011111111")).status == OutcomeStatus.SUCCESS
    assert vtpass_sim.transactions[rid].customer == "08011111111"


def test_resubmitting_a_request_id_gets_014_and_returns_the_original_outcome(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    first = vtpass.airtime(airtime(rid))
    again = vtpass.airtime(airtime(rid))
    assert first.status == again.status == OutcomeStatus.SUCCESS
    assert again.provider_reference == first.provider_reference
    assert vtpass_sim.delivery_count(rid) == 1


def test_duplicate_reply_fault_is_resolved_by_requery(vtpass, vtpass_sim):
    vtpass_sim.set_fault(FaultMode.DUPLICATE_REPLY, times=1)
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid))
    assert result.status == OutcomeStatus.SUCCESS
    assert vtpass_sim.delivery_count(rid) == 1


def test_any_other_sandbox_number_fails_with_016(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid, phone="08099999999"))
    assert result.status == OutcomeStatus.FAILED
    assert result.provider_code == "016" and result.reason == "provider_failed"
    assert vtpass_sim.delivery_count(rid) == 0
    assert vtpass.requery(rid).status == OutcomeStatus.FAILED


def test_sandbox_pending_number_is_pending_then_success_on_requery(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    first = vtpass.airtime(airtime(rid, phone=p.SANDBOX_PENDING_PHONE))
    assert first.status == OutcomeStatus.PENDING and first.reason == "pending"
    assert vtpass.requery(rid).status == OutcomeStatus.PENDING  # pending_requeries=1
    final = vtpass.requery(rid)
    assert final.status == OutcomeStatus.SUCCESS
    assert vtpass.requery(rid).status == OutcomeStatus.SUCCESS
    assert vtpass_sim.delivery_count(rid) == 1


def test_099_processing_is_pending(vtpass, vtpass_sim):
    vtpass_sim.pending_answer_code = p.PROCESSING
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid, phone=p.SANDBOX_PENDING_PHONE))
    assert (result.status, result.provider_code, result.reason) == (OutcomeStatus.PENDING, "099", "processing")


@pytest.mark.parametrize(("phone", "reason"), [
    (p.SANDBOX_TIMEOUT_PHONE, "timeout"),
    (p.SANDBOX_NO_RESPONSE_PHONE, "no_response"),
    (p.SANDBOX_UNEXPECTED_PHONE, "unexpected_reply"),
])
def test_unclear_answers_are_pending_and_requery_finds_the_delivery(vtpass, vtpass_sim, phone, reason):
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid, phone=phone))
    assert result.status == OutcomeStatus.PENDING and result.reason == reason
    assert vtpass.requery(rid).status == OutcomeStatus.SUCCESS
    assert vtpass_sim.delivery_count(rid) == 1


def test_server_error_is_pending_and_requery_says_unknown_request_id(vtpass, vtpass_sim):
    vtpass_sim.set_fault(FaultMode.SERVER_ERROR, times=1)
    rid = vtpass_request_id()
    result = vtpass.airtime(airtime(rid))
    assert result.status == OutcomeStatus.PENDING and result.reason == "http_500"
    again = vtpass.requery(rid)
    assert (again.status, again.provider_code, again.reason) == (OutcomeStatus.PENDING, "015", "unknown_request_id")
    assert vtpass_sim.delivery_count(rid) == 0


def test_latency_within_the_timeout_still_succeeds(vtpass, vtpass_sim):
    vtpass_sim.latency_seconds = 0.05
    assert vtpass.airtime(airtime(vtpass_request_id())).status == OutcomeStatus.SUCCESS


def test_generic_failure_fault_per_run(vtpass, vtpass_sim):
    vtpass_sim.set_fault(FaultMode.FAILURE)
    assert vtpass.airtime(airtime(vtpass_request_id())).status == OutcomeStatus.FAILED
    assert vtpass.airtime(airtime(vtpass_request_id(), amount_minor=20_000)).status == OutcomeStatus.FAILED
    vtpass_sim.clear_fault()
    assert vtpass.airtime(airtime(vtpass_request_id(), amount_minor=30_000)).status == OutcomeStatus.SUCCESS


def test_018_low_wallet_balance_is_a_provider_fault_and_charges_nothing(vtpass, vtpass_sim):
    vtpass_sim.balance_minor = 5_000
    rid = vtpass_request_id()
    with pytest.raises(ProviderLowBalance) as caught:
        vtpass.airtime(airtime(rid))
    assert caught.value.provider_code == "018"
    assert rid not in vtpass_sim.transactions and vtpass_sim.balance_minor == 5_000


def test_019_same_purchase_within_30_seconds_is_refused(vtpass_sim):
    vtpass_sim.duplicate_window_seconds = 30
    connector = VTPassConnector(config_for(vtpass_sim.url, VTPASS_API_KEYS))
    first, second = vtpass_request_id(), vtpass_request_id()
    assert connector.airtime(airtime(first)).status == OutcomeStatus.SUCCESS
    refused = connector.airtime(airtime(second))
    assert (refused.status, refused.provider_code, refused.reason) == (OutcomeStatus.FAILED, "019",
                                                                       "likely_duplicate")
    assert len(vtpass_sim.deliveries) == 1


def test_amount_limits_013_017_and_unknown_variation_010(vtpass):
    with pytest.raises(InvalidAmount) as below:
        vtpass.airtime(airtime(vtpass_request_id(), amount_minor=1_000))
    assert below.value.provider_code == "013"
    with pytest.raises(InvalidAmount) as above:
        vtpass.airtime(airtime(vtpass_request_id(), amount_minor=60_000_00))
    assert above.value.provider_code == "017"
    with pytest.raises(ProductUnavailable) as missing:
        vtpass.data(DataTopupRequest(vtpass_request_id(), OK_PHONE, "mtn-no-such-plan", 10_000, "NGN", "NG"))
    assert missing.value.provider_code == "010"


def test_bad_request_id_format_is_refused_with_011(vtpass):
    with pytest.raises(UserFixableError) as caught:
        vtpass.airtime(airtime("not-a-vtpass-id"))
    assert caught.value.provider_code == "011"


def test_request_id_is_lagos_time_plus_suffix():
    late_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Lagos
    rid = p.make_request_id("order-42/a", late_utc)
    assert rid == "202603020030order42a"
    assert p.request_id_problem(rid, now=late_utc) == ""
    assert p.request_id_problem("2026030200", now=late_utc)  # too short
    assert p.request_id_problem("202001010000abc", now=late_utc)  # not today


def test_requery_of_an_unknown_id_is_pending_015(vtpass):
    result = vtpass.requery(vtpass_request_id())
    assert (result.status, result.provider_code) == (OutcomeStatus.PENDING, "015")


def test_wrong_credentials_raise_auth_error(vtpass_sim):
    connector = VTPassConnector(config_for(vtpass_sim.url, {**VTPASS_API_KEYS, "secret_key": "SK_wrong"}))
    with pytest.raises(ProviderAuthError):
        connector.airtime(airtime(vtpass_request_id()))


def test_basic_auth_is_supported(vtpass_sim):
    basic = {"username": VTPASS_CREDENTIALS["username"], "password": VTPASS_CREDENTIALS["password"]}
    connector = VTPassConnector(config_for(vtpass_sim.url, basic))
    assert connector.airtime(airtime(vtpass_request_id())).status == OutcomeStatus.SUCCESS


def test_connection_refused_is_provider_unavailable():
    sim = VTPassSimulator().start()
    url = sim.url
    sim.stop()
    connector = VTPassConnector(config_for(url, VTPASS_API_KEYS))
    with pytest.raises(ProviderUnavailable):
        connector.airtime(airtime(vtpass_request_id()))


def test_data_purchase_by_variation_code(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    result = vtpass.data(DataTopupRequest(rid, OK_PHONE, "mtn-100mb-1000", 100_000, "NGN", "NG"))
    assert result.status == OutcomeStatus.SUCCESS and result.delivered_amount_minor == 100_000
    assert vtpass_sim.transactions[rid].service_id == "mtn-data"


def test_electricity_verify_then_pay_returns_token_and_units(vtpass, vtpass_sim):
    details = vtpass.verify_customer(CustomerVerificationRequest("ikeja-electric", p.SANDBOX_PREPAID_METER,
                                                                 "prepaid"))
    assert details.name == "TESTMETER1" and details.address
    assert details.minimum_amount_minor == 50_000
    rid = vtpass_request_id()
    result = vtpass.pay(BillPaymentRequest(rid, "ikeja-electric", p.SANDBOX_PREPAID_METER, 500_000, "NGN",
                                           variation="prepaid", phone="+2348031234567"))
    assert result.status == OutcomeStatus.SUCCESS
    assert result.token == vtpass_sim.transactions[rid].token and len(result.token) == 24
    assert result.units.endswith("kWh")
    again = vtpass.requery(rid)
    assert again.token == result.token


def test_wrong_meter_raises_invalid_customer(vtpass):
    with pytest.raises(InvalidCustomer):
        vtpass.verify_customer(CustomerVerificationRequest("ikeja-electric", "12345678901", "prepaid"))


def test_cable_tv_smartcard_verify_and_bouquet_payment(vtpass):
    details = vtpass.verify_customer(CustomerVerificationRequest("dstv", p.SANDBOX_SMARTCARD))
    assert details.name and details.extra["Current_Bouquet"]
    result = vtpass.pay(BillPaymentRequest(vtpass_request_id(), "dstv", p.SANDBOX_SMARTCARD, 440_000, "NGN",
                                           variation="dstv-padi", phone="+2348031234567"))
    assert result.status == OutcomeStatus.SUCCESS and result.token == ""


def test_catalog_lists_every_service_type_with_costs(vtpass):
    products = vtpass.list_products()
    types = {product.product_type for product in products}
    assert types == {ProductType.AIRTIME, ProductType.DATA, ProductType.ELECTRICITY, ProductType.CABLE_TV,
                     ProductType.EDUCATION, ProductType.INSURANCE}
    bundle = next(x for x in products if x.provider_product_code == "mtn-100mb-1000")
    assert (bundle.face_value_minor, bundle.cost_minor) == (100_000, 97_000)  # 3 % commission
    assert (bundle.data_size_mb, bundle.validity_days) == (1536, 30)
    mtn_airtime = next(x for x in products if x.provider_product_code == "mtn")
    assert mtn_airtime.is_open_amount and mtn_airtime.min_amount_minor == 5_000 and mtn_airtime.cost_rate_bp == 9_900
    meters = [x for x in products if x.biller_code == "ikeja-electric"]
    assert {m.variation for m in meters} == {"prepaid", "postpaid"} and all(m.requires_verification for m in meters)


def test_unsigned_callback_is_parsed_and_needs_confirmation(vtpass, vtpass_sim):
    rid = vtpass_request_id()
    vtpass.airtime(airtime(rid, phone=p.SANDBOX_PENDING_PHONE))
    vtpass_sim.resolve_pending(rid)
    body, headers = vtpass_sim.build_callback(rid)
    callbacks = VTPassCallbacks(ProviderConfig(base_url=vtpass_sim.url))
    update = callbacks.parse(body=body, headers=headers)
    assert update is not None
    assert update.request_id == rid and update.status == OutcomeStatus.SUCCESS
    assert update.requires_confirmation is True
    assert update.recipient == p.SANDBOX_PENDING_PHONE
    assert callbacks.acknowledgement().body == {"response": "success"}
    other = json.dumps({"type": "variations-update", "data": {}}).encode()
    assert callbacks.parse(body=other, headers={}) is None
    with pytest.raises(ProviderProtocolError):
        callbacks.parse(body=b"<html>", headers={})
