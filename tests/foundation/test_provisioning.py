"""The three ways to create a tenant schema give the same schema; `auto` picks the fastest valid one."""

from __future__ import annotations

import pytest
from django.db import connection

from tenants.models import SchemaScript
from tenants.schema import _script_statements, create_tenant_schema, migrations_digest, template_is_current
from tenants.services import tenant_provision

pytestmark = pytest.mark.django_db


def _fingerprint(schema: str) -> dict[str, set]:
    """Everything that makes a schema what it is, with the schema's own name factored out."""
    queries = {
        "columns": """SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''),
                             is_identity
                      FROM information_schema.columns WHERE table_schema = %s""",
        "constraints": """SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
                          FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
                          JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = %s""",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
        "triggers": """SELECT rel.relname, tg.tgname, pg_get_triggerdef(tg.oid)
                       FROM pg_trigger tg JOIN pg_class rel ON rel.oid = tg.tgrelid
                       JOIN pg_namespace ns ON ns.oid = rel.relnamespace
                       WHERE ns.nspname = %s AND NOT tg.tgisinternal""",
        "functions": """SELECT p.proname, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
                        WHERE ns.nspname = %s""",
    }
    result = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            result[name] = {tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "") for v in row)
                            for row in cursor.fetchall()}
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        result["migrations"] = set(cursor.fetchall())
        cursor.execute(f'SELECT app_label, model FROM "{schema}".django_content_type')
        result["content_types"] = set(cursor.fetchall())
        cursor.execute(f'SELECT codename FROM "{schema}".auth_permission')
        result["permissions"] = set(cursor.fetchall())
    return result


def test_script_clone_and_migrate_produce_identical_schemas(tenants):
    assert template_is_current()
    assert create_tenant_schema("bench_script", method="script") == "script"
    assert create_tenant_schema("bench_clone", method="clone") == "clone"
    assert create_tenant_schema("bench_migrate", method="migrate") == "migrate"
    reference = _fingerprint("bench_migrate")
    assert ("accounts_user", "email", "character varying", "NO", "", "NO") in reference["columns"]
    assert reference["triggers"], "the ledger's append-only triggers must be part of a tenant schema"
    script = _fingerprint("bench_script")
    for part, expected in reference.items():
        assert script[part] == expected, ("script", part, script[part] ^ expected)
    # clone_schema renames some unique constraints and indexes: same definitions, other names.
    clone = _fingerprint("bench_clone")
    for part, expected in reference.items():
        if part == "constraints":
            assert {(t, kind, d) for t, _n, kind, d in clone[part]} == {(t, kind, d) for t, _n, kind, d in expected}
        elif part == "indexes":
            assert len(clone[part]) == len(expected)
        else:
            assert clone[part] == expected, ("clone", part, clone[part] ^ expected)


def test_provisioning_replays_the_schema_script_when_current(tenants):
    result = tenant_provision(kind="country_operation", country="BJ", name="NexusTop Bénin",
                              domain="bj.localhost", admin_email="admin@bj.localhost", admin_password="x" * 12)
    assert result.schema_method == "script"
    assert result.tenant.default_language == "fr"


def test_a_script_for_other_migrations_is_never_replayed(tenants):
    SchemaScript.objects.filter(migrations_digest=migrations_digest()).update(migrations_digest="0" * 64)
    _script_statements.cache_clear()
    try:
        assert create_tenant_schema("stale_script", method="auto") == "clone"
        with pytest.raises(ValueError, match="no schema script"):
            create_tenant_schema("stale_script2", method="script")
    finally:
        _script_statements.cache_clear()


def test_stale_template_falls_back_to_migrations(tenants):
    SchemaScript.objects.all().delete()
    _script_statements.cache_clear()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tenant_template.django_migrations WHERE app = 'accounts'")
    assert not template_is_current()
    try:
        result = tenant_provision(kind="country_operation", country="ML", name="NexusTop Mali",
                                  domain="ml.localhost", admin_email="admin@ml.localhost", admin_password="x" * 12)
    finally:
        _script_statements.cache_clear()
    assert result.schema_method == "migrate"
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "ml".django_migrations WHERE app = %s', ["accounts"])
        assert cursor.fetchone()[0] >= 1
