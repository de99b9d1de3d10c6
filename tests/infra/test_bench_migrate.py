"""bench_migrate: creates tenants, runs a parallel no-op migrate_schemas, and leaves nothing behind."""

from __future__ import annotations

import re
import subprocess
import sys

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


def test_bench_migrate_does_not_exist_under_production_settings(live_db):
    """Production settings do not install the development package: the command is unknown there."""
    from tests.support.production import production_env

    env = production_env()
    result = subprocess.run([sys.executable, "manage.py", "bench_migrate", "--tenants", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Unknown command: 'bench_migrate'" in result.stderr
    assert bench_schemas() == []


def test_bench_migrate_refuses_production_settings(live_db):
    """Its own guard, should someone install the development package next to production settings."""
    from tests.support.production import production_env

    env = production_env()
    code = ("import sys, django; django.setup()\n"
            "from django.core.management import CommandError, call_command\n"
            "from nexustop_dev.management.commands.bench_migrate import Command\n"
            "try:\n    call_command(Command(), tenants=1)\n"
            "except CommandError as exc:\n    print(exc); sys.exit(3)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "never under production settings" in result.stdout
