"""One tenant's schema never leaks into another client through a pooled connection.

Real PgBouncer in transaction mode with ONE server connection, shared by every
client: exactly the situation in which django-tenants' session-level
``SET search_path`` leaks. The first test shows the leak with plain
django-tenants (so these tests can fail); the others show that NexusTop's
backend in ``POOL_MODE = "transaction"`` (``tenants/postgresql_backend``)
resolves every table in its own tenant's schema: autocommit statements,
transactions, schema switches inside a transaction, savepoint rollbacks, many
threads at once, and nothing left behind on the server connection.

The name ``ledger_account`` exists in every tenant schema and not in public, so
the schema it resolves to says which tenant a query would have read.
"""

from __future__ import annotations

import os
import random
import threading
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from shared_apps.core.dburl import database_url
from tenants.postgresql_backend.base import DatabaseWrapper
from tests.support.databases import with_defaults
from tests.support.pgbouncer import INSTALL_HINT, PgBouncer, in_ci, pgbouncer_binary

pytestmark = pytest.mark.django_db

def _value(cursor: Any) -> Any:
    """The first column of the statement's one row (psycopg's fetchone says it may be None)."""
    row = cursor.fetchone()
    assert row is not None
    return row[0]


RESOLVE = ("SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE c.oid = to_regclass('ledger_account')")


def require_pgbouncer() -> None:
    if pgbouncer_binary() is None:
        if in_ci():
            pytest.fail(f"pgbouncer is not installed and CI=true: {INSTALL_HINT}")
        pytest.skip(f"pgbouncer is not installed ({INSTALL_HINT}); CI runs these")


def _bouncer(pool_size: int):
    require_pgbouncer()
    direct = os.environ.get("NEXUSTOP_DIRECT_DATABASE_URL") or database_url(settings.DATABASES["default"])
    return PgBouncer(server_url=direct, pool_size=pool_size).start()


@pytest.fixture
def one_server_connection(django_db_setup):
    """A fresh PgBouncer per test (starts in ~0.1 s): no server connection state carried between tests."""
    bouncer = _bouncer(pool_size=1)
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="module")
def two_server_connections(django_db_setup):
    bouncer = _bouncer(pool_size=2)
    yield bouncer
    bouncer.stop()


_count = iter(range(1_000_000))


def client(bouncer: PgBouncer, *, pool_mode: str) -> DatabaseWrapper:
    """A Django connection to the test database through ``bouncer``, as the app would open one."""
    from nexustop.settings.integrations.database import database_from_url

    alias = f"pooled_{next(_count)}"
    settings_dict = database_from_url(bouncer.url_for(settings.DATABASES["default"]["NAME"]), pool_mode=pool_mode)
    settings_dict["CONN_MAX_AGE"] = 0
    # Only this thread's connection for the alias (transaction.atomic(using=...) finds it); not in the
    # settings, so Django's test case treats it as a dynamically created connection.
    conn = DatabaseWrapper(with_defaults(alias, settings_dict), alias=alias)
    connections[alias] = conn
    return conn


def resolves_to(conn: DatabaseWrapper) -> str | None:
    with conn.cursor() as cursor:
        cursor.execute(RESOLVE)
        row = cursor.fetchone()
    return row[0] if row else None


def test_plain_django_tenants_leaks_a_schema_through_transaction_pooling(one_server_connection, tenants):
    """The control: session-level SET search_path behind a transaction pooler."""
    a, b, head_office = (client(one_server_connection, pool_mode="session") for _ in range(3))
    try:
        a.set_tenant(tenants["ng"])
        assert resolves_to(a) == "ng"
        b.set_tenant(tenants["sn"])
        assert resolves_to(b) == "sn"
        # a does not repeat its SET (TENANT_LIMIT_SET_CALLS): it gets the server connection b left behind.
        assert resolves_to(a) == "sn", "expected the leak this backend exists to prevent"
        assert resolves_to(head_office) is None  # its own SET public ...
        assert resolves_to(b) is None  # ... which sn's next query inherits: sn now reads public's tables
    finally:
        for conn in (a, b, head_office):
            conn.close()


