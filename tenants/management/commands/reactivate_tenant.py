"""Reactivate a suspended tenant."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tenants.selectors import tenant_get_by_ref
from tenants.services import tenant_reactivate


class Command(BaseCommand):
    help = "Reactivate a tenant by domain or schema name."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="domain or schema name")

    def handle(self, *args, **opts):
        try:
            tenant = tenant_get_by_ref(ref=opts["tenant"])
        except Tenant.DoesNotExist:
            raise CommandError(f"[unknown_tenant] No tenant {opts['tenant']!r}.")
        tenant_reactivate(tenant=tenant)
        self.stdout.write(self.style.SUCCESS(f"Reactivated {tenant.schema_name}."))
