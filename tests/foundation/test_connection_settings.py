"""Database connection settings: the Celery worker keeps its connections (no PostgreSQL session per task),
prepared statements only on a direct connection, and the benchmark runs production-like settings."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings


def _value(cursor: Any) -> Any:
    """The first column of the statement's one row (psycopg's fetchone says it may be None)."""
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def test_the_worker_reuses_database_connections():
    from celery import signals
    from celery.fixups.django import DjangoWorkerFixup

    from nexustop.celery import _close_old_connections, app

    assert settings.CELERY_DB_REUSE_MAX and settings.CELERY_DB_REUSE_MAX >= 100
    # Celery's Django fixup reads it: set, it no longer closes the connections before and after every task.
    assert DjangoWorkerFixup(app).db_reuse_max == settings.CELERY_DB_REUSE_MAX
    # Instead, Django's close_old_connections() runs around each task (broken / too old connections go).
    for signal, uid in ((signals.task_prerun, "nexustop-close-old-connections-prerun"),
                        (signals.task_postrun, "nexustop-close-old-connections-postrun")):
        assert any(key[0] == uid for key, _ in signal.receivers), uid
    assert callable(_close_old_connections)
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_task_keeps_the_connection_it_found(db):
    """The fixup's per-task close, with the reuse setting, leaves an open connection open."""
    from celery.fixups.django import DjangoWorkerFixup
    from django.db import connection

    from nexustop.celery import app

    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    before = connection.connection
    fixup.close_database()
    fixup.close_database()
    assert connection.connection is before and not before.closed


def _settings_in_subprocess(module: str, env: dict[str, str], expression: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **env}
    out = subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120,
                         cwd=settings.PROJECT_ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_prepared_statements_are_on_by_default_and_never_behind_a_transaction_pooler():
    from nexustop.settings.integrations.database import binding_options

    saved = os.environ.pop("DATABASE_PREPARE_THRESHOLD", None)
    try:
        # default: prepared after 5 runs on a direct connection (issue 18)
        assert binding_options("session") == {"server_side_binding": True, "prepare_threshold": 5}
        assert binding_options("transaction") == {}  # SET LOCAL search_path rides in a simple-protocol message
        os.environ["DATABASE_PREPARE_THRESHOLD"] = "0"
        assert binding_options("session") == {}  # 0 turns it off
    finally:
        os.environ.pop("DATABASE_PREPARE_THRESHOLD", None)
        if saved is not None:
            os.environ["DATABASE_PREPARE_THRESHOLD"] = saved


def test_the_bench_settings_are_production_like():
    assert _settings_in_subprocess(
        "nexustop.settings.bench", {"DJANGO_SECRET_KEY": "x" * 50},
        "settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.DATABASES['default']['CONN_MAX_AGE'], "
        "'shared_apps.core.hosts.KnownTenantHostMiddleware' in settings.MIDDLEWARE, settings.CELERY_DB_REUSE_MAX",
    ) == "False True 300 True 1000"


def test_prepared_statements_follow_the_tenant_schema(db):
    """A statement prepared in one tenant's schema, run again after the search path moved to another tenant's,
    reads the other tenant's table: PostgreSQL re-plans a prepared statement when search_path changed."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{**params, "prepare_threshold": 0, "autocommit": True}) as conn:
        try:
            for schema, value in (("prep_a", 1), ("prep_b", 2)):
                conn.execute(f"CREATE SCHEMA {schema}")
                conn.execute(f"CREATE TABLE {schema}.t (v int)")
                conn.execute(f"INSERT INTO {schema}.t VALUES ({value})")
            seen = []
            for schema in ("prep_a", "prep_b", "prep_a", "prep_b"):
                conn.execute(f"SET search_path = {schema}")
                seen.append(_value(conn.execute("SELECT v FROM t WHERE v > %s", [0], prepare=True)))
            assert seen == [1, 2, 1, 2]
            assert _value(conn.execute("SELECT count(*) FROM pg_prepared_statements")) >= 1
        finally:
            conn.execute("DROP SCHEMA IF EXISTS prep_a CASCADE")
            conn.execute("DROP SCHEMA IF EXISTS prep_b CASCADE")


def test_text_arrays_are_dumped_as_psycopg_dumps_them(db):
    """The backend's faster array dumper (``TextArrayDumper``): the same bytes as psycopg's for every kind of
    element, and what PostgreSQL reads back is what was sent."""
    import json

    from django.db import connection
    from psycopg.adapt import PyFormat, Transformer
    from psycopg.types.array import ListDumper

    from tenants.postgresql_backend.base import TextArrayDumper

    connection.ensure_connection()
    values = [json.dumps({"a": 'q"uo\\te', "b": [1, None], "c": "é"}), 'a\\"b', "\\", '"', "", "null", "NULL",
              "x y", "tab\there", "new\nline", "{braces}", "comma,", "\u3000z", "plain", None]
    for sample in (values, [values[:3], values[3:6]], [], [None], [[None, "x"]], [1, 2]):
        ours = Transformer(connection.connection).get_dumper(sample, PyFormat.AUTO)
        theirs = Transformer(None).get_dumper(sample, PyFormat.TEXT)  # psycopg's global adapters
        assert isinstance(ours, TextArrayDumper) and type(theirs) is ListDumper
        assert ours.dump(sample) == theirs.dump(sample), sample
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [values])
        assert _value(cursor) == values
