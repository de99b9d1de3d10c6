"""A run's test databases are copies of one template (tests/support/template_db.py): built once per run, afresh
with ``--create-db``, brought up to date with ``--reuse-db`` only when a database is missing, never looked at by
a process whose kept database exists. The build is replaced by an empty database here (the real one is the
session's own setup, minutes)."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from psycopg import sql

from tests.support import template_db


@pytest.fixture
def server():
    with template_db._connect(template_db._server_settings()) as conn, conn.cursor() as cursor:
        yield cursor


@pytest.fixture
def names(monkeypatch, server):
    """A throwaway test database name and its template's; both dropped afterwards."""
    base = f"test_tpl_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DATABASE_TEST_NAME", base)
    monkeypatch.setitem(settings.DATABASES["default"], "TEST", {**settings.DATABASES["default"]["TEST"], "NAME": base})
    yield base, f"{base}_template"
    for name in (base, f"{base}_template"):
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def builds(monkeypatch, server):
    """The templates built, each an empty database with a row-less table marking which build made it."""
    made: list[str] = []

    def build(template: str) -> None:
        if template_db._comment(server, template) is None:
            server.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(template)))
        made.append(template)

    monkeypatch.setattr(template_db, "_build", build)
    return made


def _oid(server, database: str) -> int:
    server.execute("SELECT oid FROM pg_database WHERE datname = %s", [database])
    return server.fetchone()[0]


def _use(monkeypatch, run: str, *, createdb: bool) -> str | None:
    monkeypatch.setenv(template_db.RUN_ENV, run)
    return template_db.use_template(createdb=createdb, keepdb=True)


def test_a_run_builds_its_template_once_and_every_database_copies_it(monkeypatch, server, names, builds):
    _test_db, template = names
    assert _use(monkeypatch, "run-1", createdb=True) == template
    assert _use(monkeypatch, "run-1", createdb=True) == template  # the second worker, the pooled run
    assert builds == [template]
    assert settings.DATABASES["default"]["TEST"]["TEMPLATE"] == template
    assert template_db._comment(server, template) == template_db.MARK + "run-1"
    first = _oid(server, template)

    # The next --create-db run starts from nothing: the template is dropped, then built again.
    assert _use(monkeypatch, "run-2", createdb=True) == template
    assert builds == [template, template]
    assert _oid(server, template) != first
    assert template_db._comment(server, template) == template_db.MARK + "run-2"


def test_reuse_db_copies_only_for_a_missing_database_and_keeps_a_complete_template(monkeypatch, server, names,
                                                                                  builds):
    test_db, template = names
    monkeypatch.delitem(settings.DATABASES["default"]["TEST"], "TEMPLATE", raising=False)
    server.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(test_db)))
    assert _use(monkeypatch, "run-1", createdb=False) is None  # kept: no template at all
    assert builds == [] and template_db._comment(server, template) is None
    assert "TEMPLATE" not in settings.DATABASES["default"]["TEST"]

    server.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(test_db)))
    assert _use(monkeypatch, "run-1", createdb=False) == template
    first = _oid(server, template)
    assert _use(monkeypatch, "run-2", createdb=False) == template  # a later run brings the same template up to date
    assert builds == [template, template]
    assert _oid(server, template) == first
    assert template_db._comment(server, template) == template_db.MARK + "run-2"


def test_without_a_run_each_process_builds_its_own_database(monkeypatch, names, builds):
    monkeypatch.setenv(template_db.RUN_ENV, "")  # NEXUSTOP_TEST_RUN= : the old way, e.g. to compare
    assert template_db.use_template(createdb=True, keepdb=True) is None
    assert builds == []
