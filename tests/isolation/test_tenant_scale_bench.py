"""Smoke test of ``manage.py bench_tenant_scale`` with tiny numbers: it measures, prints and cleans up."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.slow


def _bench_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bs\_%'")
        return [row[0] for row in cursor.fetchall()]


def test_bench_tenant_scale_smoke(live_db):
    from tenants.models import Tenant

    out = io.StringIO()
    call_command("bench_tenant_scale", "--tenants", "1,2", "--requests", "6", "--workers", "1",
                 "--settings-module", "nexustop.settings.test", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    markdown = [line for line in lines if line.startswith("| ")]
    assert markdown[0].startswith("| tenants | provision p50 ms | provision p99 ms | migrate no-op standard s | "
                                  "migrate no-op pending s | /health p50 ms")
    rows = [line.strip("| ").split(" | ") for line in markdown[2:]]
    assert [row[0] for row in rows] == ["1", "2"]
    for row in rows:
        provision_ms, standard_s, pending_s = float(row[1]), float(row[3]), float(row[4])
        assert 0 < provision_ms < 30_000 and 0 < standard_s < 600 and 0 < pending_s < 600
        assert all(float(value) > 0 for value in row[5:9])  # p50/p99 of /health and /api/products
        assert float(row[9]) > 20  # RSS of a Django worker, MB
        assert row[10] == "0", "every request answered 200"
    assert not _bench_schemas()
    assert not Tenant.objects.filter(schema_name__startswith="bs_").exists()
