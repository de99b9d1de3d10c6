"""Racing movements cannot both slip under a count rule: the gate judges them one after the other.

Real commits and real threads (one database connection each), released together by a barrier. The user's
window is serialised by the buyer's row lock the money takes anyway (KYC); a window over a key several users
share (here a recipient) by a transaction advisory lock on that key.
"""

from __future__ import annotations

import threading
import uuid

from django.db import connection
from django_tenants.utils import schema_context

from tests.orders.helpers import assert_books
from tests.risk.helpers import buy, decisions, make_rule, person

FUNDS = 200_000


def _number() -> str:
    """A fresh MTN number (committed decisions of an earlier run must not count in this run's windows)."""
    return f"0803{uuid.uuid4().int % 10**7:07d}"


def _race(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            status = call().status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(statuses)


def test_two_racing_purchases_never_both_pass_a_count_rule(live_db, risk_stack):
    from tenant_apps.orders.models import Order
    from tenant_apps.risk.models import RiskRule

    product = risk_stack.products["vt_airtime"]
    rules = [make_rule(name="one purchase per user", rule_type="velocity_count", flows=["purchase"],
                       window_seconds=600, threshold_count=1, action="block"),
             make_rule(name="one purchase per number", rule_type="velocity_count", flows=["purchase"],
                       scope="recipient", window_seconds=600, threshold_count=1, action="block")]
    try:
        for _round in range(3):
            user, token = person(balance=FUNDS)  # one buyer, two numbers: the user's window
            assert _race([lambda t=token: buy(t, product, _number()),
                          lambda t=token: buy(t, product, _number())]) == [202, 403]
            with schema_context("ng"):
                spent = sum(Order.objects.filter(user=user).values_list("price_minor", flat=True))
            assert_books(user, FUNDS - spent)
            assert [d.outcome for d in decisions(user=user)] in (["allow", "block"], ["block", "allow"])
            (first, first_token), (second, second_token) = person(balance=FUNDS), person(balance=FUNDS)
            number = _number()  # two buyers, one number: the recipient's window (advisory lock)
            assert _race([lambda t=first_token, n=number: buy(t, product, n),
                          lambda t=second_token, n=number: buy(t, product, n)]) == [202, 403]
            outcomes = sorted(d.outcome for d in decisions(user__in=[first, second]))
            assert outcomes == ["allow", "block"]
    finally:
        with schema_context("ng"):
            RiskRule.objects.filter(pk__in=[rule.pk for rule in rules]).delete()
