"""django-tenants' backend, safe behind a transaction-pooling pooler, following tenants across clusters.

Clusters: when more than one PostgreSQL cluster holds tenant schemas
(``DATABASE_CLUSTERS``, see ``tenants.clusters``), pointing the ``default``
connection at a tenant also points it at that tenant's cluster: the same
wrapper object (references held by django-tenants' context managers and
executors stay valid) parks its physical connection to the current cluster
and takes, or opens, one to the tenant's. Refused inside a transaction.

Session mode, one round trip fewer per request:

* django-tenants forgets the path it set at every ``set_tenant`` (routing
  selects public, then the tenant: twice per request), so each request
  re-sent the same ``SET search_path``. The path the *session* has is kept
  apart (``_session_search_path``: what a ``SET`` gave it, forgotten at any
  rollback, close, cluster move or raw SQL that may change it: a benchmark's
  own ``SET``, ``set_config``, ``RESET``, ``DISCARD``) and the ``SET`` is
  sent only when the wanted path differs (an earlier attempt without the raw
  SQL watch broke ``migrate_schemas`` and ``bench_migrate``).
* Django's health check (``CONN_HEALTH_CHECKS``) probes a reused connection
  before each request's first statement. A connection that served a request
  without error less than ``DATABASE_HEALTH_CHECK_FRESH_SECONDS`` ago is not
  probed again; if the server ended its session meanwhile (a restart,
  ``pg_terminate_backend``), the request's first statement reads the server's
  notice (the statement never ran), and, outside a transaction, reconnects,
  sets the path and runs on the new session, as the probe would have made it.
  A connection idle for longer, or first used inside a transaction (where the
  statement could not be run again: the dispatcher's claims), is probed as
  before.

Transaction pooling:

django-tenants selects a tenant by running ``SET search_path = <schema>, public``
on the connection and, with ``TENANT_LIMIT_SET_CALLS``, only again when the
schema changes. That is a *session* setting. Behind PgBouncer in transaction
mode (or RDS Proxy without session pinning) a client connection gets whichever
server connection is free for each transaction, so:

* the ``SET`` and the next query may run on two different server connections
  (the query then runs with another client's search_path), and
* the ``SET`` stays on its server connection after the client moves on: the
  next client of that server connection reads and writes another tenant's
  tables.

With ``DATABASES[alias]["POOL_MODE"] == "transaction"`` (``DATABASE_POOL_MODE``),
no session-level SET is ever sent. Instead the search path travels *inside*
every transaction: the first statement of a transaction (or a lone autocommit
statement) is sent as ``SET LOCAL search_path = ...; <statement>`` in one
simple-protocol message, so the pooler runs both on the same server connection
and PostgreSQL forgets the setting when that transaction ends. Later statements
of the same transaction reuse it (tracked per transaction; a schema switch
inside a transaction sends a new ``SET LOCAL``; ``ROLLBACK TO SAVEPOINT``
forgets it). Query counts do not change: the SET rides on the statement.

Requirements in that mode: client-side parameter binding (Django's default with
psycopg 3) and no server-side cursors (``DISABLE_SERVER_SIDE_CURSORS``, set by
the settings with the pool mode). Statements that PostgreSQL refuses inside a
transaction block (``CREATE DATABASE``, ``VACUUM``, ``... CONCURRENTLY``) are
sent alone; none of them depends on the search path.

Proof: ``tests/isolation/test_pooled_search_path.py`` runs tenants through
PgBouncer with one server connection, and the isolation suite and the purchase
flow run through PgBouncer in CI (``nexustop_dev.testrun``).
"""

from __future__ import annotations

import re
import time
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError
from django.db.backends.postgresql.base import CursorDebugWrapper as PostgresCursorDebugWrapper
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.backends.utils import CursorWrapper
from django.db.transaction import TransactionManagementError
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import get_limit_set_calls
from psycopg import pq, sql
from psycopg.types.array import ListDumper

TRANSACTION_POOLING = "transaction"
# What differs between clusters in a connection's settings.
CLUSTER_SETTINGS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS", "POOL_MODE", "DISABLE_SERVER_SIDE_CURSORS")

