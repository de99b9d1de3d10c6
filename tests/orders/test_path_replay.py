"""The bench's pgbench replay runs the purchase path's own SQL for real: each replayed purchase is a new order
with its hold, postings and outbox row, debited from the drawn buyer's wallet, the books balanced
(``nexustop_dev.replay``; ``bench_purchases`` prints the service's ratio to it, issue 18)."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from nexustop_dev.replay import capture_purchase, pgbench_script, run_pgbench
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
    script = pgbench_script(capture, user_id=buyers[0][0].pk)
    try:
        tps = run_pgbench(script, user_ids=[user.pk for user, _ in buyers], clients=2, seconds=1)
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
