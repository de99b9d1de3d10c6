"""The new rails read what providers send by the one money rule (issue 14 on issue 16's rails).

Wave, CinetPay, Airtel Money, MTN MoMo disbursements, OnePipe and Paystack's dedicated accounts: bodies are read
with ``wire.json_loads``; an amount that is there but unreadable (exponent, NaN, sub-unit digits, a float) makes a
notification malformed (``ProviderProtocolError``: the webhook answers 4xx) and a status answer unclear (PENDING,
requeried, never a failure nor a credit); rails that send JSON doubles (Airtel, CinetPay transfers) are read
explicitly (only a double's trailing zeros are dropped). Every rail's ``balance`` answers ``ProviderBalance`` lines,
so the registry-wide balance check reads them all.
"""

from __future__ import annotations

import json
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest

from provider_plugins.airtel_money.connector import AirtelMoneyConnector, airtel_minor, callback_hash
from provider_plugins.airtel_money.simulator import AirtelMoneySimulator
from provider_plugins.cinetpay.connector import CinetPayConnector, notification_token, whole_units
from provider_plugins.cinetpay.simulator import CinetPaySimulator
from provider_plugins.interfaces.common import OutcomeStatus, ProviderConfig, ProviderError, ProviderProtocolError
from provider_plugins.interfaces.payments import CheckoutRequest
from provider_plugins.interfaces.wire import JsonNumber
from provider_plugins.mtn_momo.connector import MtnMomoConnector
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from provider_plugins.onepipe.connector import _kobo
from provider_plugins.paystack.connector import PaystackConnector
from provider_plugins.paystack.simulator import PaystackSimulator
from provider_plugins.wave.connector import WaveConnector
from provider_plugins.wave.simulator import WaveSimulator

UNREADABLE = ["1e999990", "NaN", "Infinity", "1_000", " 100", "+100", "١٠٠", "1,000", "-100", "9" * 40, "abc"]


@pytest.fixture(scope="module")
def wave():
    with WaveSimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def cinetpay():
    with CinetPaySimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def airtel():
    with AirtelMoneySimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def momo():
    with MtnMomoSimulator() as sim:
        yield sim


def config(sim, key: str, **options) -> ProviderConfig:
    from tenant_apps.wallet.demo import GATEWAY_CREDENTIALS

    return ProviderConfig(base_url=sim.url, credentials=dict(GATEWAY_CREDENTIALS[key]), timeout_seconds=5,
                          options=options)


def test_wave_webhook_amounts_are_read_by_the_rule_and_an_unreadable_answer_is_pending(wave):
    connector, cfg = WaveConnector(), config(wave, "wave")

    def event(amount) -> tuple[dict, bytes]:
        return wave.build_webhook({"id": "EV_1", "type": "checkout.session.completed", "data": {
            "id": "cos-1", "client_reference": "fund_x", "amount": amount, "currency": "XOF",
            "checkout_status": "complete", "payment_status": "succeeded"}})

    assert connector.parse_webhook(*event("1500"), config=cfg).amount_minor == 1500
    for amount in [*UNREADABLE, "1500.5", 1.5, True, []]:
        with pytest.raises(ProviderProtocolError):
            connector.parse_webhook(*event(amount), config=cfg)
    raw = event("1500")[1].replace(b'"1500"', b"1e400000")  # a JSON number, judged by what was written
    with pytest.raises(ProviderProtocolError):
        connector.parse_webhook(wave.sign_webhook(raw), raw, config=cfg)
    session = connector.initialize_checkout(CheckoutRequest(amount_minor=2_000, currency="XOF", reference="fund_w1",
                                                            callback_url="https://ng.localhost/back"), config=cfg)
    wave.complete("fund_w1")
    assert connector.verify(config=cfg, reference="fund_w1").amount_minor == 2_000
    wave.sessions[session.provider_reference]["amount"] = "2e3"  # the gateway answers what we cannot read
    unclear = connector.verify(config=cfg, reference="fund_w1")
    assert (unclear.status, unclear.amount_minor, unclear.provider_status) == (OutcomeStatus.PENDING, None,
                                                                               "bad_amount")