# Statements PostgreSQL refuses inside a transaction block (a multi-statement message is one).
_NO_TRANSACTION_BLOCK = re.compile(
    r"^\s*(?:(?:CREATE|DROP|ALTER)\s+DATABASE|VACUUM|(?:CREATE|DROP)\s+TABLESPACE|ALTER\s+SYSTEM"
    r"|(?:CREATE\s+(?:UNIQUE\s+)?|DROP\s+|REINDEX\s+)(?:INDEX\s+)?.*\bCONCURRENTLY\b"
    r"|BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|END\b)",
    re.IGNORECASE | re.DOTALL,
)


SET_LOCAL_SEARCH_PATH = "SET LOCAL search_path = "
# Raw SQL that may change a session's search_path behind django-tenants (a SET or set_config of it, RESET,
# DISCARD): the session's path is unknown after it (_SessionPathWatchMixin).
_MAY_CHANGE_SEARCH_PATH = re.compile(r"search_path|\bRESET\b|\bDISCARD\b", re.IGNORECASE).search
# SQLSTATEs of a session the server ended before reading the statement: admin_shutdown, crash_shutdown,
# cannot_connect_now, idle_session_timeout.
_SESSION_ENDED = frozenset({"57P01", "57P02", "57P03", "57P05"})


class TextArrayDumper(ListDumper):
    """psycopg's text-format array dumper with its element escaping done by ``bytes.replace`` (same bytes out).

    psycopg escapes each quoted element's double quotes and backslashes with ``re.sub`` and a ``\\1`` template,
    which expands the template in Python once per match: a JSON text of ~50 quotes costs ~0.15 ms, so an
    ``unnest`` insert of a batch's JSON columns (Django's ``bulk_create`` sends one array per column; the
    dispatcher's claim, settlement and provider archive) spent most of its client CPU there (issue 18).
    ``tests/foundation/test_connection_settings.py`` checks the output against psycopg's own."""

    def _dump_list(self, obj: list[Any], tokens: list[Any], needs_quotes: Any) -> None:
        if not obj:
            tokens.append(b"{}")
            return
        dump = self.sub_dumper.dump if self.sub_dumper else self._dump_item
        delimiter = self.delimiter
        tokens.append(b"{")
        for item in obj:
            if item is None:
                tokens.append(b"NULL")
            elif isinstance(item, list):
                self._dump_list(item, tokens, needs_quotes)
            elif (ad := dump(item)) is None:
                tokens.append(b"NULL")
            else:
                if needs_quotes(ad):
                    ad = b'"' + bytes(ad).replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                tokens.append(ad)
            tokens.append(delimiter)
        tokens[-1] = b"}"


class DatabaseOperations(PostgresOperations):
    def last_executed_query(self, cursor, sql_text, params):
        """Query logs (and assertNumQueries captures) show the statement, not the SET LOCAL riding on it."""
        text = super().last_executed_query(cursor, sql_text, params)
        if isinstance(text, str) and text.startswith(SET_LOCAL_SEARCH_PATH):
            return text.split("; ", 1)[-1]
        return text


class _PoolSafeExecuteMixin(CursorWrapper):
    """Puts ``SET LOCAL search_path`` in front of a transaction's first statement."""

    db: DatabaseWrapper  # the wrapper below (make_cursor), not any backend's

    def _execute(self, sql_text, params, *ignored_wrapper_args):
        prefix = self.db.search_path_prefix(sql_text)
        if prefix is None:
            return super()._execute(sql_text, params, *ignored_wrapper_args)  # type: ignore[misc]  # stubs omit it
        statement = (prefix + sql_text) if isinstance(sql_text, str) else sql.SQL(prefix) + sql_text
        result = super()._execute(statement, params, *ignored_wrapper_args)  # type: ignore[misc]  # stubs omit it
        self.cursor.nextset()  # the caller reads its own statement's result, not the SET's
        self.db.search_path_sent()
        return result

    def _executemany(self, sql_text, param_list, *ignored_wrapper_args):
        prefix = self.db.search_path_prefix(sql_text)
        if prefix is not None:
            if self.db.get_autocommit():
                # Many statements, one transaction: open it so the SET LOCAL covers them all.
                from django.db import transaction

                with transaction.atomic(using=self.db.alias):
                    return self._executemany(sql_text, param_list, *ignored_wrapper_args)
            with self.db.wrap_database_errors:
                self.cursor.execute(prefix.rstrip("; "))
            self.db.search_path_sent()
        # django-stubs omit CursorWrapper's private _execute/_executemany (Django has them).
        return super()._executemany(sql_text, param_list, *ignored_wrapper_args)  # type: ignore[misc]


