"""A customer in each of the 16 countries sends money to another customer (P2P) and saves in a locked goal with
an early-withdrawal penalty, through the API, in the country's currency and minor unit: amounts on the API are
written with the currency's own decimals, the penalty (basis points, half up) goes to revenue in that currency,
and the books balance."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from countries.registry import default_adapter
from tests.support.country_sites import AMOUNT, SITES, site_client, site_customer
from tests.wallet.helpers import assert_books_balance, balance_of, post

PENALTY_BPS = 250
TODAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@freeze_time(TODAY)
@pytest.mark.django_db
@pytest.mark.parametrize("country", sorted(SITES))
def test_p2p_and_a_savings_goal_in_every_country(country_sites, country):
    adapter = default_adapter(country)
    schema, currency, amount = SITES[country][0], adapter.currency, AMOUNT[adapter.currency]
    minor = adapter.to_minor(amount)
    sender, friend = site_customer(country, funded=minor * 4), site_customer(country)
    sent = post(site_client(sender, country), "/api/transfers",
                {"type": "p2p", "recipient": friend.phone, "amount": amount})
    assert sent.status_code in (200, 201), (country, sent.content)
    assert (sent.json()["amount"], sent.json()["currency"], sent.json()["status"]) == (amount, currency, "succeeded")
    assert (balance_of(sender, schema), balance_of(friend, schema)) == (minor * 3, minor)

    admin = site_customer(country, role="operator_admin")
    rule = site_client(admin, country).put("/api/staff/savings/rules", json.dumps(
        {"early_withdrawal": "penalty", "penalty_bps": PENALTY_BPS}), content_type="application/json")
    assert rule.status_code == 200, (country, rule.content)
    client = site_client(sender, country)
    goal = post(client, "/api/savings/goals", {"name": "School fees", "target": adapter.from_minor(minor * 3),
                                                "lock_until": "2026-12-31"})
    assert goal.status_code == 201, (country, goal.content)
    goal_id = goal.json()["id"]
    assert goal.json()["target"] == adapter.from_minor(minor * 3)
    deposit = post(client, f"/api/savings/goals/{goal_id}/deposits", {"amount": amount})
    assert deposit.status_code == 201 and deposit.json()["saved"] == amount, (country, deposit.content)
    penalty = (minor * PENALTY_BPS + 5_000) // 10_000
    asked = post(client, f"/api/savings/goals/{goal_id}/withdrawals", {"amount": amount})
    assert (asked.status_code, asked.json()["error"]["code"]) == (409, "early_withdrawal_penalty")
    assert asked.json()["error"]["fields"]["penalty"] == [adapter.from_minor(penalty)]
    taken = post(client, f"/api/savings/goals/{goal_id}/withdrawals", {"amount": amount, "accept_penalty": True})
    assert taken.status_code == 201, (country, taken.content)
    assert taken.json()["received"] == adapter.from_minor(minor - penalty)
    assert balance_of(sender, schema) == minor * 3 - penalty
    assert_books_balance(schema)
