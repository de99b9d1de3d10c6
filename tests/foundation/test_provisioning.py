"""The three ways to create a tenant schema give the same schema; `auto` picks the fastest valid one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from tenants.models import SchemaScript
from tenants.schema import _script_statements, create_tenant_schema, migrations_digest, template_is_current
from tenants.services import ProvisionResult, tenant_provision

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provisioned_by_migrations(django_db_setup, django_db_blocker) -> Iterator[ProvisionResult]:
    """A tenant provisioned while the template is stale: ``auto`` falls back to the migrations.

    Replaying every migration from nothing is the one expensive step of this module (~13 s), and two tests need
    a schema made that way: the fallback test asserts on this provisioning, and the three-ways comparison uses its
    schema as the migrations' reference (it used to migrate a second schema of its own). It runs inside a
    transaction kept open for the module, so each test's own transaction is a savepoint within it; the template's
    stale state is undone right after (its rows put back), and everything is rolled back at the module's end.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with connection.cursor() as cursor:
                scripts = list(SchemaScript.objects.all())
                SchemaScript.objects.all().delete()
                _script_statements.cache_clear()
                cursor.execute("DELETE FROM tenant_template.django_migrations WHERE app = 'accounts' "
                               "RETURNING id, app, name, applied")
                removed = cursor.fetchall()
                assert removed and not template_is_current()
                try:
                    result = tenant_provision(kind="country_operation", country="ML", name="NexusTop Mali",
                                              domain="ml.localhost", admin_email="admin@ml.localhost",
                                              admin_password="x" * 12)
                finally:
                    _script_statements.cache_clear()
                # The template and its script as they were, for the module's other tests.
                cursor.executemany("INSERT INTO tenant_template.django_migrations (id, app, name, applied) "
                                   "VALUES (%s, %s, %s, %s)", removed)
                SchemaScript.objects.bulk_create(scripts)
                _script_statements.cache_clear()
                assert template_is_current()
            yield result
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            _script_statements.cache_clear()


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


def test_script_clone_and_migrate_produce_identical_schemas(tenants, provisioned_by_migrations):
    assert template_is_current()
    assert create_tenant_schema("bench_script", method="script") == "script"
    assert create_tenant_schema("bench_clone", method="clone") == "clone"
    # The schema the migrations made (the module's one migrate run, tenant_provision's fallback to them).
    assert provisioned_by_migrations.schema_method == "migrate"
    reference = _fingerprint(provisioned_by_migrations.tenant.schema_name)
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


def test_stale_template_falls_back_to_migrations(tenants, provisioned_by_migrations):
    """With the template stale (an ``accounts`` migration missing from it) and no script, ``auto`` migrates
    (the provisioning itself: the module's ``provisioned_by_migrations``)."""
    result = provisioned_by_migrations
    assert result.schema_method == "migrate"
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "ml".django_migrations WHERE app = %s', ["accounts"])
        assert cursor.fetchone()[0] >= 1
