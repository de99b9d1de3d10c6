"""DT One DVS connector against its simulator: discovery, async transactions, polling, callbacks, faults."""

from __future__ import annotations

import json
import re
import time

import pytest

from provider_plugins.dtone import DTOneCallbacks, DTOneConnector
from provider_plugins.dtone import protocol as p
from provider_plugins.dtone.simulator import DTOneSimulator
from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    DataTopupRequest,
    InvalidAmount,
    InvalidRecipient,
    OutcomeStatus,
    ProductType,
    ProductUnavailable,
    ProviderAuthError,
    ProviderLowBalance,
)
from provider_plugins.interfaces.money import AmountError
from provider_plugins.interfaces.numbering import COUNTRIES
from provider_plugins.simkit.gateway_sim import WebhookSink
from provider_plugins.simkit.simulator import FaultMode

from .helpers import DTONE_CREDENTIALS, config_for, unique_id

CI_ORANGE = "+2250701234567"
NG_MTN_AIRTIME = "112001"  # MTN Nigeria's ranged airtime product in the simulator's catalogue


@pytest.fixture(scope="module")
def sim():
    with DTOneSimulator(hang_seconds=2.5, completion_delay_seconds=None, pending_requeries=1) as server:
        yield server


@pytest.fixture(scope="module")
def dtone(sim):
    return DTOneConnector(config_for(sim.url + "/v1", DTONE_CREDENTIALS))


@pytest.fixture(autouse=True)
def _clean(sim):
    sim.clear_fault()
    sim.balance = sim.balance.__class__("1000000")
    yield


@pytest.fixture(scope="module")
def catalogue(dtone):
    return dtone.list_products()


def airtime(rid, phone="+2348031234567", amount_minor=50_000, product=NG_MTN_AIRTIME, country="NG", currency="NGN"):
    return AirtimeTopupRequest(request_id=rid, recipient_phone=phone, amount_minor=amount_minor, currency=currency,
                               country=country, operator_code=product)


def test_catalogue_covers_the_16_countries_with_operators_tied_to_the_numbering_plans(catalogue):
    assert {x.country for x in catalogue} == set(COUNTRIES)
    for country, numbering in COUNTRIES.items():
        ranged = [x for x in catalogue if x.country == country and x.product_type == ProductType.AIRTIME]
        assert {x.operator for x in ranged} == set(numbering.networks), country
        assert all(x.is_open_amount and x.currency == numbering.currency for x in ranged)
        assert any(x.product_type == ProductType.DATA for x in catalogue if x.country == country)
    mtn = next(x for x in catalogue if x.provider_product_code == NG_MTN_AIRTIME)
    assert (mtn.min_amount_minor, mtn.max_amount_minor, mtn.cost_rate_bp) == (5_000, 5_000_000, 9_662)
    assert mtn.fx == {"rate": "1593.9", "currency": "USD"}  # DT One charges our USD account at its wholesale rate
    bundle = next(x for x in catalogue if x.country == "SN" and x.product_type == ProductType.DATA
                  and x.face_value_minor == 1_000)
    assert (bundle.operator, bundle.data_size_mb, bundle.validity_days, bundle.cost_minor) == ("orange", 2560, 30, 969)


def test_async_transaction_is_pending_until_completed_then_settles_once(dtone, sim):
    rid = unique_id("dt")
    first = dtone.airtime(airtime(rid))
    assert (first.status, first.reason) == (OutcomeStatus.PENDING, "confirmed") and first.provider_reference
    assert sim.by_external_id[rid].history == ["CREATED", "CONFIRMED"]
    assert dtone.requery(rid).status == OutcomeStatus.PENDING
    sim.complete(rid)
    done = dtone.requery(rid)
    assert (done.status, done.delivered_amount_minor, done.currency) == (OutcomeStatus.SUCCESS, 50_000, "NGN")
    assert done.fx == {"amount": "0.31", "currency": "USD", "rate": "1593.9"}
    assert sim.by_external_id[rid].history == ["CREATED", "CONFIRMED", "SUBMITTED", "COMPLETED"]
    again = dtone.airtime(airtime(rid))  # the same external_id: DT One refuses (1007001), we read the original
    assert again.status == OutcomeStatus.SUCCESS and again.provider_reference == first.provider_reference
    assert sim.delivery_count(rid) == 1


