"""Bring the tenant template schema to the latest migrations (run after migrate)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tenants.schema import sync_template_schema, template_schema_name


class Command(BaseCommand):
    help = "Create/migrate the template schema new tenants are cloned from."

    def handle(self, *args, **opts):
        sync_template_schema(verbosity=max(0, opts["verbosity"] - 1))
        self.stdout.write(self.style.SUCCESS(f"Template schema {template_schema_name()} is current."))
