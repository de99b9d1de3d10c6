"""A remittance from each of the 16 countries to another, into the recipient's wallet, through the API.

Each sender country sends to the next one in a ring that mixes 0- and 2-decimal currencies (XOF -> GNF, GNF -> CVE,
CVE -> NGN, ...) and a corridor inside the CFA zone (same currency). The figures are computed here from the rate
source's table (Decimal, per USD) by the rules of docs/remittances.md, independently of tenant_apps/remittances/fx.py;
the amounts on the API are written with the currency's own minor unit; the recipient is credited exactly the
quoted amount; the sender pays exactly the quoted one; both tenants' books and the hub's balance.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest

from countries.registry import default_adapter
from provider_plugins.openexchangerates.simulator import DEFAULT_RATES
from tests.remittances.helpers import advance, assert_reconciled, open_corridor
from tests.support.country_sites import SITES, site_client, site_customer
from tests.wallet.helpers import balance_of, post

# Sender -> receiver: every country sends once and receives once.
RING = ["SN", "GN", "CV", "NG", "GH", "GM", "BJ", "TG", "LR", "ML", "SL", "MR", "BF", "NE", "GW", "CI"]
PAIRS = [(RING[i], RING[(i + 1) % len(RING)]) for i in range(len(RING))]
# About USD 3 in each currency, with a fraction where the currency has one (within the level-0 KYC limits).
SEND = {"XOF": "1805", "GNF": "25805", "NGN": "4000.55", "GHS": "45.55", "GMD": "210.55", "LRD": "570.55",
        "SLE": "67.55", "CVE": "301.55", "MRU": "120.55"}
MARGIN_BPS, FEE_BPS = 150, 100


def expected(send_minor: int, send_currency: str, receive_currency: str, fee_fixed_minor: int) -> dict[str, int]:
    exp_send, exp_receive = default_adapter_exponent(send_currency), default_adapter_exponent(receive_currency)
    mid = Decimal(DEFAULT_RATES[receive_currency]) / Decimal(DEFAULT_RATES[send_currency])
    mid_e9 = int((mid * 10**9).to_integral_value(rounding=ROUND_FLOOR))
    rate_e9 = mid_e9 * (10_000 - MARGIN_BPS) // 10_000
    fee = -(-send_minor * FEE_BPS // 10_000) + fee_fixed_minor
    principal = send_minor - fee
    receive = principal * rate_e9 * 10**exp_receive // (10**exp_send * 10**9)
    return {"send": send_minor, "fee": fee, "principal": principal, "receive": receive, "rate_e9": rate_e9}


def default_adapter_exponent(currency: str) -> int:
    return next(default_adapter(code).minor_unit for code in SITES if default_adapter(code).currency == currency)


def text_of(minor: int, currency: str) -> str:
    exponent = default_adapter_exponent(currency)
    return str(minor) if exponent == 0 else f"{minor // 10**exponent}.{minor % 10**exponent:0{exponent}d}"


@pytest.mark.django_db
@pytest.mark.parametrize(("origin", "destination"), PAIRS)
def test_a_remittance_from_every_country_credits_the_quoted_amount(country_sites, remit, origin, destination):
    send_country, receive_country = default_adapter(origin), default_adapter(destination)
    send_currency, receive_currency = send_country.currency, receive_country.currency
    schema = SITES[origin][0]
    fee_fixed = 10**send_country.minor_unit * 5  # five units of the send currency
    open_corridor(schema, destination, margin_bps=MARGIN_BPS, fee_bps=FEE_BPS, fee_fixed_minor=fee_fixed)
    start = send_country.to_minor(SEND[send_currency]) * 4
    sender = site_customer(origin, funded=start)
    recipient = site_customer(destination)
    answer = post(site_client(sender, origin), "/api/remittances/quotes", {
        "destination_country": destination, "amount": SEND[send_currency], "method": "wallet",
        "sender_name": "Awa Diop", "recipient_name": "Kofi Mensah", "recipient_phone": recipient.phone}, key=None)
    assert answer.status_code == 201, (origin, destination, answer.content)
    q = answer.json()
    figures = expected(send_country.to_minor(SEND[send_currency]), send_currency, receive_currency, fee_fixed)
    assert q["minor"] == figures, (origin, destination)
    assert (q["send_currency"], q["receive_currency"]) == (send_currency, receive_currency)
    assert (q["send_amount"], q["fee"], q["receive_amount"]) == (
        text_of(figures["send"], send_currency), text_of(figures["fee"], send_currency),
        text_of(figures["receive"], receive_currency))
    accepted = post(site_client(sender, origin), "/api/remittances", {"quote": q["id"]})
    assert accepted.status_code == 202, (origin, destination, accepted.content)
    rid = accepted.json()["id"]
    assert advance(rid, schema) == "credited"
    assert balance_of(sender, schema) == start - figures["send"]
    assert balance_of(recipient, SITES[destination][0]) == figures["receive"]
    received = site_client(recipient, destination).get("/api/remittances/received").json()["results"]
    assert [(r["id"], r["amount"], r["from_country"]) for r in received] == [
        (rid, text_of(figures["receive"], receive_currency), origin)]
    assert_reconciled(schema, SITES[destination][0])


# -- to a mobile-money wallet, through every wallet payout rail of every country ---------------------------------

WALLET_RAILS = [(code, rail.key) for code in sorted(SITES) for rail in default_adapter(code).rails
                if rail.payout and rail.key in ("wave", "cinetpay", "mtn_momo", "airtel_money")]
RAIL_NETWORK = {"mtn_momo": "mtn", "airtel_money": "airtel"}
# Send amounts whose receive amount is off CinetPay's and Airtel's steps (checked below: not a multiple).
ODD_SEND = {"NGN": "4011.37", "GHS": "45.37"}
# The rail's payout step in minor units, by the receive currency's exponent.
STEP = {"cinetpay": lambda exponent: 5 * 10**exponent, "airtel_money": lambda exponent: 10**exponent}


@pytest.fixture(scope="module")
def payout_rails():
    from provider_plugins.airtel_money.simulator import AirtelMoneySimulator
    from provider_plugins.cinetpay.simulator import CinetPaySimulator
    from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
    from provider_plugins.wave.simulator import WaveSimulator

    sims = {"wave": WaveSimulator(payout_delay=0.02), "cinetpay": CinetPaySimulator(transfer_delay=0.02),
            "airtel_money": AirtelMoneySimulator(disburse_delay=0.02),
            "mtn_momo": MtnMomoSimulator(transfer_delay=0.02)}
    for sim in sims.values():
        sim.start()
    yield sims
    for sim in sims.values():
        sim.stop()


@pytest.mark.django_db
@pytest.mark.parametrize(("destination", "rail"), WALLET_RAILS)
def test_a_remittance_is_paid_out_through_every_wallet_rail_of_every_country(country_sites, remit, payout_rails,
                                                                             destination, rail):
    from django_tenants.utils import schema_context

    from tenant_apps.remittances.models import InboundRemittance
    from tenant_apps.wallet.models import Transfer
    from tenant_apps.wallet.transfers import payout_poll, payout_submit
    from tests.support.numbers import sample_mobile
    from tests.support.waiting import wait_for
    from tests.wallet.helpers import register_gateway

    origin = "GH" if destination == "NG" else "NG"
    send_country, receive_country = default_adapter(origin), default_adapter(destination)
    schema, receive_schema = SITES[origin][0], SITES[destination][0]
    register_gateway(country=destination, key=rail, url=payout_rails[rail].url,
                     options={"target_environment": "sandbox"} if rail == "mtn_momo" else None)
    open_corridor(schema, destination, margin_bps=MARGIN_BPS, fee_bps=FEE_BPS, fee_fixed_minor=0)
    # An amount off the rail's step in the receive currency (CinetPay: multiples of 5 units; Airtel: whole units).
    amount = ODD_SEND[send_country.currency]
    start = send_country.to_minor(amount) * 4
    sender = site_customer(origin, funded=start)
    network = {"LR": "lonestar"}.get(destination, "") if rail == "mtn_momo" else ""
    network = network or RAIL_NETWORK.get(rail) or next(
        key for key, prefixes in __import__("provider_plugins.interfaces.numbering", fromlist=["COUNTRIES"])
        .COUNTRIES[destination].networks.items() if prefixes)
    phone = sample_mobile(destination, network, 7)
    answer = post(site_client(sender, origin), "/api/remittances/quotes", {
        "destination_country": destination, "amount": amount, "method": "mobile_money",
        "rail": rail, "sender_name": "Ada Obi", "recipient_name": "Kofi Mensah", "recipient_phone": phone}, key=None)
    assert answer.status_code == 201, (destination, rail, answer.content)
    q = answer.json()
    step = STEP.get(rail, lambda exponent: 1)(receive_country.minor_unit)
    unrounded = expected(send_country.to_minor(amount), send_country.currency, receive_country.currency, 0)
    assert q["minor"]["receive"] == unrounded["receive"] - unrounded["receive"] % step, (destination, rail)
    assert {k: v for k, v in q["minor"].items() if k != "receive"} == {
        k: v for k, v in unrounded.items() if k != "receive"}
    accepted = post(site_client(sender, origin), "/api/remittances", {"quote": q["id"]})
    assert accepted.status_code == 202, (destination, rail, accepted.content)
    rid = accepted.json()["id"]
    assert advance(rid, schema) == "in_transit", (destination, rail)
    with schema_context(receive_schema):
        inbound = InboundRemittance.objects.get(public_id=rid)
        assert inbound.transfer_id is not None, (destination, rail, inbound.status)
        row = Transfer.objects.get(pk=inbound.transfer_id)
        assert (row.amount_minor, row.currency) == (q["minor"]["receive"], receive_country.currency)
        payout_submit(transfer_id=row.pk, schedule_poll=False)

        def final():
            payout_poll(transfer_id=row.pk, attempt=5)
            fresh = Transfer.objects.get(pk=row.pk)
            return fresh if fresh.status != "pending" else None

        assert wait_for(final, timeout=10).status == "succeeded", (destination, rail)
    assert advance(rid, schema) == "paid_out", (destination, rail)
    assert balance_of(sender, schema) == start - q["minor"]["send"]
    assert unrounded["receive"] % step or step == 1, "the amount should be off the rail's step"
    assert_reconciled(schema, receive_schema)


@pytest.mark.django_db
def test_a_rail_the_destination_does_not_list_is_refused_at_the_quote(country_sites, remit):
    """Airtel Money does not pay out in Guinea: refused when quoting (400 payouts_unavailable), not accepted, sent to
    the hub and refunded."""
    sender = site_customer("NG", funded=1_000_000)
    open_corridor("ng", "GN")
    answer = post(site_client(sender, "NG"), "/api/remittances/quotes", {
        "destination_country": "GN", "amount": "4000.00", "method": "mobile_money", "rail": "airtel_money",
        "sender_name": "Ada Obi", "recipient_name": "Mamadou Bah", "recipient_phone": "+224621234567"}, key=None)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "payouts_unavailable"), answer.content
    assert "cinetpay" in answer.json()["error"]["fields"]["rail"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(("destination", "method", "recipient"), [
    ("CV", "mobile_money", {"recipient_phone": "+2389912345"}),  # no rail pays out in Cabo Verde
    ("GW", "mobile_money", {"recipient_phone": "+245955123456"}),  # Orange Money collects only there
    ("CV", "bank", {"bank_code": "BCA", "account_number": "12345678"}),
    ("TG", "bank", {"bank_code": "ECOBANK", "account_number": "12345678"}),
])
def test_a_method_no_rail_of_the_destination_pays_is_refused_at_the_quote(country_sites, remit, destination, method,
                                                                          recipient):
    """A Niger journey: a remittance to a Cabo Verde (or Guinea-Bissau) mobile-money wallet was quoted and accepted
    with no rail named, though nothing pays out there: the money left, the payout failed over there and the sender
    was refunded minutes later. Refused when quoting (400 payouts_unavailable); the wallet method still quotes."""
    sender = site_customer("NE", funded=100_000)
    open_corridor(SITES["NE"][0], destination, fee_fixed_minor=100)
    body = {"destination_country": destination, "amount": "5000", "method": method, "sender_name": "Amina Bello",
            "recipient_name": "Maria Lopes", **recipient}
    answer = post(site_client(sender, "NE"), "/api/remittances/quotes", body, key=None)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "payouts_unavailable"), answer.content
    offered = {"CV": "wallet", "GW": "wallet", "TG": "wallet, mobile_money"}[destination]
    assert answer.json()["error"]["fields"]["method"] == [f"Choisissez parmi : {offered}."], answer.json()
    wallet = post(site_client(sender, "NE"), "/api/remittances/quotes", {
        **body, "method": "wallet", "recipient_phone": recipient.get("recipient_phone") or
        {"CV": "+2389912345", "TG": "+22890123456"}[destination]}, key=None)
    assert wallet.status_code == 201, wallet.content
    assert balance_of(sender, SITES["NE"][0]) == 100_000  # a quote holds nothing
