"""bench_migrate: creates tenants, runs a parallel no-op migrate_schemas, and leaves nothing behind."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.db import connection

from tests.support.processes import ROOT, child_env


def bench_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")
        return [row[0] for row in cursor.fetchall()]


def test_bench_migrate_runs_in_parallel_and_cleans_up(live_db):
    from tenants.models import Tenant

    tenants_before = Tenant.objects.count()
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_migrate", "--tenants", "3", "--processes", "2"],
        cwd=ROOT, env=child_env(LOG_LEVEL="WARNING"), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created 3 tenant schemas in" in result.stdout and "first by clone_schema" in result.stdout
    ran = re.search(r"multiprocessing executor \(2 processes\): (\d+) schemas, nothing to migrate", result.stdout)
    assert ran and int(ran.group(1)) >= 3 + 4  # the 3 bench tenants plus the session's tenants
    assert "cleaned up 3 schemas and 3 rows" in result.stdout
    assert bench_schemas() == []
    assert Tenant.objects.count() == tenants_before


# Both production-settings checks in one child process (one Python and Django start instead of two): first
# ``manage.py bench_migrate --tenants 1`` exactly as the shell runs it (the file run as ``__main__``), then the
# command's own guard called directly. Each part reports its exit code and output.
PRODUCTION_PROBE = r"""
import contextlib, io, json, runpy, sys

def run(part):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            part()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}

def shell():
    sys.argv = ["manage.py", "bench_migrate", "--tenants", "1"]
    runpy.run_path("manage.py", run_name="__main__")

def guard():
    import django
    django.setup()
    from django.core.management import CommandError, call_command
    from nexustop_dev.management.commands.bench_migrate import Command
    try:
        call_command(Command(), tenants=1)
    except CommandError as exc:
        print(exc)
        sys.exit(3)

print(json.dumps({"shell": run(shell), "guard": run(guard)}))
"""


@pytest.fixture(scope="module")
def under_production_settings(django_db_setup) -> dict[str, dict]:
    """What the production-settings child process reported, per part (``shell``, ``guard``)."""
    from tests.support.production import production_env

    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=ROOT, env=production_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_bench_migrate_does_not_exist_under_production_settings(live_db, under_production_settings):
    """Production settings do not install the development package: the command is unknown there."""
    shell = under_production_settings["shell"]
    assert shell["code"] != 0
    assert "Unknown command: 'bench_migrate'" in shell["stderr"]
    assert bench_schemas() == []


def test_bench_migrate_refuses_production_settings(live_db, under_production_settings):
    """Its own guard, should someone install the development package next to production settings."""
    guard = under_production_settings["guard"]
    assert guard["code"] == 3, guard
    assert "never under production settings" in guard["stdout"]
