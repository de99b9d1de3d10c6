"""Erase (pseudonymise) closed accounts past each tenant's country retention (``retention.transactions``)
and delete expired export zips. Run daily. ``--schema`` limits it to one tenant."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from countries.registry import get_adapter
from tenant_apps.privacy.services import retention_purge
from tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "Erase closed accounts past the country's retention period; delete expired exports."

    def add_arguments(self, parser):
        parser.add_argument("--schema", default="", help="only this tenant schema")

    def handle(self, *args, schema: str = "", **options):
        for tenant in tenant_list():
            if schema and tenant.schema_name != schema:
                continue
            retention = get_adapter(tenant.country).retention
            with schema_context(tenant.schema_name):
                result = retention_purge(years=retention.transactions, kyc_years=retention.kyc)
            self.stdout.write(f"{tenant.schema_name}: {result} (retention {retention.transactions} years, "
                              f"KYC {retention.kyc})")
