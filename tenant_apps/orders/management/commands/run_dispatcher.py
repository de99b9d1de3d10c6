"""``manage.py run_dispatcher``: the supervised process that sends held orders to their providers in batches
(tenant_apps/orders/dispatch). Run one or several (they never claim the same order)."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from tenant_apps.orders.dispatch.runner import Dispatcher


class Command(BaseCommand):
    help = "Claim held orders in batches, call their providers concurrently, settle the batch (until SIGTERM)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=settings.ORDERS_DISPATCH_BATCH)
        parser.add_argument("--lease-seconds", type=float, default=float(settings.ORDERS_DISPATCH_LEASE_SECONDS))
        parser.add_argument("--scan-seconds", type=float, default=settings.ORDERS_DISPATCH_SCAN_SECONDS)
        parser.add_argument("--provider-concurrency", type=int, default=settings.ORDERS_DISPATCH_PROVIDER_CONCURRENCY)
        parser.add_argument("--max-in-flight", type=int, default=settings.ORDERS_DISPATCH_MAX_IN_FLIGHT)

    def handle(self, *args, **opts) -> None:
        def ready() -> None:
            sys.stdout.write("dispatcher ready\n")  # the process supervisors and test harnesses wait for this line
            sys.stdout.flush()

        Dispatcher(batch=opts["batch"], lease_seconds=opts["lease_seconds"], scan_seconds=opts["scan_seconds"],
                   provider_limit=opts["provider_concurrency"], max_in_flight=opts["max_in_flight"],
                   ready=ready).run()
