"""``manage.py reconcile_remittances``: the hub's corridor clearing accounts, and every tenant's remittance side.

Hub (public schema): every entry balances per currency; per corridor the clearing balance equals the
principal in transit, and sent = released + refunded + in transit; each transfer's entries match its status.
Tenants: ``remittance_discrepancies`` (also part of ``reconcile_ledger``). Prints the corridor figures; exit 1
when anything is off. Reports, never fixes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from shared_apps.remittance_hub.selectors import corridor_figures, hub_discrepancies
from tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "Reconcile the remittance hub's corridor clearing accounts and each tenant's remittance side."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", action="append", dest="schemas", help="only these tenant schemas")

    def handle(self, *args, schemas=None, **options) -> None:
        from tenant_apps.remittances.selectors import remittance_discrepancies

        with schema_context("public"):
            found = [f"hub: {item}" for item in hub_discrepancies()]
            figures = corridor_figures()
        for corridor, f in sorted(figures.items()):
            self.stdout.write(f"{corridor}: sent {f['sent']} = released {f['settled']} + refunded {f['refunded']} "
                              f"+ in transit {f['in_transit']} (clearing {f['clearing']})")
        for schema in schemas or [t.schema_name for t in tenant_list()]:
            with schema_context(schema):
                found += [f"{schema}: {item}" for item in remittance_discrepancies()]
        for line in found:
            self.stderr.write(line)
        if found:
            raise CommandError(f"{len(found)} remittance discrepancies")
        self.stdout.write(self.style.SUCCESS("remittances reconciled, no discrepancies"))