def test_cinetpay_notifications_and_transfer_amounts(cinetpay):
    connector, cfg = CinetPayConnector(), config(cinetpay, "cinetpay", currency="XOF")

    def notification(amount: str) -> tuple[dict, bytes]:
        fields = {"cpm_site_id": cinetpay.site_id, "cpm_trans_id": "fund_c1", "cpm_amount": amount,
                  "cpm_currency": "XOF", "cpm_error_message": "SUCCES"}
        return {"x-token": notification_token(fields, cinetpay.secret_key)}, urllib.parse.urlencode(fields).encode()

    assert connector.parse_webhook(*notification("2500"), config=cfg).amount_minor == 2500
    for amount in [*UNREADABLE, "2500.5", "true"]:
        with pytest.raises(ProviderProtocolError):
            connector.parse_webhook(*notification(amount), config=cfg)
    with pytest.raises(ProviderProtocolError):  # not UTF-8
        connector.parse_webhook({"x-token": "0"}, b"cpm_trans_id=\xff", config=cfg)
    with pytest.raises(ProviderProtocolError):  # unbounded fields
        connector.parse_wallet_callback({}, b"&".join([b"a=1"] * 100), config=cfg)
    transfer = connector.parse_wallet_callback(
        {}, b"client_transaction_id=po_1&treatment_status=VAL&amount=5000", config=cfg)
    assert (transfer.amount_minor, transfer.currency) == (5000, "XOF")
    with pytest.raises(ProviderProtocolError):
        connector.parse_wallet_callback({}, b"client_transaction_id=po_1&treatment_status=VAL&amount=5e3", config=cfg)
    # Transfer amounts are whole units, JSON integers or doubles: only a double's zeros are dropped.
    assert [whole_units(v) for v in (5000, "5000", JsonNumber("5000.0"), Decimal("5000.00"))] == [5000] * 4
    refused: list[Any] = [*UNREADABLE, JsonNumber("5000.5"), JsonNumber("5e3"), 5000.0, True]
    for amount in refused:
        with pytest.raises(ProviderProtocolError):
            whole_units(amount)
    [line] = connector.balance(config=cfg)
    assert (line.currency, line.amount_minor) == ("XOF", int(cinetpay.balance))


def test_airtel_callbacks_and_doubles(airtel):
    connector, cfg = AirtelMoneyConnector(), config(airtel, "airtel_money", country="NG", currency="NGN")
    assert airtel_minor(JsonNumber("1000.0"), "NGN") == 100_000
    assert airtel_minor(JsonNumber("500.00"), "XOF") == 500 and airtel_minor(1000, "NGN") == 100_000
    for amount in [*UNREADABLE, JsonNumber("500.5"), JsonNumber("1e3"), 1000.0, None]:
        with pytest.raises(ProviderProtocolError):
            airtel_minor(amount, "XOF")

    def callback(transaction: dict) -> bytes:
        signed = {"transaction": transaction, "hash": callback_hash(transaction, airtel.callback_key)}
        return json.dumps(signed).encode()

    good = connector.parse_callback({}, callback({"id": "fund_a1", "status_code": "TS", "amount": "1000"}),
                                    config=cfg)
    assert good.authenticated and good.reference == "fund_a1"
    unreadable: list[Any] = ["NaN", "1e5", "10.001", True]
    for amount in unreadable:
        with pytest.raises(ProviderProtocolError):
            connector.parse_wallet_callback({}, callback({"id": "po_1", "status_code": "TS", "amount": amount}),
                                            config=cfg)
    raw = b'{"transaction": {"id": "po_1", "status_code": "TS", "amount": 1e400000}, "hash": "x"}'
    with pytest.raises(ProviderProtocolError):  # a number with no compact form here: unreadable, never a 500
        connector.parse_callback({}, raw, config=cfg)
    [line] = connector.balance(config=cfg)
    assert (line.currency, line.amount_minor) == ("NGN", int(airtel.balance * 100))


def test_momo_disbursement_amounts(momo):
    connector, cfg = MtnMomoConnector(), config(momo, "mtn_momo")
    body = {"externalId": "po_m1", "status": "SUCCESSFUL", "amount": "150.50", "currency": "GHS"}
    assert connector.parse_wallet_callback({}, json.dumps(body).encode(), config=cfg).amount_minor == 15_050
    for amount in [*UNREADABLE, "150.505", 150.505, True]:  # 150.505: a JSON number, judged by its literal
        raw = json.dumps({**body, "amount": amount}).encode()
        with pytest.raises(ProviderProtocolError):
            connector.parse_wallet_callback({}, raw, config=cfg)
    with pytest.raises(ProviderProtocolError):  # there, but no currency to read it in, and not even a decimal
        connector.parse_wallet_callback({}, json.dumps({**body, "currency": "", "amount": "NaN"}).encode(),
                                        config=cfg)
    [line] = connector.balance(config=cfg)
    assert isinstance(line.amount_minor, int) and line.raw["product"] == "collection"


