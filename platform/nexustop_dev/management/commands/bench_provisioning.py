"""Benchmark: provisioning a tenant by template clone vs by replaying migrations.

Creates throwaway tenants (schema + domain + first admin), times each, prints
a table, and drops everything it created.
"""

from __future__ import annotations

import statistics
import uuid

from django.core.management.base import BaseCommand

from tenants.connection import tenant_connection
from tenants.models import Domain, Tenant
from tenants.schema import drop_schema, sync_template_schema, template_is_current
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = "Time tenant provisioning by template clone and by migrations."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=5, help="tenants per method")
        parser.add_argument("--methods", default="script,clone,migrate")

    def handle(self, *args, **opts):
        tenant_connection().set_schema_to_public()
        if not template_is_current():
            sync_template_schema()
        rows = []
        for method in opts["methods"].split(","):
            timings, schema_timings = [], []
            for _ in range(opts["count"]):
                suffix = uuid.uuid4().hex[:8]
                schema = f"bench_{suffix}"
                try:
                    result = tenant_provision(
                        kind="country_operation", country="NG", name=f"Bench {suffix}",
                        domain=f"bench-{suffix}.bench.invalid", schema_name=schema,
                        admin_email=f"admin@{suffix}.invalid", admin_password=None, schema_method=method)
                    timings.append(result.seconds)
                    schema_timings.append(result.timings["schema"])
                finally:
                    Domain.objects.filter(tenant__schema_name=schema).delete()
                    Tenant.objects.filter(schema_name=schema).delete()
                    drop_schema(schema)
            rows.append((method, timings, schema_timings))
        self.stdout.write(f"{'method':<10} {'n':>3} {'mean ms':>9} {'p50 ms':>9} {'max ms':>9} {'schema p50 ms':>14}")
        for method, timings, schema_timings in rows:
            self.stdout.write(
                f"{method:<10} {len(timings):>3} {statistics.mean(timings) * 1000:>9.0f} "
                f"{statistics.median(timings) * 1000:>9.0f} {max(timings) * 1000:>9.0f} "
                f"{statistics.median(schema_timings) * 1000:>14.0f}")
        fastest = min(rows, key=lambda row: statistics.median(row[1]))
        for method, timings, _ in rows:
            if method != fastest[0]:
                ratio = statistics.median(timings) / statistics.median(fastest[1])
                self.stdout.write(f"{method} / {fastest[0]} (p50): {ratio:.1f}x")

