"""bench_ledger runs end to end (tiny figures; the real ones are in docs/benchmarks.md)."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from django_tenants.utils import schema_context

from tenant_apps.wallet.selectors import ledger_discrepancies


def test_bench_ledger_prints_service_and_pgbench_rates(live_db):
    out = io.StringIO()
    call_command("bench_ledger", schema="gh", seconds=1, threads=2, wallets=4, stdout=out)
    text = out.getvalue()
    rows = {m.group(1): (float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in re.finditer(r"^(derived|hot)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$", text, re.M)}
    assert set(rows) == {"derived", "hot"}, text
    for service, pgbench, ratio in rows.values():
        assert service > 0 and pgbench > 0 and ratio > 0
    with schema_context("gh"):
        assert ledger_discrepancies() == []  # the bench's thousands of entries all balance
