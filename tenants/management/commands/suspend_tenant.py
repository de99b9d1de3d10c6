"""Suspend a tenant: its domains answer 403 until reactivated."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tenants.selectors import tenant_get_by_ref
from tenants.services import TenantProvisioningError, tenant_suspend


class Command(BaseCommand):
    help = "Suspend a tenant by domain or schema name."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="domain or schema name")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, **opts):
        try:
            tenant = tenant_get_by_ref(ref=opts["tenant"])
            tenant_suspend(tenant=tenant, reason=opts["reason"])
        except Tenant.DoesNotExist:
            raise CommandError(f"[unknown_tenant] No tenant {opts['tenant']!r}.")
        except TenantProvisioningError as exc:
            raise CommandError(f"[{exc.code}] {exc}")
        self.stdout.write(self.style.SUCCESS(f"Suspended {tenant.schema_name}."))
