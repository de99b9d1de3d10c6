"""The session's search_path and the health check, one round trip fewer per request (tenants.postgresql_backend).

django-tenants forgets the path it set at every ``set_tenant`` (routing selects public, then the tenant), and
Django probes a reused connection before each request's first statement. Here: the same tenant again sends no
``SET``, another tenant does; raw SQL that may change the path, a rollback, a savepoint rollback or a new
connection make the path unknown (the next selection sends its ``SET``); a connection that served a request
without error less than ``DATABASE_HEALTH_CHECK_FRESH_SECONDS`` ago is not probed, an older or failed one is.
Counted below Django (psycopg's ``Cursor.execute``), so the probe on psycopg's own cursor is seen too.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from tenants.connection import tenant_connection
from tenants.postgresql_backend.base import DatabaseWrapper
from tests.support.databases import terminate_backend

pytestmark = pytest.mark.usefixtures("live_db", "new_connection")


@pytest.fixture
def new_connection() -> None:
    """Each test on a connection of its own, younger than CONN_MAX_AGE (close_if_unusable_or_obsolete would
    otherwise replace one that an earlier test of this process opened long ago)."""
    connection.close()


def backend() -> DatabaseWrapper:
    """This thread's ``default`` connection as the tenant backend it is (the stubs know Django's base only)."""
    wrapper = connections["default"]
    assert isinstance(wrapper, DatabaseWrapper)
    return wrapper


@contextlib.contextmanager
def sent() -> Iterator[list[str]]:
    statements: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(self, query, params=None, **kwargs):
        statements.append(str(query))
        return execute(self, query, params, **kwargs)

    psycopg.Cursor.execute = counted  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]


def _select(schema: str) -> None:
    """What tenant routing does for a request: public first (the domain lookup), then the tenant."""
    tenant_connection().set_schema_to_public()
    tenant_connection().set_schema(schema)


PATH_QUERY = "SELECT current_schemas(false)"  # (SHOW search_path names the setting: it counts as raw SQL)


def _session_path() -> str:
    """The session's path as a comma-separated list of its schemas."""
    with connection.cursor() as cursor:
        cursor.execute(PATH_QUERY)
        row = cursor.fetchone()
    assert row is not None
    return ",".join(row[0])


def _tenant_on_session(schema: str) -> None:
    """The session on ``schema``'s path, as after a request of that tenant."""
    _select(schema)
    assert _session_path() == f"{schema},public"


def _sets(statements: list[str]) -> list[str]:
    return [s for s in statements if "search_path" in s]


def test_the_same_tenant_again_sends_no_set():
    _tenant_on_session("ng")
    with sent() as statements:
        _select("ng")
        path = _session_path()
    assert path == "ng,public", path
    assert _sets(statements) == [], statements
    assert statements == [PATH_QUERY], statements


def test_another_tenant_sends_its_set_and_reads_its_own_tables():
    from tenant_apps.accounts.models import User

    _tenant_on_session("ng")
    with sent() as statements:
        _select("sn")
        path = _session_path()
        sn_users = set(User.objects.values_list("public_id", flat=True)[:50])
    assert _sets(statements) == ['SET search_path = "sn","public"'], statements
    assert path == "sn,public", path
    with sent() as statements:
        _select("ng")
        ng_users = set(User.objects.values_list("public_id", flat=True)[:50])
    assert _sets(statements) == ['SET search_path = "ng","public"'], statements
    assert not sn_users & ng_users


@pytest.mark.parametrize("raw", [
    "SET search_path = public",
    "SELECT set_config('search_path', 'sn', false)",
    "RESET search_path",
    "DISCARD PLANS",
])
def test_raw_sql_that_may_change_the_path_makes_the_next_selection_set_it(raw):
    _tenant_on_session("ng")
    with connection.cursor() as cursor:
        cursor.execute(raw)
    with sent() as statements:
        _select("ng")
        path = _session_path()
    assert _sets(statements) == ['SET search_path = "ng","public"'], statements
    assert path == "ng,public", path


def test_a_rolled_back_set_is_sent_again():
    _tenant_on_session("ng")
    with contextlib.suppress(RuntimeError), transaction.atomic():
        _select("sn")
        assert _session_path() == "sn,public"  # SET inside the transaction
        raise RuntimeError("roll back")
    with sent() as statements:
        _select("sn")
        path = _session_path()
    assert _sets(statements) == ['SET search_path = "sn","public"'], statements
    assert path == "sn,public", path


def test_a_set_undone_by_a_savepoint_rollback_is_sent_again():
    _tenant_on_session("ng")
    with sent() as statements, transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            _select("sn")
            assert _session_path() == "sn,public"
            raise RuntimeError("roll back to the savepoint")
        path = _session_path()
    assert path == "sn,public", path
    undone = next(i for i, s in enumerate(statements) if s.startswith("ROLLBACK TO SAVEPOINT"))
    # The next statement after the rollback (Django's RELEASE SAVEPOINT) is preceded by sn's SET again.
    assert statements[undone + 1] == 'SET search_path = "sn","public"', statements


def test_a_new_connection_gets_its_set():
    _tenant_on_session("ng")
    connection.close()
    with sent() as statements:
        _select("ng")
        path = _session_path()
    assert _sets(statements) == ['SET search_path = "ng","public"'], statements
    assert path == "ng,public"


# --- the health check ----------------------------------------------------------------------------

