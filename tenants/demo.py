"""Demo tenants for `make run` (idempotent: running twice changes nothing).

Other apps add their own demo data through ``settings.DEMO_SEEDERS``: dotted
paths to callables run after the tenants exist, so this module never imports
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from tenants.connection import tenant_connection

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


_OPERATION = TenantKind.COUNTRY_OPERATION
DEMO_TENANTS = [
    DemoTenant("ng.localhost", "NexusTop Nigeria", _OPERATION, "NG", "#008751", "#F5B800", "en"),
    DemoTenant("sn.localhost", "NexusTop Sénégal", _OPERATION, "SN", "#00853F", "#E31B23", "fr"),
    DemoTenant("gh.localhost", "NexusTop Ghana", _OPERATION, "GH", "#006B3F", "#FCD116", "en"),
    DemoTenant("quickvend.localhost", "QuickVend", TenantKind.RESELLER_BRAND, "NG", "#6D28D9", "#F97316", "en",
               parent="ng.localhost"),
    # The other thirteen countries of West Africa: every one sells from its first start.
    DemoTenant("bj.localhost", "NexusTop Bénin", _OPERATION, "BJ", "#008751", "#E8112D", "fr"),
    DemoTenant("bf.localhost", "NexusTop Burkina Faso", _OPERATION, "BF", "#009E49", "#EF2B2D", "fr"),
    DemoTenant("cv.localhost", "NexusTop Cabo Verde", _OPERATION, "CV", "#003893", "#CF2027", "pt"),
    DemoTenant("ci.localhost", "NexusTop Côte d'Ivoire", _OPERATION, "CI", "#F77F00", "#009E60", "fr"),
    DemoTenant("gm.localhost", "NexusTop Gambia", _OPERATION, "GM", "#3A7728", "#0C1C8C", "en"),
    DemoTenant("gn.localhost", "NexusTop Guinée", _OPERATION, "GN", "#CE1126", "#009460", "fr"),
    DemoTenant("gw.localhost", "NexusTop Guiné-Bissau", _OPERATION, "GW", "#CE1126", "#009E49", "pt"),
    DemoTenant("lr.localhost", "NexusTop Liberia", _OPERATION, "LR", "#002868", "#BF0A30", "en"),
    DemoTenant("ml.localhost", "NexusTop Mali", _OPERATION, "ML", "#14B53A", "#CE1126", "fr"),
    DemoTenant("mr.localhost", "NexusTop Mauritanie", _OPERATION, "MR", "#006233", "#D01C1F", "fr"),
    DemoTenant("ne.localhost", "NexusTop Niger", _OPERATION, "NE", "#E05206", "#0DB02B", "fr"),
    DemoTenant("sl.localhost", "NexusTop Sierra Leone", _OPERATION, "SL", "#1EB53A", "#0072C6", "en"),
    DemoTenant("tg.localhost", "NexusTop Togo", _OPERATION, "TG", "#006A4E", "#D21034", "fr"),
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
    tenant_connection().set_schema_to_public()
    ensure_public_tenant(domain="localhost")
    user_model = get_user_model()
    if not user_model.objects.filter(email=HEAD_OFFICE_EMAIL).exists():
        user_model.objects.create_superuser(HEAD_OFFICE_EMAIL, DEMO_PASSWORD)
    _ensure_password(HEAD_OFFICE_EMAIL, DEMO_PASSWORD)
    port = getattr(settings, "DEMO_WEB_PORT", 8000)  # make run's web port (PORT)
    lines = [f"http://localhost:{port}/admin/  head office  {HEAD_OFFICE_EMAIL} / {DEMO_PASSWORD}"]
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
        lines.append(f"http://{spec.domain}:{port}/  {spec.name}  {demo_admin_email(spec.domain)} / {DEMO_PASSWORD}")
    for dotted in getattr(settings, "DEMO_SEEDERS", []):
        extra = import_string(dotted)()
        lines.extend(extra or [])
    tenant_connection().set_schema_to_public()
    return lines
