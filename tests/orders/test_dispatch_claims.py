"""The dispatcher's claim (``tenant_apps.orders.dispatch.claims``) is set-based: a constant number of statements per
batch whatever its size, and the same decisions as one order at a time (attempts, request ids on a re-claim,
orders held for review or answered meanwhile, orders no provider can take). Real PostgreSQL, the simulators
over HTTP; no dispatcher process (the steps run in-process)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.orders.helpers import assert_books, buy, new_buyer, transitions


def _held(stack, token: str, count: int, product: str = "vt_airtime", amount: str | None = "50.00") -> list[int]:
    from tenant_apps.orders.models import Order

    ids = []
    for _ in range(count):
        response = buy(token, stack.products[product], stack.phone(), amount=amount)
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    with schema_context("ng"):
        return list(Order.objects.filter(public_id__in=ids).order_by("pk").values_list("pk", flat=True))


def _claim(order_ids: list[int]):
    from tenant_apps.orders.dispatch.claims import claim_batch

    return claim_batch(limit=len(order_ids), lease_seconds=settings.ORDERS_DISPATCH_LEASE_SECONDS,
                       order_ids=order_ids)


def _send_and_settle(items) -> dict:
    from tenant_apps.orders.dispatch.batch import _calls, run_coroutine
    from tenant_apps.orders.dispatch.settle import settle_batch

    run_coroutine(_calls(items))
    return settle_batch(items)


def test_a_claim_of_40_orders_takes_as_many_statements_as_a_claim_of_one(live_db, quiet_stack):
    user, token = new_buyer(5_000_000)
    one, forty = _held(quiet_stack, token, 1), _held(quiet_stack, token, 40)
    with schema_context("ng"):
        _send_and_settle(_claim(_held(quiet_stack, token, 1)).items)  # warm: caches, the tenant's first claim
        with CaptureQueriesContext(connection) as single:
            claim_one = _claim(one)
        with CaptureQueriesContext(connection) as batch:
            claim_forty = _claim(forty)
        assert len(claim_one.items) == 1 and len(claim_forty.items) == 40
        statements = [q["sql"] for q in batch.captured_queries]
        assert len(statements) == len(single.captured_queries), "\n".join(statements)
        # the claim with its orders, products, routing, the writes (attempts, transitions, orders), commit
        assert len(statements) <= 6, "\n".join(statements)
        [writes] = [s for s in statements if "INSERT" in s]
        assert writes.count("INSERT INTO") == 2 and "UPDATE orders_order" in writes  # one statement
        assert not [s for s in statements if "SAVEPOINT" in s]
        items = claim_one.items + claim_forty.items
        assert len({item.attempt.request_id for item in items}) == 41 and all(item.attempt.pk for item in items)
        assert {item.attempt.submit_count for item in items} == {1}
        done = _send_and_settle(items)
    assert {order.status for order in done.values()} == {"settled"}
    assert all(quiet_stack.vtpass.delivery_count(item.attempt.request_id) == 1 for item in items)
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        prices = list(Order.objects.filter(user=user).values_list("price_minor", flat=True))
    assert_books(user, 5_000_000 - sum(prices))


def test_a_mixed_batch_decides_each_order_as_one_at_a_time_would(live_db, quiet_stack):
    """One claim: new orders (an attempt each), an order claimed again (its attempt, same request id), one held
    for review and one answered meanwhile (their outbox rows go, nothing sent), one no provider can take
    (failed and refunded, as always)."""
    from shared_apps.catalog.models import Product
    from tenant_apps.orders.models import Order, OrderAttempt, OrderOutbox
    from tenants.connection import tenant_connection

    _user, token = new_buyer(2_000_000)
    fresh = _held(quiet_stack, token, 3)
    again, review, answered = _held(quiet_stack, token, 3)
    [stranded] = _held(quiet_stack, token, 1, product="vt_data", amount=None)
    with schema_context("ng"):
        [first] = _claim([again]).items  # claimed, never sent (its dispatcher died): comes back, same request id
        Order.objects.filter(pk=review).update(needs_review=True)  # a risk rule holds it for an operator
        Order.objects.filter(pk=answered).update(status="released")  # answered meanwhile (staff refunded it)
    from tenant_apps.orders import routing

    data = quiet_stack.products["vt_data"]
    tenant_connection().set_schema_to_public()
    gone = [p.pk for p in routing.equivalent_products(product=data, amount_minor=data.face_value_minor)]
    Product.objects.filter(pk__in=gone).update(is_active=False)  # no provider sells it any more
    try:
        with schema_context("ng"):
            claim = _claim([*fresh, again, review, answered, stranded])
            by_order = {item.order.pk: item for item in claim.items}
            assert claim.rows == 7 and sorted(by_order) == sorted([*fresh, again])
            assert by_order[again].attempt.request_id == first.attempt.request_id
            assert by_order[again].attempt.pk == first.attempt.pk
            assert OrderAttempt.objects.get(pk=first.attempt.pk).submit_count == 2
            assert not OrderOutbox.objects.filter(order_id__in=[review, answered, stranded]).exists()
            assert not OrderAttempt.objects.filter(order_id__in=[review, answered, stranded]).exists()
            assert Order.objects.get(pk=review).status == "held"
            refunded = Order.objects.get(pk=stranded)
            assert (refunded.status, refunded.failure_reason) == ("released", "no_provider_available")
            for pk in fresh:
                order = Order.objects.get(pk=pk)
                assert (order.status, order.attempt_count, order.requery_count) == ("submitted", 1, 0)
                assert transitions(order)[-1] == ("held", "submitted")
            done = _send_and_settle(claim.items)
    finally:
        tenant_connection().set_schema_to_public()
        Product.objects.filter(pk__in=gone).update(is_active=True)
    assert {pk: order.status for pk, order in done.items()} == {pk: "settled" for pk in [*fresh, again]}
    assert quiet_stack.vtpass.delivery_count(first.attempt.request_id) == 1  # sent twice, delivered once


def test_with_the_breaker_open_a_batch_routes_and_prices_as_a_single_fail_over_would(live_db, quiet_stack):
    """VTPass's breaker open: every order of the batch goes where ``_start_attempt`` (the one-order path a
    fail-over takes) sends it, at the same re-quoted price, and the re-quote is asked once per buyer, not per
    order (the claim of five costs what the claim of one costs)."""
    from django.db import transaction

    from tenant_apps.orders import routing
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services._helpers import _start_attempt

    _user, token = new_buyer(2_000_000)
    one, five, probe = _held(quiet_stack, token, 1), _held(quiet_stack, token, 5), _held(quiet_stack, token, 1)
    vt = quiet_stack.vtpass_provider
    routing._redis().set(routing._key(vt.pk, "open"), "1", ex=60)
    try:
        with schema_context("ng"):
            with transaction.atomic():  # what the one-order path decides, rolled back
                order = Order.objects.select_for_update().select_related("user").get(pk=probe[0])
                expected = _start_attempt(order, now=order.created_at, source="submit", submitting=True)
                assert expected is not None
                want = (expected.provider_id, expected.provider_product_id, expected.quote)
                transaction.set_rollback(True)
            with CaptureQueriesContext(connection) as single:
                claim_one = _claim(one)
            with CaptureQueriesContext(connection) as batch:
                claim_five = _claim(five)
            items = claim_one.items + claim_five.items
            assert len(items) == 6
            assert {(i.attempt.provider_id, i.attempt.provider_product_id, str(i.attempt.quote)) for i in items} == \
                {(want[0], want[1], str(want[2]))}
            statements = [[q["sql"] for q in c.captured_queries if not q["sql"].startswith("SET search_path")]
                          for c in (single, batch)]  # the first statement after the probe's rollback sets it
            assert len(statements[0]) == len(statements[1]), "\n".join(statements[1])
    finally:
        routing.breaker_reset(vt)
    with schema_context("ng"):
        done = _send_and_settle(items)
        _send_and_settle(_claim(probe).items)
    # DT One answers "pending" first (its simulator resolves on the requery, swallowed in this module)
    assert {order.status for order in done.values()} <= {"settled", "pending"} and len(done) == 6


def test_an_order_that_cannot_start_does_not_hold_the_batch_back(live_db, quiet_stack):
    """One order of the batch is broken (submitted, its attempt missing): the batch claim fails, the orders are
    claimed one by one, the others start and settle, the broken one keeps its lease (tried again after it)."""
    from tenant_apps.orders.models import Order, OrderOutbox

    _user, token = new_buyer(1_000_000)
    ids = _held(quiet_stack, token, 4)
    broken = ids[1]
    with schema_context("ng"):
        Order.objects.filter(pk=broken).update(status="submitted", attempt_count=3)  # no attempt 3
        claim = _claim(ids)
        assert sorted(item.order.pk for item in claim.items) == [pk for pk in ids if pk != broken]
        assert OrderOutbox.objects.get(order_id=broken).claimed_until is not None  # leased: not retried at once
        done = _send_and_settle(claim.items)
        assert {order.status for order in done.values()} == {"settled"}
        Order.objects.filter(pk=broken).update(status="held", attempt_count=0)  # repaired: it goes through
        assert {order.status for order in _send_and_settle(_claim([broken]).items).values()} == {"settled"}


def test_a_busy_dispatcher_claims_at_a_cadence_and_an_idle_one_at_once(settings):
    from tenant_apps.orders.dispatch.runner import gather_wait

    settings.ORDERS_DISPATCH_GATHER_MS = 80
    busy = {"in_flight": 3, "noted": 5, "batch": 64}
    assert gather_wait(now=10.0, claimed_at=9.99, in_flight=0, noted=5, batch=64) == 0.0  # idle: not delayed
    assert gather_wait(now=10.0, claimed_at=None, **busy) == 0.0  # never claimed in this tenant
    assert gather_wait(now=10.0, claimed_at=9.95, **busy) == pytest.approx(0.03)  # the rest of the 80 ms
    assert gather_wait(now=10.0, claimed_at=9.9, **busy) == 0.0
    assert gather_wait(now=10.0, claimed_at=9.99, in_flight=3, noted=64, batch=64) == 0.0  # a batch is ready
    settings.ORDERS_DISPATCH_GATHER_MS = 0
    assert gather_wait(now=10.0, claimed_at=9.99, **busy) == 0.0


def test_the_dispatcher_profile_covers_each_thread_it_was_started_on(tmp_path):
    """``ORDERS_DISPATCH_PROFILE``: one CPU profile per thread (the loop and the database threads), merged."""
    import pstats
    import threading

    from tenant_apps.orders.dispatch.runner import ThreadProfiles

    def loop_work() -> int:
        return sum(range(1000))

    def database_work() -> int:
        return sum(range(2000))

    profiles = ThreadProfiles(str(tmp_path / "dispatcher.prof"))

    def worker() -> None:
        profiles.start()
        database_work()
        profiles.stop()

    profiles.start()
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    loop_work()
    profiles.stop()
    profiles.dump()
    stats: dict = pstats.Stats(str(tmp_path / "dispatcher.prof")).stats  # type: ignore[attr-defined]  # stubs omit it
    names = {function for _file, _line, function in stats}
    assert {"loop_work", "database_work"} <= names


def test_the_listener_counts_every_notification_in_order_and_reconnects(live_db, monkeypatch, caplog):
    """``_listen`` reads the notifications off the socket (``_notifications``): each one noted for its tenant (one at
    a time and several in one packet), the tenant made due, the loop woken when a batch is full; a LISTEN connection
    killed is logged and made again, and what is sent afterwards is noted too."""
    import asyncio

    import psycopg
    from psycopg.conninfo import make_conninfo

    from tenant_apps.orders.dispatch import runner

    name = "dispatch-listen-test"
    monkeypatch.setattr(runner, "listen_url", lambda: make_conninfo(runner.database_url(
        settings.DATABASES["default"]), application_name=name))

    async def until(check, seconds: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not check():
            assert asyncio.get_running_loop().time() < deadline, "not in time"
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        dispatcher = runner.Dispatcher(batch=5, lease_seconds=90, scan_seconds=60, provider_limit=4, max_in_flight=64)
        dispatcher._wake, dispatcher._due, dispatcher._noted = asyncio.Event(), set(), {}
        dispatcher._next_scan = 99.0
        listening = asyncio.Event()
        task = asyncio.create_task(dispatcher._listen(listening))
        await asyncio.wait_for(listening.wait(), 10)
        assert dispatcher._next_scan == 0.0  # a scan right after listening starts
        async with await psycopg.AsyncConnection.connect(runner.database_url(settings.DATABASES["default"]),
                                                         autocommit=True) as sender:
            for _ in range(4):
                await sender.execute("SELECT pg_notify(%s, %s)", [runner.CHANNEL, "t_one"])
            await until(lambda: dispatcher._noted.get("t_one") == 4)
            dispatcher._wake.clear()
            async with sender.transaction():  # delivered together at commit
                for payload in ("t_one", "t_two", "t_three"):
                    await sender.execute("SELECT pg_notify(%s, %s)", [runner.CHANNEL, payload])
            await until(lambda: dispatcher._noted == {"t_one": 5, "t_two": 1, "t_three": 1})
            assert dispatcher._due == {"t_one", "t_two", "t_three"}
            assert dispatcher._wake.is_set()  # t_one's fifth: a batch
            listening.clear()
            await sender.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                                 [name])
            await asyncio.wait_for(listening.wait(), 10)  # connected and listening again
            await sender.execute("SELECT pg_notify(%s, %s)", [runner.CHANNEL, "t_two"])
            await until(lambda: dispatcher._noted.get("t_two") == 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    # Not asyncio.run: a browser test earlier in this worker leaves Playwright's loop running on this thread.
    from tenant_apps.orders.dispatch.batch import run_coroutine

    run_coroutine(scenario())
    assert "the LISTEN connection failed; reconnecting" in caplog.text


def test_the_claims_rows_go_in_as_one_json_document_equal_to_the_orms_arrays(live_db, quiet_stack, monkeypatch):
    """``rows.insert_statement`` sends plain values as ONE JSON document (the claim's attempts and transitions):
    the rows it writes, and the ids it returns in the objects' order, equal what the ORM's arrays write."""
    from django.forms.models import model_to_dict

    from shared_apps.core import rows
    from tenant_apps.orders.models import OrderAttempt, OrderTransition

    _user, token = new_buyer(20_000)
    pks = _held(quiet_stack, token, 3)
    with schema_context("ng"):
        claim = _claim(pks)
        assert [item.attempt.order_id for item in claim.items] == pks
        stored = {a.pk: a for a in OrderAttempt.objects.filter(order_id__in=pks)}
        assert {item.attempt.pk: item.attempt.request_id for item in claim.items} == \
            {pk: a.request_id for pk, a in stored.items()}  # each id returned to its own attempt
        transitions = list(OrderTransition.objects.filter(order_id__in=pks).order_by("pk"))

        def copies(tag: str, number: int) -> list:
            made: list[Any] = [OrderAttempt(**{**model_to_dict(a, exclude=["id", "order"]), "order_id": a.order_id,
                                    "number": a.number + number, "request_id": f"{a.request_id}{tag}",
                                    "answered_at": a.created_at if a.order_id == pks[0] else None})
                    for a in stored.values()]
            made += [OrderTransition(**{**model_to_dict(t, exclude=["id", "order"]), "order_id": t.order_id,
                                        "reason": f"{t.reason}{tag} ünï \"q\" \\ {{}}"}) for t in transitions]
            return made

        def insert(objs: list) -> list[str]:
            sent: list[str] = []

            def watch(execute, sql, params, many, context):
                sent.append(sql)
                return execute(sql, params, many, context)

            for model in (OrderAttempt, OrderTransition):
                of_model = [o for o in objs if type(o) is model]
                with connection.execute_wrapper(watch), connection.cursor() as cursor:
                    sql, params = rows.insert_statement(of_model)
                    cursor.execute(sql, params)
                    rows.inserted(of_model, [row[0] for row in cursor.fetchall()])
            return sent

        def read(objs: list, tag: str) -> list[dict]:
            found = []
            for obj in objs:
                fresh = model_to_dict(type(obj).objects.get(pk=obj.pk), exclude=["id"])
                for key in ("request_id", "reason"):
                    if key in fresh:
                        fresh[key] = fresh[key].replace(tag, "")
                fresh.pop("number", None)
                found.append(fresh)
            return found

        as_json = copies("-j", 10)
        assert all("jsonb_array_elements" in sql for sql in insert(as_json))
        with monkeypatch.context() as patched:
            patched.setattr(rows, "_json_document", lambda *args: None)
            as_arrays = copies("-a", 20)
            assert all("unnest" in sql for sql in insert(as_arrays))
        assert read(as_json, "-j") == read(as_arrays, "-a")
        assert [o.pk for o in as_json] == sorted(o.pk for o in as_json if type(o) is OrderAttempt) + \
            sorted(o.pk for o in as_json if type(o) is OrderTransition)  # ids in the objects' order
