"""``manage.py fault_inject --orders 200 --seed 7``: the fault-injection suite (tests/reliability/), longer.

Starts its own redis-server on a free port (broker, cache and circuit breaker for this run: the shared
Redis is never touched), the VTPass, MTN and aggregator simulators, a real Celery worker, and runs each
scenario (provider timeouts/5xx, duplicated and reordered webhooks, worker SIGKILL, Redis restart,
database backend terminated mid-transaction) with ``--orders`` purchases on two tenants of its own
(``fi_ng``, ``fi_gh``; provisioned on first use, kept for the next run, ``--drop-tenants`` removes them).
Prints the table; exits non-zero when any discrepancy is found. The run's providers are disabled at the end.
Needs the dev requirements; the engine is ``nexustop_dev.faults`` (shared with tests/reliability/).
"""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tenants.connection import tenant_connection

TENANTS = {"ng": ("fi_ng", "fi-ng.localhost", "NG"), "gh": ("fi_gh", "fi-gh.localhost", "GH")}


class Command(BaseCommand):
    help = "Inject faults into the purchase path on the real stack and check the books (issue 11)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100, help="purchases per scenario")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--scenarios", default="", help="comma-separated subset (default: all)")
        parser.add_argument("--provider-rate", type=float, default=0.2, help="share of provider calls faulted")
        parser.add_argument("--webhook-rate", type=float, default=0.3, help="share of orders whose callbacks "
                                                                              "are replayed duplicated/reordered")
        parser.add_argument("--kills", type=int, default=3, help="worker kills / Redis restarts per scenario "
                                                                 "(one more backend termination)")
        parser.add_argument("--buyers", type=int, default=3, help="buyers per tenant and scenario")
        parser.add_argument("--pool", default="threads", help="worker pool (threads, solo, prefork)")
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--drop-tenants", action="store_true", help="only drop fi_ng/fi_gh and exit")

    def handle(self, *args, **opts):
        try:
            from nexustop_dev.faults import SCENARIOS, fault_stack, run_scenarios, table
        except ImportError as exc:  # pragma: no cover - dev requirements missing
            raise CommandError(f"fault_inject needs the dev requirements (requirements/dev.txt): {exc}") from exc
        if opts["drop_tenants"]:
            self._drop()
            return
        scenarios = tuple(s for s in opts["scenarios"].split(",") if s) or SCENARIOS
        unknown = set(scenarios) - set(SCENARIOS)
        if unknown:
            raise CommandError(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
        self._ensure_tenants()
        logging.getLogger("nexustop.request").setLevel(logging.WARNING)
        ng, gh = TENANTS["ng"][:2], TENANTS["gh"][:2]
        with fault_stack(ng=ng, gh=gh, pool=opts["pool"], concurrency=opts["concurrency"]) as (world, worker):
            results = run_scenarios(world=world, worker=worker, scenarios=scenarios, orders=opts["orders"],
                                    seed=opts["seed"], provider_rate=opts["provider_rate"],
                                    webhook_rate=opts["webhook_rate"], kills=opts["kills"],
                                    buyers_per_tenant=opts["buyers"])
        self.stdout.write(table(results))
        bad = sum(len(r.discrepancies) for r in results)
        if bad:
            raise CommandError(f"{bad} discrepancies")
        self.stdout.write(self.style.SUCCESS("no discrepancy"))

    @staticmethod
    def _ensure_tenants() -> None:
        from tenants.models import Tenant
        from tenants.schema import sync_template_schema
        from tenants.services import ensure_public_tenant, tenant_provision

        tenant_connection().set_schema_to_public()
        sync_template_schema()
        ensure_public_tenant(domain="localhost")
        for schema, domain, country in TENANTS.values():
            if not Tenant.objects.filter(schema_name=schema).exists():
                tenant_provision(kind="country_operation", country=country, name=f"Fault injection {country}",
                                 domain=domain, admin_email=f"admin@{domain}", schema_name=schema)
        tenant_connection().set_schema_to_public()

    def _drop(self) -> None:
        from tenants.models import Domain, Tenant
        from tenants.schema import quote_ident

        tenant_connection().set_schema_to_public()
        for schema, domain, _ in TENANTS.values():
            Domain.objects.filter(domain=domain).delete()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
            Tenant.objects.filter(schema_name=schema).delete()
            self.stdout.write(f"dropped {schema}")