def test_onepipe_and_paystack_dedicated_account_amounts():
    assert _kobo(None) is None and _kobo(150_000) == 150_000 and _kobo("150000") == 150_000
    for amount in [*UNREADABLE, "1500.5", JsonNumber("1500.0"), 1500.0, True]:
        with pytest.raises(ProviderProtocolError):
            _kobo(amount)
    with PaystackSimulator() as paystack:
        connector = PaystackConnector()
        cfg = ProviderConfig(base_url=paystack.url, credentials={"secret_key": paystack.secret_key})

        def event(amount) -> tuple[dict, bytes]:
            return paystack.build_webhook({"event": "charge.success", "data": {
                "id": 1, "reference": "T1", "amount": amount, "currency": "NGN", "channel": "dedicated_nuban",
                "customer": {"customer_code": "CUS_1"}}})

        received = connector.parse_virtual_account_event(*event(250_000), config=cfg)
        assert received is not None and received.amount_minor == 250_000
        for amount in ["1e5", "NaN", "2500.5", 2500.5, True]:
            with pytest.raises(ProviderProtocolError):
                connector.parse_virtual_account_event(*event(amount), config=cfg)
        paystack.set_fault("server_error")
        unclear = connector.verify_virtual_account_payment(config=cfg, reference="T1")  # never raises
        assert unclear.status is OutcomeStatus.PENDING and unclear.amount_minor is None
        paystack.clear_faults()
        [line] = connector.balance(config=cfg)
        assert line.currency == "NGN" and line.amount_minor == paystack.balance


@pytest.mark.django_db
def test_the_registry_balance_check_reads_every_rail(wave, cinetpay, airtel, momo):
    """Wave, CinetPay, Airtel and MoMo answer ``ProviderBalance`` lines like every plugin (a rail answering
    anything else would break the head-office page and the operators' API)."""
    from shared_apps.providers.balances import provider_balances
    from shared_apps.providers.models import Provider
    from shared_apps.providers.services import provider_register
    from tenant_apps.wallet.demo import gateway_provider_spec

    Provider.objects.all().update(status="disabled")  # only this test's rows answer
    for country, key, sim, options in (("SN", "wave", wave, {}), ("GM", "wave", wave, {}),
                                       ("SN", "cinetpay", cinetpay, {"currency": "XOF"}),
                                       ("NG", "airtel_money", airtel, {"country": "NG", "currency": "NGN"}),
                                       ("NG", "mtn_momo", momo, {})):
        provider_register(**gateway_provider_spec(country=country, key=key, base_url=sim.url, options=options))
    lines = {(line.provider.plugin_key, line.provider.country): line for line in provider_balances()}
    assert set(lines) == {("wave", "SN"), ("wave", "GM"), ("cinetpay", "SN"), ("airtel_money", "NG"),
                          ("mtn_momo", "NG")}
    assert all(not line.error and isinstance(line.amount_minor, int) for line in lines.values()), lines
    assert (lines["wave", "SN"].currency, lines["wave", "SN"].amount_minor) == ("XOF", int(wave.balances["XOF"]))
    # Wave's key opens one wallet: the Gambian one is in dalasi (it was read as XOF, so no GMD alert could fire).
    assert (lines["wave", "GM"].currency, lines["wave", "GM"].amount_minor) == ("GMD", int(wave.balances["GMD"]) * 100)


def test_a_wave_key_opens_one_wallet_in_its_countrys_currency(wave):
    """A checkout or payout in another currency than the key's wallet is refused by Wave; our GM row uses the GM
    key, so a dalasi checkout goes through."""
    from tenant_apps.wallet.demo import gateway_provider_spec

    sn = ProviderConfig(base_url=wave.url, credentials=gateway_provider_spec(
        country="SN", key="wave", base_url=wave.url)["credentials"], timeout_seconds=5)
    gm = ProviderConfig(base_url=wave.url, credentials=gateway_provider_spec(
        country="GM", key="wave", base_url=wave.url)["credentials"], timeout_seconds=5)
    request = CheckoutRequest(amount_minor=15_000, currency="GMD", reference="fund_gm1",
                              callback_url="https://gm.localhost/back")
    with pytest.raises(ProviderError, match="this wallet holds XOF"):
        WaveConnector().initialize_checkout(request, config=sn)
    session = WaveConnector().initialize_checkout(request, config=gm)
    assert wave.sessions[session.provider_reference]["currency"] == "GMD"