class PoolSafeCursorWrapper(_PoolSafeExecuteMixin, CursorWrapper):
    pass


class PoolSafeCursorDebugWrapper(_PoolSafeExecuteMixin, PostgresCursorDebugWrapper):
    pass


def _ended_before_it_ran(error: BaseException) -> bool:
    """The server had ended this session before the statement reached it (a restart, ``pg_terminate_backend``,
    an idle-session timeout): its FATAL notice is what the statement reads back, and the statement never ran."""
    return getattr(error.__cause__, "sqlstate", None) in _SESSION_ENDED


class _SessionPathWatchMixin(CursorWrapper):
    """Session mode: a statement that may change the search_path (raw SQL: a schema copy, a benchmark's own
    SET) makes the session's path unknown, so the next tenant selection sends its SET again. Statements that
    are not plain text (composed SQL) count as such.

    A request's first statement on a connection whose health check was skipped (proven just now) does what
    the check would have done when the server ended the session meanwhile: it opens a new connection, sets
    the path there and runs on it. Only outside a transaction, and only when the server's notice says the
    statement never ran (``_ended_before_it_ran``); anything else fails as before."""

    db: DatabaseWrapper

    def _execute(self, sql_text, params, *ignored_wrapper_args):
        db = self.db
        if db._session_search_path is not None and (
                not isinstance(sql_text, str) or _MAY_CHANGE_SEARCH_PATH(sql_text)):
            db._session_search_path = None
        if not db._unprobed:
            return super()._execute(sql_text, params, *ignored_wrapper_args)  # type: ignore[misc]  # stubs omit it
        db._unprobed = False
        try:
            return super()._execute(sql_text, params, *ignored_wrapper_args)  # type: ignore[misc]
        except OperationalError as error:
            if db.in_atomic_block or getattr(self.cursor, "name", None) or not _ended_before_it_ran(error):
                raise  # (a named, server-side cursor is not made again here)
        setting_path = db._setting_search_path  # this statement is the tenant's SET itself
        db.close()
        db.ensure_connection()
        self.cursor = db.create_cursor()
        if not setting_path:
            db._handle_search_path(self)  # the new session's path, on this cursor
        return super()._execute(sql_text, params, *ignored_wrapper_args)  # type: ignore[misc]

    def _executemany(self, sql_text, param_list, *ignored_wrapper_args):
        if self.db._session_search_path is not None and (
                not isinstance(sql_text, str) or _MAY_CHANGE_SEARCH_PATH(sql_text)):
            self.db._session_search_path = None
        self.db._unprobed = False  # the request's first statement (not made again: many rows)
        return super()._executemany(sql_text, param_list, *ignored_wrapper_args)  # type: ignore[misc]


class SessionCursorWrapper(_SessionPathWatchMixin, CursorWrapper):
    pass


class SessionCursorDebugWrapper(_SessionPathWatchMixin, PostgresCursorDebugWrapper):
    pass


