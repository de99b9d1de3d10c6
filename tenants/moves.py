"""Move a tenant's schema to another PostgreSQL cluster with no lost writes.

``manage.py move_tenant <tenant> <cluster>``. A country operation moves with its
reseller brands (they share money flows in one transaction, so one cluster).

1. **Prepare**: the schemas are created on the target from the code's
   migrations (template script or clone), while the tenant keeps working. The
   source must be fully migrated (same migrations as the target). Every target
   table gets a trigger refusing writes ("being moved here") until the switch:
   a writer routed to the target too early (a cache or a Tenant row still
   naming this cluster from an earlier move) fails and retries, instead of
   writing where the copy's ``TRUNCATE`` would silently discard its write.
2. **Suspend writes**: one transaction on the source takes ``EXCLUSIVE`` locks
   on every table of the schemas. It waits for transactions already writing to
   finish; from then on writers wait, readers go on. A writer that needs a table
   already locked while holding one not locked yet makes us give way (a short,
   growing lock wait, under the deadlock check) and try again, within the lock
   timeout.
3. **Copy** every table (``COPY``, text format: portable across PostgreSQL
   versions) and every sequence position, in one transaction on the target
   (``session_replication_role = replica``: the refusing triggers stay silent).
4. **Verify**: per table, the row count and a digest of every row's text on
   both sides, read in the source's locked snapshot; sequence positions too.
   Any difference aborts the move: the target schemas are dropped, the source
   unlocked, nothing switched.
5. **Switch**: first, uncommitted, every source table gets a trigger refusing
   writes ("tenant moved", inside the locking transaction) and the target's
   refusing triggers are dropped (writers reaching the target wait for that
   transaction); then ``Tenant.database`` becomes the target (committed on the
   primary); this process forgets its caches, other processes within
   ``TENANT_ROUTING_CACHE_SECONDS`` (their routing caches).
6. **Resume**: the source commits (its triggers, its locks go), then the target
   (it takes writes). A writer that still had the old cluster (a stale cache)
   and was waiting for the lock fails on the source's trigger instead of
   writing where nobody will read: its client retries (idempotency keys make
   that safe) and reaches the target. Nothing committed is lost. (The schema
   keeps its name: renamed, a stale request's search path would fall through
   to the public tables of the source.) Should the switch fail, both
   transactions roll back: the source takes writes again, the target (still
   refusing them) is dropped.

The retired source schemas stay, read-only, until ``move_tenant --drop-retired``
(evidence and a way back until you are sure); moving the tenant back to that
cluster drops its retired copy first.

Requirements: the source's session may take locks on the tenant's tables; the
target's session may set ``session_replication_role`` (superuser, or
``rds_superuser`` on RDS) so copied rows are not re-checked by triggers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from django.db import connections, transaction
from django_tenants.utils import schema_exists
from psycopg import sql

from . import clusters
from .models import Tenant, TenantKind
from .schema import create_tenant_schema, drop_schema

MOVED_TRIGGER = "nexustop_tenant_moved"  # on a retired source copy (for good)
ARRIVING_TRIGGER = "nexustop_tenant_arriving"  # on the target's schemas until the switch
_REFUSALS = {
    MOVED_TRIGGER: "tenant % moved to another database cluster: retry",
    ARRIVING_TRIGGER: "tenant % is being moved to this database cluster: retry",
}


class TenantMoveError(Exception):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class MoveReport:
    schemas: list[str]
    source: str
    target: str
    tables: int = 0
    rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)

    @property
    def write_pause(self) -> float:
        """Seconds during which writes to the tenant waited (lock taken until the switch was committed and both
        clusters had committed their triggers)."""
        return self.timings.get("write_pause", 0.0)


def connect(alias: str, *, autocommit: bool = False, lock_timeout_seconds: int = 30) -> psycopg.Connection:
    """A direct psycopg connection to a cluster (not through the app's connection handling, never pooled).

    Same text output settings on every cluster, so row digests compare.
    """
    db = clusters.cluster_settings(alias)
    options = {key: value for key, value in (db.get("OPTIONS") or {}).items()
               if key in {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}}
    conn = psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"],
                           password=db["PASSWORD"] or None, autocommit=True, **options)
    conn.execute("SET TIME ZONE 'UTC'")
    conn.execute("SET DateStyle = 'ISO, YMD'")
    conn.execute("SET extra_float_digits = 1")
    conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(f"{lock_timeout_seconds}s")))
    conn.autocommit = autocommit
    return conn


def _tables(conn: psycopg.Connection, schema: str) -> list[tuple[str, list[str]]]:
    rows = conn.execute(
        "SELECT c.relname, array_agg(a.attname ORDER BY a.attnum) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
        "WHERE n.nspname = %s AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname", [schema]).fetchall()
    return [(name, list(columns)) for name, columns in rows]


def _sequences(conn: psycopg.Connection, schema: str) -> dict[str, tuple[int | None, bool]]:
    names = [row[0] for row in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY 1", [schema]).fetchall()]
    found = {}
    for name in names:
        row = conn.execute(
            sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(schema, name))).fetchone()
        assert row is not None
        found[name] = (row[0], row[1])
    return found


def _digest(conn: psycopg.Connection, schema: str, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, md5 over the sorted md5 of each row's text): identical data gives identical digests."""
    row = sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier("t", column) for column in columns))
    query = sql.SQL(
        "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') FROM "
        "(SELECT md5({row}::text) AS h FROM {table} AS t) AS hashed").format(
        row=row, table=sql.Identifier(schema, table))
    result = conn.execute(query).fetchone()
    assert result is not None
    return result[0], result[1]


