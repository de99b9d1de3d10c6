"""``migrate_schemas --executor=pending`` skips current schemas and hands stale ones to migrate."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.connection import tenant_connection
from tenants.migration_executors import PendingOnlyExecutor, schema_is_current

pytestmark = pytest.mark.django_db


def _executor(**options) -> PendingOnlyExecutor:
    return PendingOnlyExecutor((), {"verbosity": 1, "database": "default", **options})


def test_a_stale_schema_is_selected_and_current_ones_are_not(tenants):
    assert schema_is_current("ng") and schema_is_current("sn")
    assert _executor().schemas_to_migrate(["public", "ng", "sn"]) == ["public"]
    with connection.cursor() as cursor:  # sn "forgets" its last ledger migration (rolled back after the test)
        cursor.execute("DELETE FROM sn.django_migrations WHERE id = (SELECT max(id) FROM sn.django_migrations "
                       "WHERE app = 'ledger')")
    assert not schema_is_current("sn")
    assert _executor().schemas_to_migrate(["public", "ng", "sn"]) == ["public", "sn"]
    # targeted runs are passed through whole
    assert _executor(fake=True).schemas_to_migrate(["ng", "sn"]) == ["ng", "sn"]
    assert _executor(app_label="ledger").schemas_to_migrate(["ng", "sn"]) == ["ng", "sn"]


def test_noop_run_migrates_no_tenant_schema(tenants):
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("migrate_schemas", executor="pending", tenant=True, verbosity=1, interactive=False, stdout=out)
    tenant_connection().set_schema_to_public()
    text = out.getvalue()
    assert "already have every migration: skipped" in text
    assert "Starting migration" not in text


def test_missing_table_or_odd_name_is_not_current():
    assert not schema_is_current("no_such_schema_here")
    assert not schema_is_current("Bad-Name")
