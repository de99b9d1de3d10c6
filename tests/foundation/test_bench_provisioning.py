"""The provisioning benchmark runs, prints both methods and leaves nothing behind (real commits)."""

from __future__ import annotations

from django.db import connection


def test_bench_provisioning_prints_both_methods_and_cleans_up(live_db):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("bench_provisioning", "--count", "1", stdout=out)
    text = out.getvalue()
    assert all(method in text for method in ("script", "clone", "migrate")) and "migrate / " in text
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'bench\\_%%'")
        assert cursor.fetchone()[0] == 0