def _suspend_writes(src: psycopg.Connection, tables: list[sql.Identifier], *, within_seconds: float,
                    first_wait_seconds: float = 0.2) -> None:
    """EXCLUSIVE locks on every table, in one statement, retried until ``within_seconds`` have passed.

    The statement takes the tables one after the other. A writer mid-transaction that holds a table not
    locked yet and then needs one already locked closes a cycle: PostgreSQL's deadlock check (after
    ``deadlock_timeout``, 1 s by default) cancels us, every table we held having stalled every writer for that
    second; under a busy tenant several times in a row (five attempts used to end the move with "busy"). So
    each attempt waits for a lock at most a short, growing time (0.2 s, 0.4 s, ... as ``lock_timeout``, less
    than the deadlock check): we give way first, the writer finishes, and we try again after a short random
    pause. A cycle the deadlock check sees first (a waited time past ``deadlock_timeout``) is retried too.
    ``SET LOCAL`` takes no snapshot: the transaction's snapshot is still taken after the locks.
    """
    deadline = time.monotonic() + within_seconds
    wait, attempt = first_wait_seconds, 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        try:
            src.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
                sql.Literal(f"{max(1, int(min(wait, remaining) * 1000))}ms")))
            src.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.SQL(", ").join(tables)))
            src.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(  # back to connect()'s, for the move's DDL
                sql.Literal(f"{max(1, int(within_seconds))}s")))
            return
        except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable):
            src.rollback()
            if time.monotonic() + 0.05 >= deadline:
                raise TenantMoveError(f"Could not suspend writes within {within_seconds:g} s ({attempt} attempts, "
                                      "busy writers): try again.", code="busy") from None
            wait = min(wait * 2, 5.0)
            time.sleep(random.uniform(0.01, 0.05))


def _refuse_writes(conn: psycopg.Connection, tables: list[sql.Identifier], *, trigger: str) -> None:
    """A statement trigger ``trigger`` on every table refusing any write (``object_not_in_prerequisite_state``),
    in ``conn``'s current transaction. Silent under ``session_replication_role = replica`` (the copy)."""
    body = (f"BEGIN RAISE EXCEPTION '{_REFUSALS[trigger]}', TG_TABLE_SCHEMA "
            "USING ERRCODE = 'object_not_in_prerequisite_state'; END")
    conn.execute(sql.SQL("CREATE OR REPLACE FUNCTION public.{}() RETURNS trigger LANGUAGE plpgsql AS {}").format(
        sql.Identifier(trigger), sql.Literal(body)))
    for table in tables:
        conn.execute(sql.SQL(
            "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {} "
            "FOR EACH STATEMENT EXECUTE FUNCTION public.{}()").format(
            sql.Identifier(trigger), table, sql.Identifier(trigger)))


