"""What POST /api/purchase costs the web process in round trips (issue 18: the web side of a purchase).

Counted below Django (psycopg's cursor, redis-py's command), so nothing escapes: the tenant's ``SET
search_path`` (which is also Django's connection health check: tenants.postgresql_backend) when the
connection is due a probe, the JWT's user, the one ``purchase_accept`` call; and every Redis command (the
request's hot keys come in ONE MGET: shared_apps.core.redis_cache). Under load (a connection that served a
request without error within ``DATABASE_HEALTH_CHECK_FRESH_SECONDS``, its session already on the tenant's
path) the probe and the SET are not sent: two statements.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
import redis

from tests.orders.helpers import buy, new_buyer
from tests.support.databases import terminate_backend

# The tenant's SET search_path (the health check of CONN_HEALTH_CHECKS too), the JWT's user and the
# purchase_accept call. A shared cache version is read without a tenant switch (no second SET).
PURCHASE_MAX_STATEMENTS = 3
PURCHASE_REDIS_COMMANDS = 1




def _health_check_due() -> None:
    """What a server's request_started does for a reused connection idle for longer than
    DATABASE_HEALTH_CHECK_FRESH_SECONDS (Django's test client skips it): the next statement is preceded by the
    health check. (Not close_old_connections: in a long run the connection may be older than CONN_MAX_AGE, and a
    new one would hide the probe.)"""
    from django.db import connection

    connection.health_check_done = False  # type: ignore[attr-defined]  # Django's; the stubs omit it
    connection._proven_at = None  # type: ignore[attr-defined]  # tenants.postgresql_backend: not proven lately


@contextlib.contextmanager
def round_trips() -> Iterator[dict[str, list]]:
    """Every SQL statement and Redis command sent while inside (this thread's)."""
    seen: dict[str, list] = {"sql": [], "redis": []}
    execute, command = psycopg.Cursor.execute, redis.Redis.execute_command

    def counted_execute(self, query, params=None, **kwargs):
        seen["sql"].append(str(query))
        return execute(self, query, params, **kwargs)

    def counted_command(self, *args, **kwargs):
        seen["redis"].append(args)
        return command(self, *args, **kwargs)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    redis.Redis.execute_command = counted_command  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        redis.Redis.execute_command = command  # type: ignore[method-assign]


def test_a_purchase_is_three_statements_and_one_redis_command(live_db, quiet_stack):
    _user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202  # fills the caches
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202  # session on ng's path
    _health_check_due()
    with round_trips() as seen:
        response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    statements = seen["sql"]
    # A connection due its health check is probed by the tenant's SET (tenants.postgresql_backend.is_usable).
    assert sum("search_path" in s for s in statements) == 1, statements
    assert statements[0].startswith('SET search_path = "ng"'), statements
    assert "SELECT 1" not in statements, statements
    assert len(statements) <= PURCHASE_MAX_STATEMENTS, "\n".join(statements)
    assert sum("purchase_accept" in s for s in statements) == 1
    assert [args[0] for args in seen["redis"]] == ["MGET"] * PURCHASE_REDIS_COMMANDS, seen["redis"]
    keys = seen["redis"][0][1:]
    for hot in ("risk:device-signed-out:", "cache-version:catalog", "cache-version:pricing",
                "cache-version:pins:policy", "risk:rules-version", "countries:overrides-version"):
        assert any(hot in key for key in keys), (hot, keys)


def test_a_purchase_on_a_connection_proven_just_now_is_two_statements(live_db, quiet_stack):
    """What a busy server's purchase sends: no probe (the connection served the previous request without error
    just now), no SET (the session is on the tenant's path already), the JWT's user and the one call."""
    from django.db import connection

    _user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    connection.close()  # a new connection: younger than CONN_MAX_AGE whatever ran before in this process
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202
    connection.close_if_unusable_or_obsolete()  # request_finished: proven now
    connection.close_if_unusable_or_obsolete()  # request_started: health check due
    with round_trips() as seen:
        response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    statements = seen["sql"]
    assert len(statements) == 2, statements
    assert not any("search_path" in s or s == "SELECT 1" for s in statements), statements
    assert sum("purchase_accept" in s for s in statements) == 1
    from django_tenants.utils import schema_context

    from tenant_apps.orders.models import Order

    with schema_context("ng"):
        assert Order.objects.filter(public_id=response.json()["id"]).exists()  # written in ng


def test_a_tenant_switch_still_sets_the_search_path(live_db, quiet_stack):
    """Another schema in between: the purchase sets ng's path before its first read, and writes in ng."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.orders.models import Order

    _user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202
    with schema_context("sn"):
        Order.objects.exists()  # the session's search_path is sn's now
        with connection.cursor() as cursor:
            cursor.execute("SHOW search_path")
            assert cursor.fetchone()[0].startswith("sn")
    with round_trips() as seen:
        response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    assert seen["sql"][0].startswith('SET search_path = "ng"'), seen["sql"]  # before anything is read
    with schema_context("ng"):
        assert Order.objects.filter(public_id=response.json()["id"]).exists()  # written in ng, read in ng


def test_the_search_path_probe_still_finds_a_dead_connection(live_db, quiet_stack):
    """The SET that doubles as the health check fails on a connection the server dropped: Django closes it and
    the request runs on a new one (202), its path set before its first read."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.orders.models import Order

    _user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202
    assert connection.connection is not None  # kept for the next request (CONN_MAX_AGE)
    dead = connection.connection.info.backend_pid
    terminate_backend(dead)
    _health_check_due()
    with round_trips() as seen:
        response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    assert connection.connection.info.backend_pid != dead
    assert [s for s in seen["sql"] if "search_path" in s][-1].startswith('SET search_path = "ng"'), seen["sql"]
    with schema_context("ng"):
        assert Order.objects.filter(public_id=response.json()["id"]).exists()


def test_a_connection_dropped_within_the_window_is_replaced_by_the_request(live_db, quiet_stack):
    """The probe is skipped on a connection proven less than DATABASE_HEALTH_CHECK_FRESH_SECONDS ago. When the
    server ended that session meanwhile, the request's first statement reads the server's notice (the statement
    never ran), opens a new connection, sets the tenant's path there and runs: the purchase is accepted once,
    as the probe would have made it."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenant_apps.orders.models import Order

    user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    connection.close()  # a new connection: younger than CONN_MAX_AGE whatever ran before in this process
    assert buy(token, product, quiet_stack.phone(), amount="50.00").status_code == 202
    connection.close_if_unusable_or_obsolete()  # request_finished: proven now
    dead = connection.connection.info.backend_pid
    terminate_backend(dead)
    connection.close_if_unusable_or_obsolete()  # request_started: within the window, no probe
    with round_trips() as seen:
        response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    assert connection.connection.info.backend_pid != dead
    assert 'SET search_path = "ng","public"' in seen["sql"], seen["sql"]  # on the new session, before reading
    assert sum("purchase_accept" in s for s in seen["sql"]) == 1
    with schema_context("ng"):
        assert Order.objects.filter(public_id=response.json()["id"]).count() == 1
        assert Order.objects.filter(user__public_id=user.public_id).count() == 2


def test_a_purchase_reads_its_product_once(live_db, quiet_stack, monkeypatch):
    """The name check's question (before the money call) and purchase_create share the request's product read."""
    from tenant_apps.orders.services import create

    _user, token = new_buyer(200_000)
    product = quiet_stack.products["vt_airtime"]
    reads: list[object] = []
    active_product = create.active_product

    def counted(**kwargs):
        reads.append(kwargs)
        return active_product(**kwargs)

    monkeypatch.setattr(create, "active_product", counted)
    response = buy(token, product, quiet_stack.phone(), amount="50.00")
    assert response.status_code == 202, response.content
    assert response.json()["product_id"] == product.pk
    assert reads == [{"product_id": product.pk}]


def test_purchase_create_reads_a_product_it_was_not_given(live_db, quiet_stack):
    """``product=`` is used only for the same product id: another one is read (and checked) as before."""
    from django_tenants.utils import schema_context

    from tenant_apps.orders.services import create

    user, _token = new_buyer(200_000)
    airtime = quiet_stack.products["vt_airtime"]
    with schema_context("ng"):
        other = create.active_product(product_id=airtime.pk)
        other.pk = airtime.pk + 10_000_000  # not the product asked for
        order = create.purchase_create(user=user, product_id=airtime.pk, recipient_phone=quiet_stack.phone(),
                                       amount_minor=5_000, product=other)
    assert order.product_id == airtime.pk
