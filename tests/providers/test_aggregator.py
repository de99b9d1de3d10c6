"""Reloadly connector against its simulator: airtime and data in the 16 countries (GH, SN, CI here)."""

from __future__ import annotations

import pytest

from provider_plugins.aggregator import AggregatorConnector
from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    DataTopupRequest,
    InvalidAmount,
    InvalidRecipient,
    OutcomeStatus,
    ProductType,
    ProviderAuthError,
    ProviderLowBalance,
)
from provider_plugins.simkit.simulator import FaultMode

from .helpers import AGGREGATOR_CREDENTIALS, config_for, unique_id

GH_MTN = "+233244123456"
SN_ORANGE = "+221771234567"


def airtime(request_id, phone=GH_MTN, amount_minor=1_000, currency="GHS", country="GH", operator=""):
    return AirtimeTopupRequest(request_id=request_id, recipient_phone=phone, amount_minor=amount_minor,
                               currency=currency, country=country, operator_code=operator)


def test_auto_detects_the_operator_and_tops_up(aggregator, aggregator_sim):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid))
    assert result.status == OutcomeStatus.SUCCESS
    assert result.delivered_amount_minor == 1_000 and result.currency == "GHS"
    assert aggregator_sim.by_identifier[rid].operator["operatorId"] == 150
    assert aggregator_sim.delivery_count(rid) == 1


def test_xof_has_no_minor_unit(aggregator, aggregator_sim):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid, phone=SN_ORANGE, amount_minor=500, currency="XOF", country="SN"))
    assert result.status == OutcomeStatus.SUCCESS and result.delivered_amount_minor == 500
    assert aggregator_sim.by_identifier[rid].amount == 500


def test_token_is_fetched_once_and_refreshed_when_expired(aggregator, aggregator_sim):
    aggregator.airtime(airtime(unique_id()))
    aggregator.airtime(airtime(unique_id(), amount_minor=2_000))
    assert aggregator_sim.token_requests == 1
    aggregator_sim.expire_tokens()
    assert aggregator.airtime(airtime(unique_id(), amount_minor=3_000)).status == OutcomeStatus.SUCCESS
    assert aggregator_sim.token_requests == 2


def test_shared_token_cache_is_reused_across_connector_instances(aggregator_sim):
    cache: dict = {}
    for amount in (1_000, 2_000):
        connector = AggregatorConnector(config_for(aggregator_sim.url, AGGREGATOR_CREDENTIALS, token_cache=cache))
        connector.airtime(airtime(unique_id(), amount_minor=amount))
    assert aggregator_sim.token_requests == 1


def test_bad_client_credentials_raise_auth_error(aggregator_sim):
    connector = AggregatorConnector(config_for(aggregator_sim.url, {**AGGREGATOR_CREDENTIALS,
                                                                    "client_secret": "wrong"}))
    with pytest.raises(ProviderAuthError):
        connector.airtime(airtime(unique_id()))


def test_custom_identifier_reuse_returns_the_original_transaction(aggregator, aggregator_sim):
    rid = unique_id()
    first = aggregator.airtime(airtime(rid))
    again = aggregator.airtime(airtime(rid))
    assert again.status == OutcomeStatus.SUCCESS and again.provider_reference == first.provider_reference
    assert aggregator_sim.delivery_count(rid) == 1


def test_duplicate_reply_fault(aggregator, aggregator_sim):
    aggregator_sim.set_fault(FaultMode.DUPLICATE_REPLY, times=1)
    rid = unique_id()
    assert aggregator.airtime(airtime(rid)).status == OutcomeStatus.SUCCESS
    assert aggregator_sim.delivery_count(rid) == 1


def test_pending_then_success_by_magic_number(aggregator, aggregator_sim):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid, phone="+233244129991"))
    assert result.status == OutcomeStatus.PENDING
    assert aggregator.requery(rid).status == OutcomeStatus.PENDING
    assert aggregator.requery(rid).status == OutcomeStatus.SUCCESS
    assert aggregator_sim.delivery_count(rid) == 1


def test_failure_is_final(aggregator, aggregator_sim):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid, phone="+233244129990"))
    assert (result.status, result.reason) == (OutcomeStatus.FAILED, "provider_failed")
    assert aggregator.requery(rid).status == OutcomeStatus.FAILED
    assert aggregator_sim.delivery_count(rid) == 0


@pytest.mark.parametrize(("suffix", "reason"), [("9992", "timeout"), ("9995", "no_response"),
                                                ("9996", "unexpected_reply")])
def test_unclear_answers_are_pending_then_requery_finds_success(aggregator, aggregator_sim, suffix, reason):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid, phone=f"+23324412{suffix}"))
    assert (result.status, result.reason) == (OutcomeStatus.PENDING, reason)
    assert aggregator.requery(rid).status == OutcomeStatus.SUCCESS
    assert aggregator_sim.delivery_count(rid) == 1


def test_5xx_is_pending_and_nothing_was_done(aggregator, aggregator_sim):
    rid = unique_id()
    result = aggregator.airtime(airtime(rid, phone="+233244129993"))
    assert (result.status, result.reason) == (OutcomeStatus.PENDING, "http_503")
    assert aggregator.requery(rid).reason == "unknown_request_id"
    assert aggregator_sim.delivery_count(rid) == 0


def test_user_fixable_errors(aggregator):
    with pytest.raises(InvalidRecipient):
        aggregator.airtime(airtime(unique_id(), phone="+233311234567"))  # no operator for this prefix
    with pytest.raises(InvalidAmount):
        aggregator.airtime(airtime(unique_id(), amount_minor=999_00))