def _group(tenant: Tenant) -> list[Tenant]:
    """The tenant and its reseller brands (they share one cluster)."""
    return [tenant, *Tenant.objects.filter(parent=tenant).order_by("schema_name")]


def _applied(conn: psycopg.Connection, schema: str) -> set[tuple[str, str]]:
    return set(conn.execute(
        sql.SQL("SELECT app, name FROM {}").format(sql.Identifier(schema, "django_migrations"))).fetchall())


def tenant_move(*, tenant: Tenant, target: str, lock_timeout_seconds: int = 30,
                log: Callable[[str], None] = lambda message: None) -> MoveReport:
    """Move ``tenant`` (and its reseller brands) to cluster ``target``; see the module docstring."""
    started = time.perf_counter()
    tenant.refresh_from_db()
    source = tenant.database
    if target not in clusters.cluster_aliases():
        raise TenantMoveError(f"Unknown cluster {target!r} (DATABASE_CLUSTERS: "
                              f"{', '.join(clusters.cluster_aliases())}).", code="unknown_database")
    if target == source:
        raise TenantMoveError(f"{tenant.schema_name} is already on {target}.", code="same_database")
    if tenant.kind == TenantKind.HEAD_OFFICE:
        raise TenantMoveError("The head office (public schema) stays on the primary.", code="cannot_move_public")
    if tenant.parent_id is not None:
        raise TenantMoveError("A reseller brand moves with its country operation: move the parent.",
                              code="move_the_parent")
    group = _group(tenant)
    schemas = [member.schema_name for member in group]
    report = MoveReport(schemas=schemas, source=source, target=target)

    # 1. prepare: empty schemas on the target, from the code's migrations.
    mark = time.perf_counter()
    retired_on_target = set(retired_schemas(target))
    with clusters.on_cluster(target):
        for schema in schemas:
            if schema in retired_on_target:
                drop_schema(schema)  # the read-only copy an earlier move left there
            elif schema_exists(schema):
                raise TenantMoveError(f"{schema} already exists on {target} (a failed move?): drop it there first.",
                                      code="exists_on_target")
        for schema in schemas:
            create_tenant_schema(schema)
    try:
        with connect(target) as conn:  # no writes there until the switch (a stale router's would be truncated)
            _refuse_writes(conn, [sql.Identifier(schema, name) for schema in schemas
                                  for name, _columns in _tables(conn, schema)], trigger=ARRIVING_TRIGGER)
            conn.commit()
    except BaseException:
        with clusters.on_cluster(target):
            for schema in schemas:
                drop_schema(schema)
        raise
    report.timings["prepare"] = time.perf_counter() - mark
    log(f"prepared {', '.join(schemas)} on {target} in {report.timings['prepare']:.2f} s (refusing writes until "
        "the switch)")

    src = connect(source, lock_timeout_seconds=lock_timeout_seconds)
    tgt = connect(target)
    switched = False
    try:
        for schema in schemas:
            if _applied(src, schema) != _applied(tgt, schema):
                raise TenantMoveError(f"{schema} on {source} is not at the code's migrations: run the migrate "
                                      "task first.", code="migrations_differ")
        src.commit()
        tgt.commit()
        tables = {schema: _tables(src, schema) for schema in schemas}
        src.commit()
        everything = [sql.Identifier(schema, name) for schema in schemas for name, _columns in tables[schema]]

        # 2. suspend writes: EXCLUSIVE locks (readers go on) in one source transaction, kept until the end.
        #    Its snapshot is taken by the first read after the locks: it holds every committed write.
        mark = time.perf_counter()
        src.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        _suspend_writes(src, everything, within_seconds=lock_timeout_seconds)
        frozen_at = time.perf_counter()
        report.timings["lock_wait"] = frozen_at - mark
        log(f"writes to {', '.join(schemas)} suspended (waited {report.timings['lock_wait']:.2f} s for writers)")

        # 3. copy, in one target transaction, triggers off for the copied rows.
        mark = time.perf_counter()
        with tgt.transaction():
            tgt.execute("SET LOCAL session_replication_role = replica")
            tgt.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(everything)))
            for schema in schemas:
                for name, columns in tables[schema]:
                    column_list = sql.SQL(", ").join(sql.Identifier(column) for column in columns)
                    target_table = sql.Identifier(schema, name)
                    with src.cursor().copy(sql.SQL("COPY {} ({}) TO STDOUT").format(target_table, column_list)) \
                            as out, tgt.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
                                target_table, column_list)) as into:
                        for chunk in out:
                            into.write(chunk)
                for sequence, (last_value, is_called) in _sequences(src, schema).items():
                    if last_value is not None:
                        tgt.execute("SELECT setval(%s, %s, %s)", [f'"{schema}"."{sequence}"', last_value, is_called])
        report.timings["copy"] = time.perf_counter() - mark

        # 4. verify: every table's rows and every sequence, source snapshot against target.
        mark = time.perf_counter()
        differences = []
        for schema in schemas:
            for name, columns in tables[schema]:
                expected, got = _digest(src, schema, name, columns), _digest(tgt, schema, name, columns)
                report.tables += 1
                report.rows += expected[0]
                if expected != got:
                    differences.append(f"{schema}.{name}: {expected[0]} rows on {source}, {got[0]} on {target}")
            if _sequences(src, schema) != _sequences(tgt, schema):
                differences.append(f"{schema}: sequence positions differ")
        tgt.commit()
        report.timings["verify"] = time.perf_counter() - mark
        if differences:
            raise TenantMoveError("Copy verification failed: " + "; ".join(differences), code="verification_failed")
        log(f"copied and verified {report.tables} tables, {report.rows} rows "
            f"({report.timings['copy']:.2f} s + {report.timings['verify']:.2f} s)")

        # 5. switch: the source's refusing triggers and the target's opening, both uncommitted (late writers
        #    wait on either side), then the primary.
        mark = time.perf_counter()
        _refuse_writes(src, everything, trigger=MOVED_TRIGGER)
        for table in everything:
            tgt.execute(sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(ARRIVING_TRIGGER), table))
        with transaction.atomic(using=clusters.HOME_ALIAS if clusters.HOME_ALIAS in connections.settings
                                else "default"):
            updated = Tenant.objects.using(clusters.HOME_ALIAS if clusters.HOME_ALIAS in connections.settings
                                           else "default").filter(pk__in=[m.pk for m in group]).update(
                database=target)
            if updated != len(group):
                raise TenantMoveError("The tenant rows changed during the move.", code="concurrent_change")
        switched = True
        _forget(schemas)
        report.timings["switch"] = time.perf_counter() - mark

        # 6. resume: the source refuses late writers and unlocks, then the target takes writes (in this order: a
        #    failure in between leaves both refusing, never the source writable for a stale router).
        src.commit()
        tgt.commit()
        report.timings["write_pause"] = time.perf_counter() - frozen_at
        report.retired.update({schema: source for schema in schemas})
    except BaseException:
        src.rollback()
        tgt.rollback()
        if not switched:
            with clusters.on_cluster(target):
                for schema in schemas:
                    drop_schema(schema)
        raise
    finally:
        src.close()
        tgt.close()
    _forget(schemas)
    report.timings["total"] = time.perf_counter() - started
    log(f"{tenant.schema_name} is on {target}; writes paused {report.write_pause:.2f} s; the read-only copy on "
        f"{source} stays until move_tenant --drop-retired")
    return report


def _forget(schemas: list[str]) -> None:
    from .middleware import clear_routing_cache

    for schema in schemas:
        clusters.forget_schema(schema)
    clear_routing_cache()


def retired_schemas(alias: str) -> list[str]:
    """Schemas on ``alias`` left read-only by a move (their tables carry the moved trigger)."""
    with connect(alias, autocommit=True) as conn:
        found = [row[0] for row in conn.execute(
            "SELECT DISTINCT n.nspname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.tgname = %s ORDER BY 1", [MOVED_TRIGGER]).fetchall()]
    live = set(Tenant.objects.filter(database=alias, schema_name__in=found).values_list("schema_name", flat=True))
    return [schema for schema in found if schema not in live]


def drop_retired(alias: str, schema: str) -> None:
    if schema not in retired_schemas(alias):
        raise TenantMoveError(f"{schema} is not a retired copy on {alias}.", code="not_retired")
    with connect(alias, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


__all__ = ["MoveReport", "TenantMoveError", "drop_retired", "retired_schemas", "tenant_move"]
