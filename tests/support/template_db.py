"""One migrated test database with the session's tenants, copied for every test database of a run.

Every test database (one per xdist worker, and the pooled run's: ``nexustop_dev.testrun``) used to be built
from the migrations and given the session's tenants (tests/support/tenants.py) by its own process, all at
once on the same cores (80-130 s each on two loaded cores). In a run with several of them
(``NEXUSTOP_TEST_RUN`` set: by ``nexustop_dev.testrun`` for its pytest processes, by the xdist controller for
its workers) the first process that needs one builds ``<test database>_template`` once, under a
PostgreSQL advisory lock, in a child process whose connections are gone when it exits (PostgreSQL copies a
database only while nobody is connected to it); each test database is then ``CREATE DATABASE ... TEMPLATE``
of it (Django's ``TEST["TEMPLATE"]``), and pytest-django's ``migrate`` and ``ensure_test_tenants`` find
nothing left to do.

``--create-db``: the template is rebuilt from nothing once per run (its database comment names the run
that built it). ``--reuse-db``: a process whose test database exists never looks at the template; one whose
database is missing brings the template up to date (``migrate``, the tenants: seconds) once per run and
copies it. Provisioning writes only to the database (the host routing cache is per process), so the copy
is the database the process would have built itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

RUN_ENV = "NEXUSTOP_TEST_RUN"
MARK = "nexustop test template, run "
ROOT = Path(__file__).resolve().parents[2]


def template_name() -> str:
    """``test_<name>_template``: the un-suffixed test database name (``DATABASE_TEST_NAME`` too) + ``_template``."""
    from django.conf import settings

    base = os.environ.get("DATABASE_TEST_NAME") or f"test_{settings.DATABASES['default']['NAME']}"
    return f"{base}_template"


def _server_settings() -> dict:
    """The default database's settings, on the server itself (a pooled run's default goes through PgBouncer)."""
    from django.conf import settings

    direct = os.environ.get("NEXUSTOP_DIRECT_DATABASE_URL")
    if not direct:
        return settings.DATABASES["default"]
    from nexustop.settings.integrations.database import database_from_url

    return database_from_url(direct)


def _connect(db: dict):
    import psycopg

    options = {key: value for key, value in (db.get("OPTIONS") or {}).items()
               if key not in ("server_side_binding", "prepare_threshold", "pool")}
    return psycopg.connect(host=db.get("HOST") or None, port=db.get("PORT") or None, user=db.get("USER") or None,
                           password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True, **options)


def _comment(cursor, database: str) -> str | None:
    """The database's comment ('' without one); None when there is no such database."""
    cursor.execute("SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = %s",
                   [database])
    row = cursor.fetchone()
    return None if row is None else row[0]


def use_template(*, createdb: bool, keepdb: bool) -> str | None:
    """Make the default test database a copy of this run's template, building that first if no process has.

    Returns the template's name, or None when this process builds its database as before (not part of a
    several-database run, or its kept database exists).
    """
    from django.conf import settings
    from psycopg import sql

    run = os.environ.get(RUN_ENV)
    if not run:  # unset, or set empty to build each test database on its own
        return None
    default = settings.DATABASES["default"]
    test_database = default["TEST"].get("NAME") or f"test_{default['NAME']}"  # Django's own rule
    template = template_name()
    with _connect(_server_settings()) as conn, conn.cursor() as cursor:
        if keepdb and not createdb and _comment(cursor, test_database) is not None:
            return None
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [template])
        try:
            comment = _comment(cursor, template)
            if comment != MARK + run:
                if createdb or not (comment or "").startswith(MARK):  # stale, half-built or not ours: rebuild
                    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))
                _build(template)
                cursor.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(template),
                                                                             sql.Literal(MARK + run)))
            # Nobody may be connected to a template while it is copied.
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", [template])
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [template])
    default["TEST"]["TEMPLATE"] = template
    return template


def _build(template: str) -> None:
    """``python -m tests.support.template_db <template>`` on the server directly, on this process's Redis db."""
    from django.conf import settings

    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_POOL_MODE", "NEXUSTOP_TEST_PGBOUNCER", "NEXUSTOP_DIRECT_DATABASE_URL",
                          "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID", RUN_ENV)}
    env["DATABASE_URL"] = os.environ.get("NEXUSTOP_DIRECT_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    env["REDIS_URL"] = settings.REDIS_URL  # an xdist worker's own db, where its own build would have gone
    env["DJANGO_SETTINGS_MODULE"] = "nexustop.settings.test"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "platform"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "tests.support.template_db", template], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"building the test database template {template} failed ({done.returncode}):\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


def main(template: str) -> None:
    """Create (or bring up to date) ``template`` the way pytest-django and ``django_db_setup`` make a test database."""
    os.environ.setdefault("EXECUTOR", "pending")  # as tests/conftest.py
    import django

    django.setup()
    from django.db import connection, connections
    from django.test.utils import setup_test_environment

    from tests.support.tenants import ensure_test_tenants

    started = time.perf_counter()
    setup_test_environment()
    connection.settings_dict["TEST"] = {**connection.settings_dict["TEST"], "NAME": template, "TEMPLATE": None}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)
    migrated = time.perf_counter()
    ensure_test_tenants()
    connections.close_all()
    print(f"{template}: migrate {migrated - started:.1f} s, tenants {time.perf_counter() - migrated:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
