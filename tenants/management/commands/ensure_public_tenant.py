"""Register the head office (public schema) and its domain; idempotent, run by every migrate task.

A first deploy has an empty tenant table: without this row no request is routed
to the head-office console. The domain is ``NEXUSTOP_PUBLIC_DOMAIN``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.models import Domain
from tenants.services import ensure_public_tenant


class Command(BaseCommand):
    help = "Create the head-office tenant row and its domain (NEXUSTOP_PUBLIC_DOMAIN) if missing."

    def add_arguments(self, parser):
        parser.add_argument("--domain", default=None, help="Overrides NEXUSTOP_PUBLIC_DOMAIN.")

    def handle(self, *args, **options):
        domain = (options["domain"] or settings.NEXUSTOP_PUBLIC_DOMAIN).strip().lower()
        tenant = ensure_public_tenant(domain=domain)
        domains = sorted(Domain.objects.filter(tenant=tenant).values_list("domain", flat=True))
        self.stdout.write(f"head office: schema public, domains {', '.join(domains)}")
