"""``manage.py reconcile_ledger [--schema ng]``: report ledger discrepancies; exit 1 when there are any."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenant_apps.wallet.services import reconcile_gateways, reconcile_ledgers, reconcile_payouts


class Command(BaseCommand):
    help = "Check wallet balances against postings and that every entry balances (reports, never fixes)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", action="append", dest="schemas",
                            help="Only this tenant schema (repeatable). Default: every tenant.")
        parser.add_argument("--gateways", action="store_true",
                            help="Also check gateway credits against verified funding intents.")
        parser.add_argument("--payouts", action="store_true",
                            help="Also check the last days' final payouts against each rail's own record of them.")
        parser.add_argument("--days", type=int, default=7, help="How far back --payouts looks (default 7).")

    def handle(self, *args, schemas=None, gateways=False, payouts=False, days=7, **options) -> None:
        report = reconcile_ledgers(schema_names=schemas)
        if gateways:
            for schema, items in reconcile_gateways(schema_names=list(report)).items():
                report[schema] = report[schema] + items
        if payouts:
            for schema, items in reconcile_payouts(schema_names=list(report), days=days).items():
                report[schema] = report[schema] + items
        total = 0
        for schema, items in report.items():
            status = "OK" if not items else f"{len(items)} discrepancies"
            self.stdout.write(f"{schema}: {status}")
            for item in items:
                self.stdout.write(f"  {item}")
            total += len(items)
        if total:
            schemas_hit = sum(1 for items in report.values() if items)
            raise CommandError(f"{total} ledger discrepancies found in {schemas_hit} schema(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(report)} schema(s) reconciled, no discrepancies"))
