"""Provision a tenant: schema, primary domain, branding and first admin."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant, TenantKind
from tenants.selectors import tenant_get_by_ref
from tenants.services import Branding, TenantProvisioningError, tenant_provision


class Command(BaseCommand):
    help = "Create a country operation or reseller brand tenant with its domain and first admin."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=[TenantKind.COUNTRY_OPERATION, TenantKind.RESELLER_BRAND])
        parser.add_argument("--country", required=True, help="ISO code, e.g. NG")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="e.g. ng.localhost")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="omit to generate one (printed once)")
        parser.add_argument("--parent", help="domain or schema of the parent country operation (reseller brands)")
        parser.add_argument("--schema", help="schema name (default: derived from the domain)")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--language", default="", help="default language: en, fr, pt")
        parser.add_argument("--primary-colour", default="#0B5FFF")
        parser.add_argument("--accent-colour", default="#FFB400")
        parser.add_argument("--support-email", default="")
        parser.add_argument("--support-phone", default="")
        parser.add_argument("--database", default=None,
                            help="database cluster (DATABASE_CLUSTERS alias; default: the least loaded, "
                                 "a reseller brand's parent's)")

    def handle(self, *args, **opts):
        parent = None
        if opts["parent"]:
            try:
                parent = tenant_get_by_ref(ref=opts["parent"])
            except Tenant.DoesNotExist:
                raise CommandError(f"[unknown_parent] No tenant {opts['parent']!r} to be the parent.")
        password = opts["admin_password"] or secrets.token_urlsafe(12)
        branding = Branding(
            display_name=opts["display_name"], default_language=opts["language"],
            primary_colour=opts["primary_colour"], accent_colour=opts["accent_colour"],
            support_email=opts["support_email"], support_phone=opts["support_phone"])
        try:
            result = tenant_provision(
                kind=opts["kind"], country=opts["country"], name=opts["name"], domain=opts["domain"],
                admin_email=opts["admin_email"], admin_password=password, parent=parent,
                schema_name=opts["schema"], branding=branding, database=opts["database"])
        except TenantProvisioningError as exc:
            raise CommandError(f"[{exc.code}] {exc}")
        self.stdout.write(self.style.SUCCESS(
            f"Created {result.tenant.kind} {result.tenant.name!r} (schema {result.tenant.schema_name}) at "
            f"{result.domain.domain} on database {result.tenant.database} in {result.seconds * 1000:.0f} ms "
            f"({result.schema_method})."))
        self.stdout.write(f"First admin: {result.admin_email}")
        if not opts["admin_password"]:
            self.stdout.write(f"Generated password (shown once): {password}")
