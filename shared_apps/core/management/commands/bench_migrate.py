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
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_tenant_model

from tenants.schema import create_tenant_schema, drop_schema, sync_template_schema, template_is_current


def _clone(schema: str) -> None:
    """Clone the template into ``schema`` on this thread's own connection."""
    try:
        create_tenant_schema(schema, method="clone")
    finally:
        connection.close()


class Command(BaseCommand):
    help = "Time a no-op migrate_schemas over N temporary tenants (cloned schemas), then clean up."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenants", type=int, default=100, help="temporary tenants to create")
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                            help="TENANT_MULTIPROCESSING_MAX_PROCESSES for the run")
        parser.add_argument("--chunks", type=int, default=10, help="TENANT_MULTIPROCESSING_CHUNKS for the run")
        parser.add_argument("--create-workers", type=int, default=1,
                            help="threads cloning schemas in parallel (each on its own connection)")
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
        connection.set_schema_to_public()
        if not template_is_current():
            sync_template_schema()
        try:
            started = time.perf_counter()
            tenant_model.objects.bulk_create(
                [tenant_model(schema_name=schema, name=f"Bench {schema}", kind="country_operation", country="NG")
                 for schema in schemas], batch_size=500)
            with ThreadPoolExecutor(max_workers=max(1, opts["create_workers"])) as pool:
                list(pool.map(_clone, schemas))
            created = time.perf_counter() - started
            self.stdout.write(f"created {count} tenant schemas by cloning in {created:.1f} s "
                              f"({created / count * 1000:.0f} ms each)")
            total = tenant_model.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).count()
            settings.TENANT_MULTIPROCESSING_MAX_PROCESSES = opts["processes"]
            settings.TENANT_MULTIPROCESSING_CHUNKS = opts["chunks"]
            details = {"multiprocessing": f"{opts['processes']} processes", "standard": "sequential"}
            for executor in [name.strip() for name in opts["executors"].split(",") if name.strip()]:
                detail = details.get(executor, executor)
                started = time.perf_counter()
                call_command("migrate_schemas", tenant=True, executor=executor, interactive=False, verbosity=0)
                elapsed = time.perf_counter() - started
                connection.set_schema_to_public()
                self.stdout.write(f"migrate_schemas --tenant, {executor} executor ({detail}): {total} schemas, "
                                  f"nothing to migrate, {elapsed:.1f} s ({elapsed / total * 1000:.0f} ms/schema)")
        finally:
            started = time.perf_counter()
            connection.set_schema_to_public()
            for schema in schemas:
                drop_schema(schema)
            deleted, _ = tenant_model.objects.filter(schema_name__in=schemas).delete()
            self.stdout.write(f"cleaned up {len(schemas)} schemas and {deleted} rows in "
                              f"{time.perf_counter() - started:.1f} s")