def test_transaction_pool_mode_never_leaks_between_clients(one_server_connection, tenants):
    a, b, head_office = (client(one_server_connection, pool_mode="transaction") for _ in range(3))
    try:
        a.set_tenant(tenants["ng"])
        b.set_tenant(tenants["sn"])
        for _ in range(3):
            assert resolves_to(a) == "ng"
            assert resolves_to(b) == "sn"
            assert resolves_to(head_office) is None  # public has no ledger_account
        a.set_tenant(tenants["quickvend"])
        assert resolves_to(a) == "quickvend" and resolves_to(b) == "sn"
        # Nothing is left on the (single) server connection for the next client.
        raw = psycopg.connect(one_server_connection.url_for(settings.DATABASES["default"]["NAME"]), autocommit=True)
        try:
            assert _value(raw.execute("SHOW search_path")) == '"$user", public'
        finally:
            raw.close()
    finally:
        for conn in (a, b, head_office):
            conn.close()


def test_inside_transactions_switches_and_savepoints(one_server_connection, tenants):
    from django.db import transaction

    a = client(one_server_connection, pool_mode="transaction")
    b = client(one_server_connection, pool_mode="transaction")
    try:
        a.set_tenant(tenants["ng"])
        with CaptureQueriesContext(a) as queries, transaction.atomic(using=a.alias):
            assert resolves_to(a) == "ng"
            assert resolves_to(a) == "ng"  # same transaction: the SET LOCAL still holds
            a.set_tenant(tenants["gh"])
            assert resolves_to(a) == "gh"
            sid = a.savepoint()
            a.set_tenant(tenants["sn"])
            assert resolves_to(a) == "sn"
            a.savepoint_rollback(sid)  # undoes the SET LOCAL sent after the savepoint
            assert resolves_to(a) == "sn"  # the connection still points at sn: a new SET LOCAL is sent
            a.set_tenant(tenants["ng"])
        # One statement per query: the SET LOCAL travels with them, never as an extra round trip.
        assert len([q for q in queries.captured_queries if "to_regclass" in q["sql"]]) == 5
        assert not [q for q in queries.captured_queries if q["sql"].strip().upper().startswith("SET ")]
        # After a's commit the server connection serves b: nothing of a's tenants remains.
        assert resolves_to(b) is None
        b.set_tenant(tenants["gh"])
        assert resolves_to(b) == "gh"
        # A failed statement rolls its transaction back; the next one still resolves correctly.
        with pytest.raises(Exception), transaction.atomic(using=a.alias):
            resolves_to(a)
            with a.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        assert resolves_to(a) == "ng"
    finally:
        a.close()
        b.close()


def test_many_threads_each_read_their_own_tenant(two_server_connections, tenants):
    """Six threads, two server connections, random tenants, autocommit and transactions mixed."""
    from django.db import transaction

    schemas = ["ng", "sn", "gh", "quickvend", None]  # None: the public schema
    errors: list[str] = []
    done = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        conn = client(two_server_connections, pool_mode="transaction")
        try:
            for _ in range(40):
                schema = rng.choice(schemas)
                if schema is None:
                    conn.set_schema_to_public()
                else:
                    conn.set_tenant(tenants[schema])
                if rng.random() < 0.5:
                    got = resolves_to(conn)
                else:
                    with transaction.atomic(using=conn.alias):
                        got = resolves_to(conn)
                        again = resolves_to(conn)
                        if again != got:
                            errors.append(f"changed inside a transaction: {got} -> {again}")
                if got != schema:
                    errors.append(f"client on {schema} resolved ledger_account in {got}")
            done.append(seed)
        except Exception as error:  # surfaced below
            errors.append(repr(error))
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(done) == list(range(6))
