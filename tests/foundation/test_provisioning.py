"""Provisioning by template clone and by migration give the same schema."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.schema import create_tenant_schema, template_is_current
from tenants.services import tenant_provision

pytestmark = pytest.mark.django_db


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def _migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def test_clone_and_migrate_produce_identical_schemas(tenants):
    assert template_is_current()
    assert create_tenant_schema("bench_clone", method="clone") == "clone"
    assert create_tenant_schema("bench_migrate", method="migrate") == "migrate"
    assert _tables("bench_clone") == _tables("bench_migrate")
    assert _migrations("bench_clone") == _migrations("bench_migrate")
    assert "accounts_user" in _tables("bench_clone")


def test_provisioning_uses_the_template_when_current(tenants):
    result = tenant_provision(kind="country_operation", country="BJ", name="NexusTop Bénin",
                              domain="bj.localhost", admin_email="admin@bj.localhost", admin_password="x" * 12)
    assert result.schema_method == "clone"
    assert result.tenant.default_language == "fr"


def test_stale_template_falls_back_to_migrations(tenants):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tenant_template.django_migrations WHERE app = 'accounts'")
    assert not template_is_current()
    result = tenant_provision(kind="country_operation", country="ML", name="NexusTop Mali",
                              domain="ml.localhost", admin_email="admin@ml.localhost", admin_password="x" * 12)
    assert result.schema_method == "migrate"
    assert ("accounts", "0001_initial") in _migrations("ml")

