"""What each of the 16 countries has to get money in (funding) and out (payout), and that it is true.

A rail with a provider must be a registered plugin that declares the country and the capability for
its direction (payments for funding, payouts for cash-out). Rails without a provider (``agent``: cash
at an agent, built beside this) are allowed in every country and are not counted here, so adding them
changes no expectation below except ``WITHOUT_PROVIDER_PAYOUT`` / ``WITHOUT_PROVIDER_FUNDING``.
"""

from __future__ import annotations

import pytest

from countries.registry import default_adapter
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.registry import get_plugin

# country -> (funding rails, payout rails), provider rails only, in the adapter's order.
EXPECTED = {
    "BF": (["wave", "cinetpay", "orange_money"], ["wave", "cinetpay"]),
    "BJ": (["mtn_momo", "cinetpay"], ["mtn_momo", "cinetpay"]),
    "CI": (["orange_money", "mtn_momo", "wave", "cinetpay"], ["mtn_momo", "wave", "cinetpay"]),
    "CV": ([], []),
    "GH": (["paystack", "flutterwave", "mtn_momo"], ["paystack", "flutterwave", "mtn_momo"]),
    "GM": (["wave"], ["wave"]),
    "GN": (["orange_money", "mtn_momo", "cinetpay"], ["mtn_momo", "cinetpay"]),
    "GW": (["orange_money"], []),
    "LR": (["mtn_momo", "orange_money"], ["mtn_momo"]),
    "ML": (["orange_money", "wave", "cinetpay"], ["wave", "cinetpay"]),
    "MR": ([], []),
    "NE": (["airtel_money", "cinetpay"], ["airtel_money", "cinetpay"]),
    "NG": (["paystack", "flutterwave", "airtel_money", "mtn_momo"], ["paystack", "flutterwave", "airtel_money",
                                                                      "mtn_momo", "onepipe"]),
    "SL": (["orange_money"], []),
    "SN": (["orange_money", "wave", "cinetpay"], ["wave", "cinetpay"]),
    "TG": (["cinetpay"], ["cinetpay"]),
}
# Where no provider has an API in that direction: agent cash-in / cash-out is the way (issue 16).
WITHOUT_PROVIDER_FUNDING = {"CV", "MR"}
WITHOUT_PROVIDER_PAYOUT = {"CV", "MR", "GW", "SL"}


def provider_rails(code: str):
    return [rail for rail in default_adapter(code).rails if rail.kind != "agent"]


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_country_lists_what_it_has_in_and_out(code):
    rails = provider_rails(code)
    funding, payout = EXPECTED[code]
    assert [rail.key for rail in rails if rail.funding] == funding
    assert [rail.key for rail in rails if rail.payout] == payout
    assert default_adapter(code).gateways == [rail.key for rail in rails]
    for rail in rails:  # every listed rail exists: a plugin serving this country in that direction
        plugin = get_plugin(rail.key)
        assert code in plugin.countries, (code, rail.key)
        if rail.funding:
            assert Capability.PAYMENTS in plugin.capabilities, (code, rail.key)
        if rail.payout:
            assert Capability.PAYOUTS in plugin.capabilities, (code, rail.key)
            assert default_adapter(code).currency in plugin.currencies or not plugin.currencies, (code, rail.key)


def test_every_country_has_a_way_in_and_out_at_least_through_an_agent():
    for code in EXPECTED:
        rails = default_adapter(code).active_rails
        assert any(rail.funding for rail in rails) and any(rail.payout for rail in rails), code
        assert ("agent", True, True) in [(rail.key, rail.funding, rail.payout) for rail in rails], code


def test_the_countries_without_a_provider_rail_are_known():
    assert {code for code, (funding, _) in EXPECTED.items() if not funding} == WITHOUT_PROVIDER_FUNDING
    assert {code for code, (_, payout) in EXPECTED.items() if not payout} == WITHOUT_PROVIDER_PAYOUT
    assert set(EXPECTED) == {"BJ", "BF", "CV", "CI", "GM", "GH", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SN",
                             "SL", "TG"}


def test_the_api_lists_the_rails(db, host_client):
    body = host_client("sn.localhost").get("/api/countries/SN").json()
    assert [(r["key"], r["funding"], r["payout"]) for r in body["rails"] if r["kind"] != "agent"] == [
        ("orange_money", True, False), ("wave", True, True), ("cinetpay", True, True)]
    assert body["gateways"] == ["orange_money", "wave", "cinetpay"]
