"""Benchmark `migrate_schemas` across many tenants with nothing to migrate.

    python manage.py bench_migrate --tenants 100 [--processes 2] [--executors standard,multiprocessing]

Creates N throw-away tenants (rows plus schemas cloned from the template
schema, as provisioning does), times a no-op ``migrate_schemas --tenant`` with
each executor named in ``--executors`` (default: the multiprocessing one),
then drops every schema and row it created, even when interrupted. Refuses
to run under production settings. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import os
import secrets
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_tenant_model

from tenants.connection import tenant_connection
from tenants.schema import (
    create_tenant_schema,
    drop_schema,
    quote_ident,
    sync_template_schema,
    template_is_current,
    template_schema_name,
)


def copy_schema_tables(source: str, target: str) -> None:
    """Bench-only fast copy: every table of ``source`` (structure, rows, foreign keys) into a new ``target``.

    django-tenants' clone function scans the whole catalog for every clone, so
    it slows down as schemas accumulate (measured: ~0.5 s each for the first
    hundred, ~4 s each past 350). A no-op ``migrate_schemas`` needs only the
    tables and their rows (django_migrations, content types, permissions), which
    ``CREATE TABLE ... (LIKE ... INCLUDING ALL)`` copies in constant time.
    Functions, triggers and views are not copied: never use this for real tenants.
    """
    src, dst = quote_ident(source), quote_ident(target)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {dst}")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [source])
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            name = '"' + table.replace('"', '""') + '"'
            cursor.execute(f"CREATE TABLE {dst}.{name} (LIKE {src}.{name} INCLUDING ALL)")
            cursor.execute(f"INSERT INTO {dst}.{name} OVERRIDING SYSTEM VALUE SELECT * FROM {src}.{name}")  # noqa: S608
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> '' "
                "AND NOT attisdropped", [f"{source}.{table}"])
            for (column,) in cursor.fetchall():
                quoted_column = '"' + column.replace('"', '""') + '"'
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608
                    f"COALESCE((SELECT max({quoted_column}) FROM {dst}.{name}), 0) + 1, false)",
                    [f"{target}.{table}", column])
        # Foreign keys, with references resolved in the target schema.
        cursor.execute(f"SET search_path = {src}")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s AND contype = 'f'", [source])
        foreign_keys = cursor.fetchall()
        cursor.execute(f"SET search_path = {dst}")
        for table, constraint, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
    tenant_connection().set_schema_to_public()


class Command(BaseCommand):
    help = "Time a no-op migrate_schemas over N temporary tenants (cloned schemas), then clean up."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenants", type=int, default=100, help="temporary tenants to create")
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                            help="TENANT_MULTIPROCESSING_MAX_PROCESSES for the run")
        parser.add_argument("--chunks", type=int, default=10, help="TENANT_MULTIPROCESSING_CHUNKS for the run")
        parser.add_argument("--executors", default="multiprocessing",
                            help="comma-separated executors to time, in order (e.g. standard,multiprocessing)")

    def handle(self, *args, **opts) -> None:
        if str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".prod"):
            raise CommandError("bench_migrate creates and drops schemas: never under production settings.")
        count = opts["tenants"]
        if count < 1:
            raise CommandError("--tenants must be at least 1")
        run_id = secrets.token_hex(3)
        schemas = [f"bench_{run_id}_{index:05d}" for index in range(count)]
        tenant_model = get_tenant_model()
        tenant_connection().set_schema_to_public()
        if not template_is_current():
            sync_template_schema()
        try:
            started = time.perf_counter()
            tenant_model.objects.bulk_create(
                [tenant_model(schema_name=schema, name=f"Bench {schema}", kind="country_operation", country="NG")
                 for schema in schemas], batch_size=500)
            # The first schema the way provisioning does it (timed), the rest by the fast table copy.
            mark = time.perf_counter()
            create_tenant_schema(schemas[0], method="clone")
            cloned = time.perf_counter() - mark
            for schema in schemas[1:]:
                copy_schema_tables(template_schema_name(), schema)
            created = time.perf_counter() - started
            self.stdout.write(f"created {count} tenant schemas in {created:.1f} s (first by clone_schema "
                              f"in {cloned * 1000:.0f} ms, others by table copy)")
            total = tenant_model.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).count()
            settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = opts["processes"]
            settings.TENANT_MULTIPROCESSING_CHUNKS = opts["chunks"]
            details = {"multiprocessing": f"{opts['processes']} processes", "standard": "sequential"}
            for executor in [name.strip() for name in opts["executors"].split(",") if name.strip()]:
                detail = details.get(executor, executor)
                started = time.perf_counter()
                call_command("migrate_schemas", tenant=True, executor=executor, interactive=False, verbosity=0)
                elapsed = time.perf_counter() - started
                tenant_connection().set_schema_to_public()
                self.stdout.write(f"migrate_schemas --tenant, {executor} executor ({detail}): {total} schemas, "
                                  f"nothing to migrate, {elapsed:.1f} s ({elapsed / total * 1000:.0f} ms/schema)")
            self._check_nothing_was_migrated(schemas[-1])
        finally:
            started = time.perf_counter()
            tenant_connection().set_schema_to_public()
            for schema in schemas:
                drop_schema(schema)
            deleted, _ = tenant_model.objects.filter(schema_name__in=schemas).delete()
            self.stdout.write(f"cleaned up {len(schemas)} schemas and {deleted} rows in "
                              f"{time.perf_counter() - started:.1f} s")

    def _check_nothing_was_migrated(self, schema: str) -> None:
        """The timing only means something if the run really had nothing to apply."""
        counts = []
        with connection.cursor() as cursor:
            for name in (template_schema_name(), schema):
                cursor.execute(f"SELECT count(*) FROM {quote_ident(name)}.django_migrations")  # noqa: S608
                counts.append(cursor.fetchone()[0])
        if counts[0] != counts[1]:
            raise CommandError(f"{schema} applied migrations during the benchmark ({counts}); figures invalid")