def test_insufficient_balance_is_a_provider_fault(aggregator, aggregator_sim):
    aggregator_sim.balance = 0.10  # USD: less than 5 cedis cost
    with pytest.raises(ProviderLowBalance):
        aggregator.airtime(airtime(unique_id(), amount_minor=5_00))


def test_catalog_and_data_bundle_purchase(aggregator, aggregator_sim):
    products = aggregator.list_products()
    assert len({p.country for p in products}) == 16
    bundle = next(p for p in products if p.product_type == ProductType.DATA and p.country == "GH")
    assert bundle.provider_product_code == "151:5.00"
    assert (bundle.face_value_minor, bundle.cost_minor, bundle.data_size_mb, bundle.validity_days) == (
        500, 475, 1024, 7)
    sn_airtime = next(p for p in products if p.provider_product_code == "300")
    assert (sn_airtime.currency, sn_airtime.min_amount_minor, sn_airtime.cost_rate_bp) == ("XOF", 100, 9_700)
    rid = unique_id()
    result = aggregator.data(DataTopupRequest(rid, GH_MTN, bundle.provider_product_code, bundle.face_value_minor,
                                              "GHS", "GH"))
    assert result.status == OutcomeStatus.SUCCESS and aggregator_sim.delivery_count(rid) == 1


def test_signed_webhook_is_parsed_and_forgeries_and_replays_are_refused(aggregator, aggregator_sim):
    import time

    from provider_plugins.aggregator import AggregatorCallbacks
    from provider_plugins.interfaces import SignatureError

    callbacks = AggregatorCallbacks(config_for(aggregator_sim.url, AGGREGATOR_CREDENTIALS))
    rid = unique_id()
    aggregator.airtime(airtime(rid, phone="+233244129991"))
    aggregator_sim.resolve_pending(rid)
    body, headers = aggregator_sim.build_callback(rid)
    update = callbacks.parse(body=body, headers=headers)
    assert update is not None
    assert (update.request_id, update.status, update.delivered_amount_minor) == (rid, OutcomeStatus.SUCCESS, 1_000)
    with pytest.raises(SignatureError):
        callbacks.parse(body=body.replace(b"SUCCESSFUL", b"FAILED"), headers=headers)
    stale_body, stale_headers = aggregator_sim.build_callback(rid, timestamp=int(time.time()) - 3600)
    with pytest.raises(SignatureError) as stale:
        callbacks.parse(body=stale_body, headers=stale_headers)
    assert stale.value.code == "stale_webhook"
    bad_rid = unique_id()
    aggregator.airtime(airtime(bad_rid, phone="+233244129998"))  # bad_signature magic number
    with pytest.raises(SignatureError):
        callbacks.parse(*(), **dict(zip(("body", "headers"), aggregator_sim.build_callback(bad_rid), strict=True)))


def test_reloadly_doubles_are_read_by_the_money_rule_never_rounded():
    """Reloadly writes amounts as JSON doubles (``500.0`` for a whole XOF amount, ``3.5`` per cent): the zeros a
    double's formatter adds after the currency's digits are dropped; anything else is refused, never rounded."""
    from provider_plugins.aggregator.connector import AggregatorConnector as Connector
    from provider_plugins.aggregator.connector import _operator_products
    from provider_plugins.interfaces.money import AmountError
    from provider_plugins.interfaces.wire import json_loads

    op = json_loads(b'{"operatorId": 700, "name": "Orange Senegal", "denominationType": "FIXED", '
                    b'"destinationCurrencyCode": "XOF", "commission": 3.5, "localFixedAmounts": [500.0, 1000.00], '
                    b'"localFixedAmountsDescriptions": {"500.00": "Recharge 500"}}')
    listings = _operator_products(op, "SN")
    assert [(x.face_value_minor, x.cost_minor) for x in listings] == [(500, 482), (1_000, 965)]  # 3.5 % off
    assert listings[0].name == "Orange Senegal Recharge 500"
    ranged = json_loads(b'{"operatorId": 701, "name": "MTN Ghana", "denominationType": "RANGE", '
                        b'"destinationCurrencyCode": "GHS", "localMinAmount": 1.50, "localMaxAmount": 500.000}')
    [airtime_listing] = _operator_products(ranged, "GH")
    assert (airtime_listing.min_amount_minor, airtime_listing.max_amount_minor) == (150, 50_000)
    txn = json_loads(b'{"transactionId": 9, "status": "SUCCESSFUL", "deliveredAmount": 1000.0, '
                     b'"deliveredAmountCurrencyCode": "XOF", "requestedAmount": 1.71, '
                     b'"requestedAmountCurrencyCode": "USD"}')
    result = Connector._result("rid", txn)
    assert (result.delivered_amount_minor, result.fx) == (1_000, {"amount": "1.71", "currency": "USD"})
    for bad in (b"500.5", b"5e2", b"500.0000001"):  # a fraction of a franc, an exponent, a double's noise
        with pytest.raises(AmountError):
            _operator_products(json_loads(b'{"operatorId": 1, "destinationCurrencyCode": "XOF", '
                                          b'"localFixedAmounts": [' + bad + b"]}"), "SN")
    with pytest.raises(AmountError):  # a Python float (JSON read the lossy way) is never money
        _operator_products({"operatorId": 1, "destinationCurrencyCode": "XOF", "localFixedAmounts": [500.0]}, "SN")
