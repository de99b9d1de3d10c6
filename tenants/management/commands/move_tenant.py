"""Move a tenant (with its reseller brands) to another database cluster: see tenants.moves."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tenants import clusters
from tenants.models import Tenant
from tenants.moves import TenantMoveError, drop_retired, retired_schemas, tenant_move
from tenants.selectors import tenant_get_by_ref


class Command(BaseCommand):
    help = ("Move a tenant's schema (and its reseller brands') to another PostgreSQL cluster with no lost writes: "
            "suspend writes, copy, verify, switch, resume.")

    def add_arguments(self, parser):
        parser.add_argument("tenant", nargs="?", help="domain or schema of a country operation")
        parser.add_argument("cluster", nargs="?", help="target cluster (DATABASE_CLUSTERS alias, or 'default')")
        parser.add_argument("--lock-timeout", type=int, default=30,
                            help="seconds to wait for writers to finish before giving up (default 30)")
        parser.add_argument("--list", action="store_true", help="tenants per cluster and retired schemas")
        parser.add_argument("--drop-retired", metavar="SCHEMA", help="drop a source schema retired by a move")
        parser.add_argument("--on", metavar="CLUSTER", help="cluster of --drop-retired")

    def handle(self, *args, **options):
        if options["list"]:
            for alias, count in clusters.tenants_per_cluster().items():
                retired = retired_schemas(alias)
                self.stdout.write(f"{alias}: {count} tenants" + (f"; retired: {', '.join(retired)}" if retired else ""))
            return
        if options["drop_retired"]:
            try:
                drop_retired(options["on"] or clusters.HOME, options["drop_retired"])
            except TenantMoveError as error:
                raise CommandError(f"[{error.code}] {error}")
            self.stdout.write(self.style.SUCCESS(f"dropped {options['drop_retired']}"))
            return
        if not options["tenant"] or not options["cluster"]:
            raise CommandError("usage: move_tenant <tenant> <cluster>")
        try:
            tenant = tenant_get_by_ref(ref=options["tenant"])
        except Tenant.DoesNotExist:
            raise CommandError(f"[unknown_tenant] No tenant {options['tenant']!r}.")
        try:
            report = tenant_move(tenant=tenant, target=options["cluster"], lock_timeout_seconds=options["lock_timeout"],
                                 log=self.stdout.write)
        except TenantMoveError as error:
            raise CommandError(f"[{error.code}] {error}")
        timings = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.timings.items())
        self.stdout.write(self.style.SUCCESS(
            f"moved {', '.join(report.schemas)} from {report.source} to {report.target}: {report.tables} tables, "
            f"{report.rows} rows; {timings}"))