def test_data_bundle_by_product_id(dtone, sim, catalogue):
    bundle = next(x for x in catalogue if x.country == "CI" and x.product_type == ProductType.DATA)
    rid = unique_id("dtd")
    result = dtone.data(DataTopupRequest(rid, CI_ORANGE, bundle.provider_product_code, bundle.face_value_minor,
                                         "XOF", "CI"))
    assert result.status == OutcomeStatus.PENDING
    sim.complete(rid)
    assert dtone.requery(rid).delivered_amount_minor == bundle.face_value_minor


@pytest.mark.parametrize(("suffix", "reason", "delivered"), [
    ("9992", "timeout", 1), ("9995", "no_response", 1), ("9996", "unexpected_reply", 1), ("9993", "http_503", 0)])
def test_unclear_answers_stay_pending_and_the_status_lookup_decides(dtone, sim, suffix, reason, delivered):
    rid = unique_id("dtu")
    result = dtone.airtime(airtime(rid, phone=f"+234803123{suffix}"))
    assert (result.status, result.reason) == (OutcomeStatus.PENDING, reason)
    if delivered:
        sim.complete(rid)
        assert dtone.requery(rid).status == OutcomeStatus.SUCCESS
    else:  # 5xx without acting: DT One never saw it
        assert dtone.requery(rid).reason == "unknown_request_id"
    assert sim.delivery_count(rid) == delivered


def test_duplicate_reply_resolves_to_the_original(dtone, sim):
    sim.set_fault(FaultMode.DUPLICATE_REPLY, times=1)
    rid = unique_id("dtdup")
    assert dtone.airtime(airtime(rid)).status == OutcomeStatus.PENDING  # read back: CONFIRMED
    sim.complete(rid)
    assert dtone.requery(rid).status == OutcomeStatus.SUCCESS and sim.delivery_count(rid) == 1


def test_declined_is_final_and_pending_then_success_needs_polls(dtone, sim):
    declined = unique_id("dtf")
    dtone.airtime(airtime(declined, phone="+2348031239990"))
    sim.complete(declined)
    result = dtone.requery(declined)
    assert (result.status, result.reason, result.message) == (
        OutcomeStatus.FAILED, "provider_declined", "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE")
    slow = unique_id("dts")
    dtone.airtime(airtime(slow, phone="+2348031239991"))
    assert dtone.requery(slow).reason == "submitted"  # pending_requeries=1: one more poll finishes it
    assert dtone.requery(slow).status == OutcomeStatus.SUCCESS
    assert sim.delivery_count(declined) == 0 and sim.delivery_count(slow) == 1


def test_reversal_after_success_is_a_failure(dtone, sim):
    rid = unique_id("dtr")
    dtone.airtime(airtime(rid))
    sim.complete(rid)
    assert dtone.requery(rid).status == OutcomeStatus.SUCCESS
    sim.reverse(rid)
    reversed_ = dtone.requery(rid)
    assert (reversed_.status, reversed_.reason) == (OutcomeStatus.FAILED, "provider_reversed")


def test_errors_map_to_who_can_fix_them(dtone, sim):
    with pytest.raises(InvalidRecipient):
        dtone.airtime(airtime(unique_id(), phone="+2348051234567"))  # a Glo number for the MTN product
    with pytest.raises(InvalidAmount):
        dtone.airtime(airtime(unique_id(), amount_minor=10_000_000))
    with pytest.raises(ProductUnavailable):
        dtone.airtime(airtime(unique_id(), product="999999"))
    sim.balance = sim.balance.__class__("0.05")
    with pytest.raises(ProviderLowBalance):
        dtone.airtime(airtime(unique_id()))
    with pytest.raises(ProviderAuthError):
        DTOneConnector(config_for(sim.url + "/v1", {**DTONE_CREDENTIALS, "api_secret": "wrong"})).balances()


def test_lookup_balances_and_operator_detection(dtone, sim):
    [operator] = dtone.lookup_operators(CI_ORANGE)
    assert operator["name"] == "Orange Ivory Coast" and operator["country"]["iso_code"] == "CIV"
    [balance] = dtone.balances()
    assert balance["unit"] == "USD" and balance["available"] > 0
    sim.balance = sim.balance.__class__("1234.5")
    [dollars] = dtone.balance()  # the provider-balance check's format (interfaces.balance)
    assert (dollars.currency, dollars.amount_minor, dollars.raw["unit_type"]) == ("USD", 123_450, "CURRENCY")
    rid = unique_id("dtl")
    result = dtone.airtime(AirtimeTopupRequest(rid, CI_ORANGE, 1_000, "XOF", "CI"))  # no product: looked up
    assert result.status == OutcomeStatus.PENDING and sim.by_external_id[rid].product["_network"] == "orange"


