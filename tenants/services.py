"""Tenant lifecycle: provision, suspend, reactivate.

Provisioning validates everything before touching the database, then creates
the tenant row, its schema, its domain and its first admin in one transaction:
PostgreSQL DDL is transactional, so a failure leaves no half-created schema.

With several clusters (``tenants.clusters``) a new tenant goes to the least
loaded one (a reseller brand to its parent's). On a cluster other than the
primary the schema and first admin are created in one transaction there, then
the tenant and domain rows on the primary; if those fail the schema is dropped
again, so no tenant row ever points at a missing schema.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from countries.codes import WEST_AFRICA

from . import clusters
from .models import SMS_SENDER_ID_RE, Domain, Tenant, TenantKind, TenantStatus
from .schema import RESERVED_SCHEMAS, SCHEMA_NAME_RE, create_tenant_schema, drop_schema, use_public_schema

HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
SUPPORTED_LANGUAGES = {"en", "fr", "pt", "ar"}


class TenantProvisioningError(ValueError):
    """A bad provisioning request; ``code`` is stable, ``field`` names the culprit."""

    def __init__(self, message: str, *, code: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Branding:
    display_name: str = ""
    logo_url: str = ""
    primary_colour: str = "#0B5FFF"
    accent_colour: str = "#FFB400"
    support_email: str = ""
    support_phone: str = ""
    default_language: str = ""
    sms_sender_id: str = ""


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    domain: Domain
    admin_email: str
    schema_method: str
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def schema_name_for_domain(domain: str) -> str:
    first_label = domain.split(".", 1)[0]
    return re.sub(r"[^a-z0-9]+", "_", first_label.lower()).strip("_")


def _default_language(country: str) -> str:
    francophone = {"BJ", "BF", "CI", "GN", "ML", "MR", "NE", "SN", "TG"}
    lusophone = {"CV", "GW"}
    return "fr" if country in francophone else "pt" if country in lusophone else "en"


def _validate(*, kind: str, country: str, name: str, domain: str, schema_name: str,
              parent: Tenant | None, admin_email: str, branding: Branding) -> None:
    if kind not in (TenantKind.COUNTRY_OPERATION, TenantKind.RESELLER_BRAND):
        raise TenantProvisioningError(
            f"Unknown tenant kind {kind!r}: use country_operation or reseller_brand.",
            code="invalid_kind", field="kind")
    if country not in WEST_AFRICA:
        raise TenantProvisioningError(
            f"Unknown country {country!r}: expected one of {', '.join(sorted(WEST_AFRICA))}.",
            code="unknown_country", field="country")
    if not name.strip():
        raise TenantProvisioningError("A tenant needs a name.", code="missing_name", field="name")
    if not HOSTNAME_RE.match(domain):
        raise TenantProvisioningError(f"{domain!r} is not a valid hostname.", code="invalid_domain", field="domain")
    if Domain.objects.filter(domain=domain).exists():
        raise TenantProvisioningError(f"The domain {domain!r} is already in use.", code="duplicate_domain",
                                      field="domain")
    if not SCHEMA_NAME_RE.match(schema_name) or schema_name in RESERVED_SCHEMAS or schema_name.startswith("pg_"):
        raise TenantProvisioningError(
            f"{schema_name!r} is not a usable schema name (lowercase letters, digits, underscores).",
            code="invalid_schema_name", field="schema_name")
    taken = Tenant.objects.filter(schema_name__iexact=schema_name).exists()
    if taken or schema_exists(schema_name, case_sensitive=False):
        raise TenantProvisioningError(f"The schema {schema_name!r} already exists.", code="duplicate_schema",
                                      field="schema_name")
    if kind == TenantKind.RESELLER_BRAND:
        if parent is None:
            raise TenantProvisioningError("A reseller brand needs a parent country operation.",
                                          code="missing_parent", field="parent")
        if parent.kind != TenantKind.COUNTRY_OPERATION:
            raise TenantProvisioningError("A reseller brand's parent must be a country operation.",
                                          code="invalid_parent", field="parent")
        if parent.country != country:
            raise TenantProvisioningError(
                f"The parent operation is in {parent.country}, not {country}: a reseller brand sells in its "
                "parent's country.", code="parent_country_mismatch", field="parent")
    elif parent is not None:
        raise TenantProvisioningError("A country operation has no parent.", code="unexpected_parent", field="parent")
    if "@" not in admin_email:
        raise TenantProvisioningError("The first admin needs a valid email address.", code="invalid_admin_email",
                                      field="admin_email")
    if branding.default_language and branding.default_language not in SUPPORTED_LANGUAGES:
        raise TenantProvisioningError(f"Unsupported language {branding.default_language!r}.",
                                      code="unsupported_language", field="default_language")
    if branding.sms_sender_id.strip() and not re.match(SMS_SENDER_ID_RE, branding.sms_sender_id.strip()):
        raise TenantProvisioningError("An SMS sender ID is 3 to 11 letters, digits or spaces, with a letter.",
                                      code="invalid_sms_sender_id", field="sms_sender_id")


def tenant_provision(*, kind: str, country: str, name: str, domain: str, admin_email: str,
                     admin_password: str | None = None, parent: Tenant | None = None,
                     schema_name: str | None = None, branding: Branding | None = None,
                     schema_method: str = "auto", database: str | None = None) -> ProvisionResult:
    """Create a tenant with its schema, primary domain and first ``operator_admin``.

    ``database``: the cluster to place it on (default: least loaded; a reseller brand: its parent's).
    """
    started = time.perf_counter()
    branding = branding or Branding()
    country = (country or "").upper()
    domain = (domain or "").strip().lower()
    schema_name = schema_name or schema_name_for_domain(domain)
    admin_email = admin_email.strip().lower()
    use_public_schema()
    _validate(kind=kind, country=country, name=name, domain=domain, schema_name=schema_name, parent=parent,
              admin_email=admin_email, branding=branding)
    database = _placement(database=database, parent=parent)
    timings: dict[str, float] = {}
    fields = dict(
        schema_name=schema_name, name=name.strip(), kind=kind, country=country, parent=parent,
        display_name=branding.display_name or name.strip(), logo_url=branding.logo_url,
        primary_colour=branding.primary_colour, accent_colour=branding.accent_colour,
        support_email=branding.support_email, support_phone=branding.support_phone,
        default_language=branding.default_language or _default_language(country), database=database,
        sms_sender_id=branding.sms_sender_id.strip(),
    )
    if database != clusters.HOME:
        return _provision_on_cluster(fields=fields, domain=domain, admin_email=admin_email,
                                     admin_password=admin_password, schema_method=schema_method, started=started)
    with transaction.atomic():
        tenant = Tenant.objects.create(**fields)
        mark = time.perf_counter()
        method = create_tenant_schema(schema_name, method=schema_method)
        timings["schema"] = time.perf_counter() - mark
        domain_row = Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
        mark = time.perf_counter()
        with tenant_context(tenant):
            get_user_model().objects.create_user(
                email=admin_email, password=admin_password, role="operator_admin", is_staff=True)
        timings["admin"] = time.perf_counter() - mark
    use_public_schema()
    return ProvisionResult(tenant=tenant, domain=domain_row, admin_email=admin_email, schema_method=method,
                           seconds=time.perf_counter() - started, timings=timings)


def _placement(*, database: str | None, parent: Tenant | None) -> str:
    chosen = database or clusters.cluster_for_new_tenant(parent=parent)
    if chosen not in clusters.cluster_aliases():
        raise TenantProvisioningError(
            f"Unknown database cluster {chosen!r}: expected one of {', '.join(clusters.cluster_aliases())}.",
            code="unknown_database", field="database")
    if parent is not None and chosen != parent.database:
        raise TenantProvisioningError(
            "A reseller brand lives on its parent operation's database cluster (floats move money between the "
            "two schemas in one transaction).", code="database_mismatch", field="database")
    return chosen


def _provision_on_cluster(*, fields: dict, domain: str, admin_email: str, admin_password: str | None,
                          schema_method: str, started: float) -> ProvisionResult:
    """Schema and first admin on another cluster (one transaction there), then the rows on the primary."""
    schema_name, database = fields["schema_name"], fields["database"]
    timings: dict[str, float] = {}
    tenant = Tenant(**fields)
    with clusters.on_cluster(database):
        if schema_exists(schema_name, case_sensitive=False):
            raise TenantProvisioningError(f"The schema {schema_name!r} already exists on {database}.",
                                          code="duplicate_schema", field="schema_name")
        with transaction.atomic():
            mark = time.perf_counter()
            method = create_tenant_schema(schema_name, method=schema_method)
            timings["schema"] = time.perf_counter() - mark
            mark = time.perf_counter()
            with tenant_context(tenant):
                get_user_model().objects.create_user(
                    email=admin_email, password=admin_password, role="operator_admin", is_staff=True)
            timings["admin"] = time.perf_counter() - mark
    try:
        with transaction.atomic():
            tenant.save(force_insert=True)
            domain_row = Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
    except Exception:
        with clusters.on_cluster(database):
            drop_schema(schema_name)
        raise
    clusters.forget_schema(schema_name)
    use_public_schema()
    return ProvisionResult(tenant=tenant, domain=domain_row, admin_email=admin_email, schema_method=method,
                           seconds=time.perf_counter() - started, timings=timings)


def ensure_public_tenant(*, domain: str = "localhost", name: str = "NexusTop Head Office") -> Tenant:
    """The head office tenant row for the public schema (idempotent)."""
    use_public_schema()
    tenant, _ = Tenant.objects.get_or_create(
        schema_name="public", defaults={"name": name, "kind": TenantKind.HEAD_OFFICE, "display_name": name})
    Domain.objects.get_or_create(domain=domain, defaults={"tenant": tenant, "is_primary": True})
    return tenant


def _routing_changed() -> None:
    """A queryset update() sends no post_save: drop the routing middleware's host cache explicitly."""
    from .middleware import clear_routing_cache

    clear_routing_cache()


def tenant_suspend(*, tenant: Tenant, reason: str) -> Tenant:
    if tenant.kind == TenantKind.HEAD_OFFICE:
        raise TenantProvisioningError("The head office cannot be suspended.", code="cannot_suspend_public")
    if not reason.strip():
        raise TenantProvisioningError("Give a reason for the suspension.", code="missing_reason", field="reason")
    Tenant.objects.filter(pk=tenant.pk).update(
        status=TenantStatus.SUSPENDED, suspended_at=timezone.now(), suspension_reason=reason.strip()[:255])
    _routing_changed()
    tenant.refresh_from_db()
    return tenant


def tenant_reactivate(*, tenant: Tenant) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.ACTIVE, suspended_at=None, suspension_reason="")
    _routing_changed()
    tenant.refresh_from_db()
    return tenant
