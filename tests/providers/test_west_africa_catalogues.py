"""Both aggregators' catalogues against the platform's numbering plans, and Reloadly in the 16 countries:
operator auto-detection, FX, utility bills (prepaid tokens), refunds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider_plugins.aggregator import AggregatorBillsConnector, AggregatorConnector
from provider_plugins.aggregator.catalogue import OPERATOR_ROWS
from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone.simulator import OPERATOR_NAMES
from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    BillPaymentRequest,
    InvalidAmount,
    InvalidCustomer,
    OutcomeStatus,
    ProductType,
    ProductUnavailable,
    ProviderUnavailable,
)
from provider_plugins.interfaces.numbering import COUNTRIES, detect_network, network_for_brand
from provider_plugins.simkit.simulator import FaultMode
from tests.support.numbers import sample_mobile

from .helpers import AGGREGATOR_CREDENTIALS, config_for, unique_id

NETWORKS_DIR = Path(__file__).resolve().parents[2] / "countries" / "data" / "networks"


def _sample_number(country: str, network: str) -> str:
    return sample_mobile(country, network)


def test_the_simulators_numbering_is_the_platforms():
    """Every prefix the simulators detect by is the one in countries/data/networks (the regulators' plans)."""
    for code, numbering in COUNTRIES.items():
        data = json.loads((NETWORKS_DIR / f"{code}.json").read_text())
        assert str(data["calling_code"]) == numbering.calling_code, code
        for network, prefixes in numbering.networks.items():
            assert sorted(prefixes) == sorted(data["networks"][network]["prefixes"]), (code, network)


def test_every_operator_of_both_aggregators_is_one_of_the_countrys_networks():
    for country, network, brand, *_ in OPERATOR_ROWS:
        assert network_for_brand(country, brand) == network, brand
    for country, names in OPERATOR_NAMES.items():
        for network, name in names.items():
            assert network_for_brand(country, name) == network, name
    assert {(c, n) for c, n, *_ in OPERATOR_ROWS} == {(c, n) for c, names in OPERATOR_NAMES.items() for n in names}


def test_country_adapters_detect_the_same_network(db):
    from countries.registry import get_adapter

    for country, numbering in COUNTRIES.items():
        adapter = get_adapter(country)
        for network in numbering.networks:
            number = _sample_number(country, network)
            assert adapter.detect_network(adapter.normalize_phone(number)) == network, (country, network, number)
            assert detect_network(number, country) == network


@pytest.fixture(scope="module")
def sim():
    with AggregatorSimulator(hang_seconds=2.5, pending_requeries=0) as server:
        yield server


@pytest.fixture(scope="module")
def reloadly(sim):
    return AggregatorConnector(config_for(sim.url, AGGREGATOR_CREDENTIALS, token_cache={}))


@pytest.fixture(scope="module")
def bills(sim):
    return AggregatorBillsConnector(config_for(sim.url, AGGREGATOR_CREDENTIALS, token_cache={}))


@pytest.fixture(scope="module")
def catalogue(reloadly):
    return reloadly.list_products()


def test_auto_detect_and_top_up_every_operator_of_the_16_countries(reloadly, sim):
    for country, network, _brand, operator_id, _data in OPERATOR_ROWS:
        number = _sample_number(country, network)
        assert reloadly.detect_operator(number, country)["operatorId"] == operator_id, (country, network)
    rid = unique_id("wa")
    result = reloadly.airtime(AirtimeTopupRequest(rid, _sample_number("TG", "togocel"), 1_000, "XOF", "TG"))
    assert (result.status, result.delivered_amount_minor, result.currency) == (OutcomeStatus.SUCCESS, 1_000, "XOF")
    # The account pays in USD: what it was charged travels back for the receipt.
    assert result.fx == {"amount": "1.60", "currency": "USD"}


def test_catalogue_lists_airtime_bundles_and_bills_in_local_currency(catalogue):
    assert {x.country for x in catalogue} == set(COUNTRIES)
    for country, numbering in COUNTRIES.items():
        mine = [x for x in catalogue if x.country == country]
        assert {x.operator for x in mine if x.product_type == ProductType.AIRTIME} == set(numbering.networks)
        assert all(x.currency == numbering.currency for x in mine), country
        assert any(x.product_type == ProductType.DATA for x in mine), country
        assert any(x.product_type == ProductType.ELECTRICITY for x in mine), country
    electricity_countries = {x.country for x in catalogue if x.product_type == ProductType.ELECTRICITY}
    tv_countries = {x.country for x in catalogue if x.product_type == ProductType.CABLE_TV}
    assert len(electricity_countries) == 16 and len(tv_countries) >= 10
    gnf = next(x for x in catalogue if x.country == "GN" and x.product_type == ProductType.AIRTIME)
    assert (gnf.min_amount_minor, gnf.max_amount_minor, gnf.fx) == (1_000, 500_000, {"rate": "8620.0",
                                                                                    "currency": "USD"})
    gamcel = sorted((x for x in catalogue if x.country == "GM" and x.operator == "gamcel"),
                    key=lambda x: x.face_value_minor or 0)  # Reloadly sells Gamcel in fixed denominations
    assert [x.face_value_minor for x in gamcel] == [2_500, 5_000, 10_000, 20_000]
    assert all(x.product_type == ProductType.AIRTIME and not x.is_open_amount for x in gamcel)
    cv_bundle = next(x for x in catalogue if x.country == "CV" and x.product_type == ProductType.DATA)
    assert (cv_bundle.currency, cv_bundle.face_value_minor, cv_bundle.validity_days) == ("CVE", 15_000, 7)
    ecg = next(x for x in catalogue if x.biller_code == "2001")
    assert (ecg.product_type, ecg.variation, ecg.customer_number_label, ecg.requires_verification) == (
        ProductType.ELECTRICITY, "prepaid", "Meter number", False)


def test_prepaid_electricity_returns_a_token_once(bills, sim):
    rid = unique_id("bill")
    first = bills.pay(BillPaymentRequest(rid, "2011", "14250012345", 500_000 // 100, "XOF"))  # Senelec Woyofal
    assert first.status == OutcomeStatus.PENDING and first.provider_reference
    done = bills.requery(rid)
    assert done.status == OutcomeStatus.SUCCESS and len(done.token.replace("-", "")) == 20
    assert done.units.endswith("kWh") and done.fx["currency"] == "USD"
    assert bills.pay(BillPaymentRequest(rid, "2011", "14250012345", 5_000, "XOF")).token == done.token
    assert sim.delivery_count(rid) == 1
    water = unique_id("water")
    bills.pay(BillPaymentRequest(water, "2023", "0011223344", 15_000, "XOF"))  # SODECI, postpaid
    paid = bills.requery(water)
    assert paid.status == OutcomeStatus.SUCCESS and paid.token == ""


def test_bill_faults_and_errors(bills, sim):
    with pytest.raises(InvalidAmount):
        bills.pay(BillPaymentRequest(unique_id(), "2001", "0123456789", 1, "GHS"))
    with pytest.raises(ProductUnavailable):
        bills.pay(BillPaymentRequest(unique_id(), "9999", "0123456789", 5_000, "GHS"))
    with pytest.raises(InvalidCustomer):
        bills.pay(BillPaymentRequest(unique_id(), "2001", "12", 5_000, "GHS"))
    with pytest.raises(ProviderUnavailable):  # Reloadly offers no customer lookup: never a false "not found"
        from provider_plugins.interfaces import CustomerVerificationRequest

        bills.verify_customer(CustomerVerificationRequest("2001", "0123456789"))
    down = unique_id("b5xx")
    sim.set_fault(FaultMode.SERVER_ERROR, times=1)
    assert bills.pay(BillPaymentRequest(down, "2001", "0123456789", 5_000, "GHS")).reason == "http_503"
    assert bills.requery(down).reason == "unknown_request_id" and sim.delivery_count(down) == 0
    slow = unique_id("bto")
    sim.set_fault(FaultMode.TIMEOUT, times=1)
    assert bills.pay(BillPaymentRequest(slow, "2001", "0123456789", 5_000, "GHS")).reason == "timeout"
    assert bills.requery(slow).status == OutcomeStatus.SUCCESS and sim.delivery_count(slow) == 1


def test_refund_after_success_turns_the_top_up_into_a_failure(reloadly, sim):
    rid = unique_id("refund")
    assert reloadly.airtime(AirtimeTopupRequest(rid, _sample_number("ML", "orange"), 2_000, "XOF", "ML")).status \
        == OutcomeStatus.SUCCESS
    sim.refund(rid)
    result = reloadly.requery(rid)
    assert (result.status, result.reason) == (OutcomeStatus.FAILED, "provider_refunded")
