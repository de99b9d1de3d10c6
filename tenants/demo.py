"""Demo tenants for `make run` (idempotent: running twice changes nothing).

Other apps add their own demo data through ``settings.DEMO_SEEDERS``: dotted
paths to callables run after the tenants exist, so this module never imports
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from .models import Domain, TenantKind
from .selectors import tenant_get_by_ref
from .services import Branding, ensure_public_tenant, tenant_provision

HEAD_OFFICE_EMAIL = "admin@nexustop.localhost"


@dataclass(frozen=True)
class DemoTenant:
    domain: str
    name: str
    kind: str
    country: str
    primary: str
    accent: str
    language: str
    parent: str = ""


DEMO_TENANTS = [
    DemoTenant("ng.localhost", "NexusTop Nigeria", TenantKind.COUNTRY_OPERATION, "NG", "#008751", "#F5B800", "en"),
    DemoTenant("sn.localhost", "NexusTop Sénégal", TenantKind.COUNTRY_OPERATION, "SN", "#00853F", "#E31B23", "fr"),
    DemoTenant("gh.localhost", "NexusTop Ghana", TenantKind.COUNTRY_OPERATION, "GH", "#006B3F", "#FCD116", "en"),
    DemoTenant("quickvend.localhost", "QuickVend", TenantKind.RESELLER_BRAND, "NG", "#6D28D9", "#F97316", "en",
               parent="ng.localhost"),
]


def demo_admin_email(domain: str) -> str:
    return f"admin@{domain}"


def demo_password() -> str:
    """The demo logins' password: random per installation (settings.DEMO_PASSWORD, .local/secrets/), never a
    value published in this repository, since the head-office login is a super-admin."""
    password = getattr(settings, "DEMO_PASSWORD", "")
    if len(password) < 12:
        raise RuntimeError("settings.DEMO_PASSWORD is missing: seed_demo runs under the dev settings")
    return password


def _ensure_password(email: str, password: str) -> None:
    """An installation seeded before passwords were random (or whose secret file was replaced) gets the
    password ``make run`` prints."""
    user = get_user_model().objects.filter(email=email).first()
    if user is not None and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])


def seed_demo(*, stdout=None) -> list[str]:
    """Create what is missing; return a line per demo login for the console."""
    DEMO_PASSWORD = demo_password()
    connection.set_schema_to_public()
    ensure_public_tenant(domain="localhost")
    user_model = get_user_model()
    if not user_model.objects.filter(email=HEAD_OFFICE_EMAIL).exists():
        user_model.objects.create_superuser(HEAD_OFFICE_EMAIL, DEMO_PASSWORD)
    _ensure_password(HEAD_OFFICE_EMAIL, DEMO_PASSWORD)
    lines = [f"http://localhost:8000/admin/  head office  {HEAD_OFFICE_EMAIL} / {DEMO_PASSWORD}"]
    for spec in DEMO_TENANTS:
        if not Domain.objects.filter(domain=spec.domain).exists():
            parent = tenant_get_by_ref(ref=spec.parent) if spec.parent else None
            result = tenant_provision(
                kind=spec.kind, country=spec.country, name=spec.name, domain=spec.domain,
                admin_email=demo_admin_email(spec.domain), admin_password=DEMO_PASSWORD, parent=parent,
                branding=Branding(display_name=spec.name, primary_colour=spec.primary, accent_colour=spec.accent,
                                  default_language=spec.language, support_email=f"support@{spec.domain}"))
            if stdout is not None:
                stdout.write(f"provisioned {spec.domain} in {result.seconds * 1000:.0f} ms ({result.schema_method})\n")
        with schema_context(Domain.objects.select_related("tenant").get(domain=spec.domain).tenant.schema_name):
            _ensure_password(demo_admin_email(spec.domain), DEMO_PASSWORD)
        lines.append(f"http://{spec.domain}:8000/  {spec.name}  {demo_admin_email(spec.domain)} / {DEMO_PASSWORD}")
    for dotted in getattr(settings, "DEMO_SEEDERS", []):
        extra = import_string(dotted)()
        lines.extend(extra or [])
    connection.set_schema_to_public()
    return lines
