"""Provision the demo tenants and data (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tenants.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo tenants (head office, the 16 country operations, QuickVend) and demo data if missing."

    def handle(self, *args, **opts):
        for line in seed_demo(stdout=self.stdout):
            self.stdout.write(line)