def test_callbacks_are_posted_unsigned_and_parsed_for_confirmation(sim):
    with WebhookSink() as sink:
        connector = DTOneConnector(config_for(sim.url + "/v1", DTONE_CREDENTIALS, callback_url=sink.url + "/cb"))
        rid = unique_id("dtc")
        connector.airtime(airtime(rid))
        sim.complete(rid)
        sim.reverse(rid)
        deadline = time.monotonic() + 5
        while len(sink.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    completed, reversed_ = (json.loads(r["body"]) for r in sink.received)
    assert completed["status"]["class"]["message"] == "COMPLETED" and reversed_["status"]["message"] == "REVERSED"
    parser = DTOneCallbacks(config_for(sim.url + "/v1", DTONE_CREDENTIALS))
    update = parser.parse(body=sink.received[0]["body"], headers=sink.received[0]["headers"])
    assert update is not None
    assert (update.request_id, update.status, update.requires_confirmation) == (rid, OutcomeStatus.SUCCESS, True)
    assert update.provider_reference == str(sim.by_external_id[rid].id) and update.recipient == "+2348031234567"
    reversal = parser.parse(body=sink.received[1]["body"], headers={})
    assert reversal is not None and reversal.status == OutcomeStatus.FAILED
    assert parser.acknowledgement().status_code == 200


def test_preprod_sandbox_suffixes_pick_the_outcome():
    with DTOneSimulator(preprod=True, completion_delay_seconds=0.0) as sim:
        connector = DTOneConnector(config_for(sim.url + "/v1", DTONE_CREDENTIALS))
        ok, invalid = unique_id("pp"), unique_id("pp")
        connector.airtime(airtime(ok, phone="+2348031234100"))
        connector.airtime(airtime(invalid, phone="+2348031234102"))
        deadline = time.monotonic() + 3
        while len(sim.callbacks_sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert connector.requery(ok).status == OutcomeStatus.SUCCESS
        declined = connector.requery(invalid)
        assert (declined.status, declined.message) == (OutcomeStatus.FAILED, "DECLINED-INVALID-CREDIT-PARTY")
    assert p.sandbox_outcome("+6595123205") == "DECLINED-DUPLICATED-TRANSACTION"
    assert p.sandbox_outcome("+6595123456") is None


def _callback_body(destination: str, **extra: str) -> bytes:
    """A DT One callback as it comes off the wire, with ``destination`` and ``extra`` members written verbatim."""
    members = {"id": "8100000099", "external_id": '"dt-wire-1"', "status": '{"id": 70000, "message": "COMPLETED", '
               '"class": {"id": 7, "message": "COMPLETED"}}', "adjusted_values": f'{{"destination": {destination}}}',
               "prices": '{"wholesale": {"unit_type": "CURRENCY", "unit": "USD", "amount": 1.6, "fee": 0}}',
               "rates": '{"base": 605.5, "wholesale": 626.6925, "retail": null}', **extra}
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in members.items()) + "}").encode()


@pytest.mark.parametrize(("destination", "extra", "delivered"), [
    ('{"unit_type": "CURRENCY", "unit": "XOF", "amount": 1000.0}', {}, 1000),  # a JSON number padded with zeros
    ('{"unit_type": "CURRENCY", "unit": "XOF", "amount": "1000"}', {"new_field": '{"x": 1}'}, 1000),
    ('{"unit_type": "CURRENCY", "unit": "GHS", "amount": 10.50}', {}, 1050),
    ('{"unit_type": "CURRENCY", "unit": "XOF", "amount": 1000.5}', {}, None),  # half a franc: unreadable, not rounded
    ('{"unit_type": "CURRENCY", "unit": "XOF", "amount": 1e3}', {}, None),
    ('{"unit_type": "CURRENCY", "unit": "ZZZ", "amount": 5}', {}, None),
    ('[1]', {"prices": '"x"', "rates": "[1]"}, None),  # nested members that are not objects: read as absent
])
def test_a_completed_transaction_in_any_documented_number_style_is_a_success_never_a_crash(destination, extra,
                                                                                           delivered):
    """The reference types amounts as JSON numbers: ``1000.0`` XOF is 1000 (it crashed the reading with the money
    rule's error, leaving a delivered top-up unsettled). DT One's own record (a status lookup, the requery) is
    always read: what the rule refuses leaves the amount unknown and the COMPLETED class still decides. An unsigned
    callback carrying such an amount is refused instead (the webhook answers 400, as for every bad amount: tests/
    security/test_every_endpoint_bounds_input.py); nothing is lost, the order's requery reads the record."""
    from provider_plugins.dtone.connector import transaction_result
    from provider_plugins.interfaces.wire import json_loads

    body = _callback_body(destination, **extra)
    record = transaction_result("dt-wire-1", json_loads(body))
    assert (record.status, record.delivered_amount_minor) == (OutcomeStatus.SUCCESS, delivered)
    callbacks = DTOneCallbacks(config_for("http://127.0.0.1:9/v1", DTONE_CREDENTIALS))
    if delivered is None and destination != "[1]":
        with pytest.raises(AmountError):
            callbacks.parse(body=body, headers={})
        return
    update = callbacks.parse(body=body, headers={})
    assert update is not None and update.request_id == "dt-wire-1"
    assert (update.status, update.delivered_amount_minor) == (OutcomeStatus.SUCCESS, delivered)