def _request_finished_then_started() -> None:
    """What a server's request signals do between two requests (close_old_connections, twice)."""
    connection.close_if_unusable_or_obsolete()
    connection.close_if_unusable_or_obsolete()


def _a_request() -> None:
    _select("ng")
    _session_path()


def test_a_connection_proven_just_now_is_not_probed():
    _a_request()
    _request_finished_then_started()
    with sent() as statements:
        _a_request()
    assert statements == [PATH_QUERY], statements  # no SELECT 1, no SET


def test_a_connection_idle_for_longer_is_probed():
    _a_request()
    _request_finished_then_started()
    backend()._proven_at = time.monotonic() - 5  # proven five seconds ago
    with sent() as statements:
        _a_request()
    assert statements[0] in ("SELECT 1", 'SET search_path = "ng","public"'), statements
    assert len(statements) == 2, statements


@override_settings(DATABASE_HEALTH_CHECK_FRESH_SECONDS=0)
def test_a_zero_window_probes_every_request():
    _a_request()
    _request_finished_then_started()
    with sent() as statements:
        _a_request()
    assert statements[0] in ("SELECT 1", 'SET search_path = "ng","public"'), statements


def test_after_a_database_error_the_connection_is_probed_before_it_counts_as_proven():
    _a_request()
    _request_finished_then_started()
    backend()._proven_at = None
    _a_request()
    connection.errors_occurred = True  # what Django's wrapper records for an OperationalError
    with sent() as statements:
        connection.close_if_unusable_or_obsolete()  # request_finished: Django probes it
    assert len(statements) == 1 and statements[0] in ("SELECT 1", 'SET search_path = "ng","public"'), statements
    assert backend()._proven_at is None  # the failed request proved nothing; the probe did
    connection.close_if_unusable_or_obsolete()  # request_started
    assert backend()._proven_at is not None
    with sent() as statements:
        _a_request()
    assert statements == [PATH_QUERY], statements


def test_a_connection_the_server_dropped_outside_the_window_is_replaced():

    _a_request()
    _request_finished_then_started()
    backend()._proven_at = time.monotonic() - 5
    dead = connection.connection.info.backend_pid
    terminate_backend(dead)
    _select("ng")
    assert _session_path() == "ng,public"  # probed, replaced, path set on the new one
    assert connection.connection.info.backend_pid != dead


def _proven_then_ended() -> int:
    """A connection proven by a request just now, whose session the server then ended; its old backend pid."""
    _a_request()
    _request_finished_then_started()
    dead = connection.connection.info.backend_pid
    terminate_backend(dead)
    return dead


def test_an_ended_session_is_replaced_by_the_first_statement_when_it_is_the_tenant_set():
    dead = _proven_then_ended()
    with sent() as statements:
        _select("sn")  # another tenant: the first statement is sn's SET
        path = _session_path()
    assert path == "sn,public"
    assert connection.connection.info.backend_pid != dead
    assert statements.count('SET search_path = "sn","public"') == 2, statements  # read the notice, then ran


def test_an_ended_session_is_replaced_by_the_first_statement_of_the_same_tenant():
    dead = _proven_then_ended()
    with sent() as statements:
        _select("ng")
        path = _session_path()
    assert path == "ng,public"
    assert connection.connection.info.backend_pid != dead
    # The statement read the server's notice, then a new session (Django's connection set-up), its SET, the
    # statement again.
    assert statements[0] == PATH_QUERY and statements[-2:] == ['SET search_path = "ng","public"', PATH_QUERY]
    assert statements.count(PATH_QUERY) == 2, statements


def test_a_transaction_opened_on_an_ended_session_is_probed_and_runs_on_a_new_one():
    """A first statement inside a transaction could not be run again: Django's probe, as the transaction opens,
    finds the ended session and the transaction runs on a new connection (as before the probe was skipped)."""
    dead = _proven_then_ended()
    with sent() as statements, transaction.atomic():
        _select("ng")
        path = _session_path()
    assert path == "ng,public"
    assert backend().connection.info.backend_pid != dead
    assert statements.count(PATH_QUERY) == 1, statements  # ran once, on the new session


def test_another_operational_error_is_not_retried():
    from django.db import OperationalError

    _a_request()
    _request_finished_then_started()
    pid = connection.connection.info.backend_pid
    with sent() as statements, pytest.raises(OperationalError):
        _select("ng")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")
    assert statements.count("SELECT pg_sleep(1)") == 1, statements
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    assert connection.connection.info.backend_pid == pid


def test_a_connection_first_used_inside_a_transaction_is_probed():
    """Inside a transaction the first statement could not replace the session: the probe runs as before."""
    _a_request()
    _request_finished_then_started()
    with sent() as statements, transaction.atomic():
        _select("ng")
        _session_path()
    assert statements[0] in ("SELECT 1", 'SET search_path = "ng","public"'), statements


def test_a_server_side_cursor_on_an_ended_session_fails_as_without_the_check():
    """A named (server-side) cursor is not made again by the first statement's retry: the read fails, as it
    would without health checks, and the next request runs on a new connection."""
    from django.db import OperationalError

    from tenant_apps.accounts.models import User

    dead = _proven_then_ended()
    _select("ng")
    with pytest.raises(OperationalError):
        list(User.objects.values_list("pk", flat=True).iterator(chunk_size=5))
    connection.close_if_unusable_or_obsolete()  # the end of that request: Django drops it
    _request_finished_then_started()
    _a_request()
    assert backend().connection.info.backend_pid != dead