class DatabaseWrapper(TenantDatabaseWrapper):
    """django-tenants' wrapper; ``POOL_MODE = "transaction"`` makes the search path transaction-local."""

    ops_class = DatabaseOperations
    # Django's BaseDatabaseWrapper attributes this class swaps per cluster (django-tenants' base is untyped).
    connection: Any
    close_at: float | None
    health_check_done: bool
    errors_occurred: bool
    settings_dict: dict[str, Any]
    search_path_set_schemas: Any  # django-tenants' record of the path the session has

    def __init__(self, *args, **kwargs):
        self._transaction_search_path: tuple[str, ...] | None = None
        self._pending_search_path: tuple[str, ...] | None = None
        # The path this session has (session mode): what the last SET gave it, None when unknown.
        self._session_search_path: list[str] | None = None
        # When this connection last served a request without error (monotonic; None: not since it opened).
        self._proven_at: float | None = None
        # The health check was skipped for this request and its first statement has not run yet.
        self._unprobed = False
        self._opening_transaction = False  # inside set_autocommit(False): Django's probe before a transaction
        self.cluster = "default"
        # cluster -> (physical connection, close_at, health_check_done, errors_occurred)
        self._parked: dict[str, tuple[Any, float | None, bool, bool]] = {}
        self._follows_clusters = False
        super().__init__(*args, **kwargs)
        self._own_settings = False
        self._follows_clusters = self.alias == DEFAULT_DB_ALIAS

    def get_connection_params(self):
        params = super().get_connection_params()
        context = params.get("context")  # this connection's adapters map (Django makes one per connection)
        if context is not None:
            context.register_dumper(list, TextArrayDumper)
        return params

    # --- transaction pooling ---------------------------------------------------------------
    @property
    def transaction_pooling(self) -> bool:
        return self.settings_dict.get("POOL_MODE") == TRANSACTION_POOLING

    def make_cursor(self, cursor):
        if self.transaction_pooling:
            return PoolSafeCursorWrapper(cursor, self)
        return SessionCursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor):
        if self.transaction_pooling:
            return PoolSafeCursorDebugWrapper(cursor, self)
        return SessionCursorDebugWrapper(cursor, self)

    def _handle_search_path(self, cursor=None):
        if not self.transaction_pooling:
            if (self.search_path_set_schemas is None and self._session_search_path is not None
                    and not self._setting_search_path and get_limit_set_calls() and self.schema_name
                    and self._get_cursor_search_paths() == self._session_search_path):
                self.search_path_set_schemas = self._session_search_path  # the session has it already
                return None
            result = super()._handle_search_path(cursor)
            if not self._setting_search_path:
                self._session_search_path = self.search_path_set_schemas  # None when the SET failed
            return result
        # Never a session-level SET: validate now, send it with the statement (search_path_prefix).
        self._get_cursor_search_paths()
        return None

    def search_path_statement(self) -> str:
        from django_tenants.utils import quote_schema_name

        paths = self._get_cursor_search_paths()
        return SET_LOCAL_SEARCH_PATH + ",".join(quote_schema_name(path) for path in paths)

    def search_path_prefix(self, sql_text) -> str | None:
        """``SET LOCAL search_path = ...; `` when this statement opens a transaction or switches schema."""
        if not self.transaction_pooling or self.connection is None:
            return None
        text = sql_text if isinstance(sql_text, str) else ""
        if text and _NO_TRANSACTION_BLOCK.match(text):
            return None
        status = self.connection.info.transaction_status
        paths = tuple(self._get_cursor_search_paths())
        if status == pq.TransactionStatus.IDLE:
            self._transaction_search_path = None  # this statement starts a new transaction
        elif status != pq.TransactionStatus.INTRANS or self._transaction_search_path == paths:
            return None  # already set in this transaction (or the transaction is failed anyway)
        self._pending_search_path = paths
        return self.search_path_statement() + "; "

    def search_path_sent(self) -> None:
        if self.connection is not None and self.connection.info.transaction_status == pq.TransactionStatus.INTRANS:
            self._transaction_search_path = self._pending_search_path

    def is_usable(self):
        """Django's health check (``CONN_HEALTH_CHECKS``), doubling as the tenant's ``SET search_path``.

        A reused connection is probed before a request's first statement, and that statement then sends the
        tenant's ``SET search_path`` (django-tenants forgets the path at every tenant switch): two round trips.
        When the path is due, the ``SET`` is the probe: same answer (a broken connection fails it), one round
        trip, and the path is recorded as set, exactly as ``_handle_search_path`` records it. Otherwise (path
        already set, transaction pooling: no session ``SET`` ever) Django's ``SELECT 1``.
        """
        if (self.connection is None or self.transaction_pooling or self._setting_search_path
                or not get_limit_set_calls() or self.search_path_set_schemas or not self.schema_name):
            return super().is_usable()
        from django_tenants.utils import quote_schema_name

        paths = self._get_cursor_search_paths()
        try:
            with self.connection.cursor() as cursor:  # psycopg's own cursor, as Django's probe
                cursor.execute("SET search_path = " + ",".join(quote_schema_name(path) for path in paths))
        except psycopg.Error:
            self.search_path_set_schemas = self._session_search_path = None
            return False
        self.search_path_set_schemas = self._session_search_path = paths
        return True

    def close_if_health_check_failed(self):
        """Django's probe, skipped for a connection that served a request without error just now, where the
        first statement can replace a session the server ended meanwhile (``_SessionPathWatchMixin``): session
        mode, outside a transaction (Django probes as a transaction opens, in ``set_autocommit``)."""
        if (self._proven_at is not None and self.connection is not None and not self.health_check_done
                and not self.transaction_pooling and not self.in_atomic_block and not self._opening_transaction
                and time.monotonic() - self._proven_at < settings.DATABASE_HEALTH_CHECK_FRESH_SECONDS):
            self.health_check_done = self._unprobed = True
            return None
        return super().close_if_health_check_failed()

    def set_autocommit(self, autocommit, force_begin_transaction_with_broken_autocommit=False):
        self._opening_transaction = not autocommit
        try:
            return super().set_autocommit(autocommit, force_begin_transaction_with_broken_autocommit)
        finally:
            self._opening_transaction = False

    def close_if_unusable_or_obsolete(self):
        """Before Django's end-of-request check: a connection used in this request (its health check done, by a
        probe or a statement) without any error but data and integrity errors is proven now."""
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self._proven_at = time.monotonic()
        return super().close_if_unusable_or_obsolete()

    def set_tenant(self, tenant, include_public=True):
        if self._follows_clusters:
            from tenants import clusters

            if clusters.multi_cluster():
                self.use_cluster(clusters.cluster_for(tenant))
        super().set_tenant(tenant, include_public)
        # Another schema inside the same transaction needs its own SET LOCAL.
        self._transaction_search_path = None

    # --- clusters ------------------------------------------------------------------------------
    def use_cluster(self, target: str) -> None:
        """Point this connection at cluster ``target`` (its physical connection to the current one is parked)."""
        if target == self.cluster:
            return
        if self.in_atomic_block or (self.connection is not None and not self.get_autocommit()):
            raise TransactionManagementError(
                f"Cannot move the connection from cluster {self.cluster!r} to {target!r} inside a transaction: "
                "a transaction belongs to one cluster.")
        from tenants.clusters import cluster_settings

        self._parked[self.cluster] = (self.connection, self.close_at, self.health_check_done,
                                      self.errors_occurred)
        if not self._own_settings:
            # Django hands every thread's wrapper the same settings dict: change a copy only.
            self.settings_dict = dict(self.settings_dict)
            self._own_settings = True
        wanted = cluster_settings(target)  # "default": the primary's own settings (test database name included)
        for key in CLUSTER_SETTINGS:
            if key in wanted:
                self.settings_dict[key] = wanted[key]
        self.connection, self.close_at, self.health_check_done, self.errors_occurred = self._parked.pop(
            target, (None, None, False, False))
        self.cluster = target
        self.search_path_set_schemas = self._session_search_path = None
        self._proven_at = None  # another physical connection: proven by its own requests
        self._transaction_search_path = None
        if self.connection is not None:
            self.close_if_unusable_or_obsolete()

    def close(self):
        """Close the connection to every cluster this wrapper has parked, then the current one."""
        parked, self._parked = self._parked, {}
        self._session_search_path = self._proven_at = None
        self._unprobed = False
        for physical, *_rest in parked.values():
            if physical is not None:
                try:
                    physical.close()
                except Exception:  # noqa: S110 - closing a broken connection
                    pass
        super().close()

    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:
            # ROLLBACK TO SAVEPOINT undoes a SET LOCAL sent after the savepoint, and a session SET too.
            self._transaction_search_path = self._session_search_path = None

    def _rollback(self):
        # A rollback undoes a SET sent in the transaction: the session's path is unknown until the next SET.
        self._transaction_search_path = self._session_search_path = None
        return super()._rollback()

    def _commit(self):
        self._transaction_search_path = None
        return super()._commit()
