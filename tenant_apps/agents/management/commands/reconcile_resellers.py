"""``manage.py reconcile_resellers``: both sides of every reseller float agree, and both ledgers balance.

Reports, never fixes; exits 1 when anything disagrees.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenant_apps.agents.floats import reconcile_reseller_floats
from tenant_apps.wallet.services import reconcile_ledgers
from tenants.models import Tenant, TenantKind


class Command(BaseCommand):
    help = "Check reseller floats (parent wallet vs reseller mirror) and the ledgers of both schemas."

    def handle(self, *args, **options):
        problems = reconcile_reseller_floats()
        for problem in problems:
            self.stdout.write(f"FLOAT MISMATCH {problem}")
        resellers = Tenant.objects.select_related("parent").filter(kind=TenantKind.RESELLER_BRAND)
        schemas = sorted({t.schema_name for t in resellers} | {t.parent.schema_name for t in resellers})
        ledger = reconcile_ledgers(schema_names=schemas)
        for schema, items in ledger.items():
            for item in items:
                self.stdout.write(f"LEDGER {schema}: {item}")
        count = len(problems) + sum(len(items) for items in ledger.values())
        if count:
            raise CommandError(f"{count} reseller reconciliation problem(s)")
        summary = f"{resellers.count()} reseller float(s) and {len(schemas)} ledger(s) agree"
        self.stdout.write(self.style.SUCCESS(summary))