def test_one_unreadable_product_leaves_the_rest_of_the_catalogue():
    """A ranged product whose bounds DT One writes ``100.0`` is read (100 XOF); one whose amount the money rule
    refuses is left out; before, either made ``list_products`` raise and no DT One product was listed."""
    with DTOneSimulator() as sim:
        ranged = next(x for x in sim.products if x["_country"] == "SN" and x["type"] == p.RANGED_VALUE_RECHARGE)
        ranged["destination"] = {**ranged["destination"], "amount": {"min": 100.0, "max": 50000.0, "increment": 1}}
        broken = next(x for x in sim.products if x["_country"] == "SN" and x["type"] == p.FIXED_VALUE_RECHARGE)
        broken["destination"] = {**broken["destination"], "amount": 500.5}
        connector = DTOneConnector(config_for(sim.url + "/v1", DTONE_CREDENTIALS, countries=["SN"]))
        listings = {x.provider_product_code: x for x in connector.list_products()}
    assert (listings[str(ranged["id"])].min_amount_minor, listings[str(ranged["id"])].max_amount_minor) == (100, 50000)
    assert str(broken["id"]) not in listings
    assert len(listings) == sum(1 for x in sim.products if x["_country"] == "SN") - 1


def test_catalogue_names_say_the_country_and_bundles_in_each_language(catalogue):
    """DT One's "CVMovel Cape Verde" and "Orange Ivory Coast 1GB 7 days" reached French and Portuguese pages as is
    (and "Cape Verde" in English too): the names the sync stores (shared_apps.catalog.services.localized_names)
    name the country as each language does, and a bundle's size and validity in the language."""
    from shared_apps.catalog.services import localized_names

    def names_of(country: str, product_type: str) -> list[dict[str, str]]:
        return [localized_names(item) for item in catalogue
                if item.country == country and str(item.product_type) == product_type]

    cv_airtime = names_of("CV", "airtime")
    assert cv_airtime and all("Cape Verde" not in value for names in cv_airtime for value in names.values())
    assert any(names["name_en"] == "CVMovel Cabo Verde Airtime" and names["name_pt"] == "Recarga CVMovel Cabo Verde"
               and names["name_fr"] == "Recharge CVMovel Cap-Vert" for names in cv_airtime), cv_airtime
    ci_data = names_of("CI", "data")
    assert ci_data and all("Ivory Coast" not in value for names in ci_data for value in names.values())
    orange = [names for names in ci_data if names["name_en"].startswith("Orange Côte d'Ivoire ")]
    assert orange, ci_data
    assert all(re.fullmatch(r"Orange Côte d'Ivoire [0-9,]+ Go – [0-9]+ jours?", names["name_fr"]) for names in orange)
    assert all(re.fullmatch(r"Orange Costa do Marfim [0-9,]+ GB – [0-9]+ dias?", names["name_pt"]) for names in orange)


def test_names_without_structured_data_lose_their_english_patterns():
    from provider_plugins.interfaces import ProductListing
    from provider_plugins.interfaces.catalog import ProductType
    from shared_apps.catalog.services import localized_names

    listing = ProductListing(provider_product_code="x", product_type=ProductType.DATA,
                             name="Africell Gambia 1.5GB 1 Week", country="GM", currency="GMD",
                             face_value_minor=10_000, cost_minor=9_000)
    names = localized_names(listing)
    assert names == {"name_en": "Africell Gambia 1.5GB 1 Week", "name_fr": "Africell Gambie 1,5 Go 1 semaine",
                     "name_pt": "Africell Gâmbia 1,5 GB 1 semana"}
