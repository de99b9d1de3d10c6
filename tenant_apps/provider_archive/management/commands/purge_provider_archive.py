"""Delete provider archive rows older than each tenant's country retention (``retention.provider_archive``).

Run daily (infra schedules it with the other sweeps). ``--schema`` limits it to one tenant."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from countries.registry import get_adapter
from tenant_apps.provider_archive.services import archive_purge
from tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "Purge provider archive rows past the country's retention period."

    def add_arguments(self, parser):
        parser.add_argument("--schema", default="", help="only this tenant schema")

    def handle(self, *args, schema: str = "", **options):
        for tenant in tenant_list():
            if schema and tenant.schema_name != schema:
                continue
            years = get_adapter(tenant.country).retention.provider_archive
            with schema_context(tenant.schema_name):
                deleted = archive_purge(older_than_years=years)
            self.stdout.write(f"{tenant.schema_name}: {deleted} archive row(s) older than {years} years deleted")
