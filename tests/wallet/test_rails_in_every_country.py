"""Every funding and payout rail each of the 16 countries lists works end to end, in that country's currency.

``tests/countries/test_rails.py`` checks that a listed rail is a plugin declaring the country; this drives
each (country, rail) through the HTTP API against the rail's simulator: ``POST /api/wallet/fund`` -> the
customer pays at the simulator -> ``GET /api/wallet/fund/<id>`` verifies with the rail -> the wallet is
credited exactly the amount, in the country's currency; and ``POST /api/transfers`` (a payout to the
customer's own wallet) -> the rail pays -> the hold is settled. The books balance after each.

Registry rows are registered as the rail's documentation says an operator would: only what the plugin
documents as required (no ``currency`` option where the plugin says it follows the request's currency).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from countries.registry import default_adapter
from provider_plugins.airtel_money.simulator import AirtelMoneySimulator
from provider_plugins.cinetpay.simulator import CinetPaySimulator
from provider_plugins.flutterwave.simulator import FlutterwaveSimulator
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from provider_plugins.onepipe.simulator import OnePipeSimulator
from provider_plugins.orange_money.simulator import OrangeMoneySimulator
from provider_plugins.paystack.simulator import PaystackSimulator
from provider_plugins.wave.simulator import WaveSimulator
from tests.support.country_sites import SITES, site_client, site_customer
from tests.support.waiting import wait_for
from tests.wallet.helpers import assert_books_balance, balance_of, funding_entries, post, register_gateway

# The network a rail reaches (MoMo pays MTN numbers, Airtel Airtel numbers, Orange Money Orange numbers).
RAIL_NETWORK = {"mtn_momo": "mtn", "airtel_money": "airtel", "orange_money": "orange"}
# Options an operator gives (docs/gateways.md, each plugin's docstring): Orange's URL segment is the country
# in lower case; Airtel's X-Country/X-Currency follow the registry row's country.
RAIL_OPTIONS = {"mtn_momo": {"target_environment": "sandbox"},
                "onepipe": {"auth_provider": "Polaris", "mock_mode": "Inspect"}}
# One amount per currency that every rail of that currency takes (CinetPay: a multiple of 5; Orange and Airtel:
# whole units).
AMOUNT = {"XOF": ("2500", 2500), "GNF": ("25000", 25000), "NGN": ("1500.00", 150_000), "GHS": ("25.00", 2_500),
          "GMD": ("150.00", 15_000), "LRD": ("300.00", 30_000), "SLE": ("40.00", 4_000)}


# Amounts off a wallet rail's step: CinetPay transfers multiples of 5 units (GNF too), Airtel Money whole units.
OFF_STEP = {"cinetpay": {"XOF": "2503", "GNF": "25002"}, "airtel_money": {"NGN": "1500.50"}}
# Bank payout rails: a bank each simulator knows, per country.
BANK = {"paystack": {"NG": "058", "GH": "280100"}, "flutterwave": {"NG": "058", "GH": "GH280100"},
        "onepipe": {"NG": "058"}}
# Paystack and Flutterwave transfer at least 100 units of the currency (their simulators, in any currency).
BANK_AMOUNT = {"GHS": ("120.50", 12_050)}


def rails(direction: str) -> list[tuple[str, str]]:
    cases = []
    for code in sorted(SITES):
        for rail in default_adapter(code).rails:
            if rail.kind != "agent" and getattr(rail, direction):
                cases.append((code, rail.key))
    return cases


@pytest.fixture(scope="module")
def simulators():
    sims = {"wave": WaveSimulator(payout_delay=0.02), "cinetpay": CinetPaySimulator(transfer_delay=0.02),
            "airtel_money": AirtelMoneySimulator(approve_delay=0.02, disburse_delay=0.02),
            "mtn_momo": MtnMomoSimulator(approve_delay=0.02, transfer_delay=0.02),
            "orange_money": OrangeMoneySimulator(), "paystack": PaystackSimulator(transfer_delay=0.02),
            "flutterwave": FlutterwaveSimulator(), "onepipe": OnePipeSimulator()}
    for sim in sims.values():
        sim.start()
    yield sims
    for sim in sims.values():
        sim.stop()


def register(country: str, rail: str, simulators):
    return register_gateway(country=country, key=rail, url=simulators[rail].url, options=RAIL_OPTIONS.get(rail))


def pay_at_rail(rail: str, sim, body: dict) -> None:
    """What the customer does at the rail (approve on the phone: MoMo and Airtel approve by themselves)."""
    if rail == "orange_money":
        sim.complete(body["authorization_url"].rstrip("/").rsplit("/", 1)[-1])
    elif rail in ("wave", "cinetpay", "paystack", "flutterwave"):
        sim.complete(body["reference"])


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "rail"), rails("funding"))
def test_funding_through_every_listed_rail_credits_the_amount_in_the_country_currency(country_sites, simulators,
                                                                                      country, rail):
    schema = SITES[country][0]
    currency = default_adapter(country).currency
    text, minor = AMOUNT[currency]
    register(country, rail, simulators)
    user = site_customer(country, RAIL_NETWORK.get(rail))
    client = site_client(user, country)
    sim = simulators[rail]
    before = len(sim.deliveries)  # before the push: MoMo and Airtel approve (and notify) by themselves
    started = post(client, "/api/wallet/fund", {"amount": text, "gateway": rail})
    assert started.status_code in (201, 202), (country, rail, started.content)
    body = started.json()
    assert body["currency"] == currency and body["amount"] == text, body
    pay_at_rail(rail, sim, body)
    # The rail's signed (or unsigned) notification, as it sent it, delivered to this site's webhook: it credits
    # once (verified with the rail first); the customer's own check after it finds the intent final.
    notification = wait_for(lambda: next((d for d in sim.deliveries[before:] if SITES[country][1] in d["url"]
                                          or body["reference"].encode() in d["body"]), None), timeout=10)
    # Rails with one notification URL per merchant account (set on their portal) record none.
    path = urlsplit(notification["url"]).path or f"/webhook/{rail}"
    assert path.startswith("/webhook/"), notification["url"]
    headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in notification["headers"].items()
               if k.lower() != "content-type"}
    content_type = next((v for k, v in notification["headers"].items() if k.lower() == "content-type"),
                        "application/json")
    send = APIClient(HTTP_HOST=SITES[country][1]).generic
    answer = send("PUT" if rail == "mtn_momo" else "POST", path, notification["body"], content_type=content_type,
                  **headers)
    assert answer.status_code == 200, (country, rail, answer.content)
    assert funding_entries(body["reference"], schema) == 1, (country, rail, answer.content)

    def final():
        answer = client.get(f"/api/wallet/fund/{body['id']}")
        assert answer.status_code == 200, answer.content
        return answer.json() if answer.json()["status"] != "pending" else None

    outcome = wait_for(final, timeout=10)
    assert outcome["status"] == "succeeded", (country, rail, outcome)
    assert balance_of(user, schema) == minor
    with schema_context(schema):
        from tenant_apps.ledger.services import wallet_for

        assert wallet_for(user=user).currency == currency
    assert_books_balance(schema)


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "rail"), rails("payout"))
def test_payout_through_every_listed_rail_settles_in_the_country_currency(country_sites, simulators, country, rail):
    from tenant_apps.ledger.models import Hold
    from tenant_apps.wallet.models import Transfer
    from tenant_apps.wallet.transfers import payout_poll, payout_submit

    schema = SITES[country][0]
    currency = default_adapter(country).currency
    text, minor = AMOUNT[currency]
    provider = register(country, rail, simulators)
    if rail == "cinetpay":  # the balance the payouts draw from, in the country's currency (GN: GNF, not XOF)
        from provider_plugins.interfaces.plugin import Capability
        from shared_apps.providers.services import provider_config, provider_plugin

        connector = provider_plugin(provider=provider).connector(Capability.PAYOUTS)()
        assert [line.currency for line in connector.balance(config=provider_config(provider=provider))] == [currency]
    if rail in BANK:
        text, minor = BANK_AMOUNT.get(currency, (text, minor))
    user = site_customer(country, RAIL_NETWORK.get(rail), funded=minor * 3)
    client = site_client(user, country)
    if rail in BANK:  # a bank payout (the site's payout gateway: the only one registered here)
        recipient = {"bank_code": BANK[rail][country], "account_number": "0123456789"}
        answer = post(client, "/api/transfers", {"type": "bank", "recipient": recipient, "amount": text})
    else:
        [listed] = [r for r in client.get("/api/transfers/rails").json()["wallet_rails"] if r["rail"] == rail]
        assert listed["networks"] == "any" or set(listed["networks"].split(",")) <= set(
            default_adapter(country).networks), listed  # the rail's networks of this country
        off = OFF_STEP.get(rail, {}).get(currency)
        if off:  # an amount the rail cannot pay: refused up front, nothing held
            refused = post(client, "/api/transfers", {"type": "wallet", "recipient": {"rail": rail}, "amount": off})
            assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_amount", refused.content
            assert balance_of(user, schema) == minor * 3
        answer = post(client, "/api/transfers", {"type": "wallet", "recipient": {"rail": rail}, "amount": text})
    assert answer.status_code == 202, (country, rail, answer.content)
    assert answer.json()["currency"] == currency and answer.json()["amount"] == text, answer.json()
    with schema_context(schema):
        row = Transfer.objects.get(public_id=answer.json()["id"])
        payout_submit(transfer_id=row.pk, schedule_poll=False)

        def final():
            payout_poll(transfer_id=row.pk, attempt=5)
            fresh = Transfer.objects.get(pk=row.pk)
            return fresh if fresh.status != "pending" else None

        row = wait_for(final, timeout=10)
        assert row.status == "succeeded", (country, rail, row.status, row.failure_reason)
        assert Hold.objects.get(pk=row.hold_id).status == "settled"
    assert balance_of(user, schema) == minor * 2
    assert_books_balance(schema)
