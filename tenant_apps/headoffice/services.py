"""Head-office writes made from the console: each one validated, then done and audited together.

Tenant lifecycle goes through ``tenants.services``; provider credentials
through ``shared_apps.providers.services`` (encrypted, never echoed). The
platform audit lives in the public schema (``tenant_apps.audit`` is one of the
two apps installed in both public and tenant schemas, with ``accounts``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from shared_apps.catalog.versions import catalog_changed
from shared_apps.providers.models import Provider, ProviderStatus
from shared_apps.providers.services import provider_set_credentials, require_credentials_for_new_host
from tenant_apps.audit.services import audit_record
from tenants.middleware import clear_routing_cache
from tenants.models import Tenant, hex_colour, sms_sender_id
from tenants.services import (
    Branding,
    ProvisionResult,
    TenantProvisioningError,
    tenant_provision,
    tenant_reactivate,
    tenant_suspend,
)


class ConsoleAction:
    """Audit action names of the console (free-form strings in the audit table)."""

    TENANT_PROVISIONED = "tenant_provisioned"
    TENANT_SUSPENDED = "tenant_suspended"
    TENANT_REACTIVATED = "tenant_reactivated"
    TENANT_BRANDING_CHANGED = "tenant_branding_changed"
    PROVIDER_UPDATED = "provider_updated"
    PROVIDER_CREDENTIALS_SET = "provider_credentials_set"


BRANDING_FIELDS = ("display_name", "logo_url", "primary_colour", "accent_colour", "support_email", "support_phone",
                   "default_language", "sms_sender_id")


def _check_branding(branding: Branding) -> None:
    for name in ("primary_colour", "accent_colour"):
        try:
            hex_colour(getattr(branding, name))
        except ValidationError:
            raise TenantProvisioningError("Use a #RRGGBB colour.", code="invalid_colour", field=name) from None
    languages = {code for code, _name in settings.LANGUAGES}
    if branding.default_language and branding.default_language not in languages:
        raise TenantProvisioningError("Unsupported language.", code="unsupported_language", field="default_language")
    try:
        if branding.sms_sender_id.strip():
            sms_sender_id(branding.sms_sender_id.strip())
    except ValidationError:
        raise TenantProvisioningError("An SMS sender ID is 3 to 11 letters, digits or spaces, with a letter.",
                                      code="invalid_sms_sender_id", field="sms_sender_id") from None


def console_tenant_create(*, actor: Any, kind: str, country: str, name: str, domain: str, admin_email: str,
                          admin_password: str | None, parent: Tenant | None, branding: Branding,
                          request: Any = None) -> ProvisionResult:
    _check_branding(branding)
    result = tenant_provision(kind=kind, country=country, name=name, domain=domain, admin_email=admin_email,
                              admin_password=admin_password or None, parent=parent, branding=branding)
    audit_record(action=ConsoleAction.TENANT_PROVISIONED, request=request, actor=actor, subject_type="tenant",
                 subject_id=result.tenant.schema_name,
                 details={"domain": result.domain.domain, "kind": kind, "country": result.tenant.country,
                          "schema_method": result.schema_method})
    return result


def console_tenant_branding(*, actor: Any, tenant: Tenant, branding: Branding, request: Any = None) -> Tenant:
    _check_branding(branding)
    values = {name: getattr(branding, name) for name in BRANDING_FIELDS}
    values["display_name"] = values["display_name"].strip() or tenant.name
    values["default_language"] = values["default_language"] or tenant.default_language
    values["sms_sender_id"] = values["sms_sender_id"].strip()
    changed = sorted(name for name, value in values.items() if getattr(tenant, name) != value)
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).update(**values)
        clear_routing_cache()  # update() sends no post_save
        audit_record(action=ConsoleAction.TENANT_BRANDING_CHANGED, request=request, actor=actor,
                     subject_type="tenant", subject_id=tenant.schema_name, details={"changed": changed})
    tenant.refresh_from_db()
    return tenant


def console_tenant_suspend(*, actor: Any, tenant: Tenant, reason: str, request: Any = None) -> Tenant:
    with transaction.atomic():
        tenant = tenant_suspend(tenant=tenant, reason=reason)
        audit_record(action=ConsoleAction.TENANT_SUSPENDED, request=request, actor=actor, subject_type="tenant",
                     subject_id=tenant.schema_name, details={"reason": tenant.suspension_reason})
    return tenant


def console_tenant_reactivate(*, actor: Any, tenant: Tenant, request: Any = None) -> Tenant:
    with transaction.atomic():
        tenant = tenant_reactivate(tenant=tenant)
        audit_record(action=ConsoleAction.TENANT_REACTIVATED, request=request, actor=actor, subject_type="tenant",
                     subject_id=tenant.schema_name)
    return tenant


def parse_credentials(text: str) -> dict[str, str]:
    """``key=value`` lines to a dict; raises ValueError naming the bad line number (never its content)."""
    credentials: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Line {number} is not key=value.")
        credentials[key.strip()] = value.strip()
    return credentials


def console_provider_update(*, actor: Any, provider: Provider, status: str, routing_priority: int,
                            base_url: str, timeout_seconds: int, credentials: dict[str, str] | None,
                            request: Any = None) -> Provider:
    """Change a provider's routing fields; new credentials replace the old ones (blank: keep them)."""
    if status not in ProviderStatus.values:
        raise ValueError("Unknown status.")
    require_credentials_for_new_host(current_url=provider.base_url, new_url=base_url, new_credentials=credentials)
    with transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(status=status, routing_priority=routing_priority,
                                                       base_url=base_url, timeout_seconds=timeout_seconds)
        catalog_changed()  # update() sends no signal: cached storefronts follow the provider's status
        provider.refresh_from_db()
        audit_record(action=ConsoleAction.PROVIDER_UPDATED, request=request, actor=actor, subject_type="provider",
                     subject_id=str(provider.pk),
                     details={"status": status, "routing_priority": routing_priority, "base_url": base_url})
        if credentials:
            provider_set_credentials(provider=provider, credentials=credentials)
            # Only the key names are recorded: secrets never reach the audit trail.
            audit_record(action=ConsoleAction.PROVIDER_CREDENTIALS_SET, request=request, actor=actor,
                         subject_type="provider", subject_id=str(provider.pk),
                         details={"keys": sorted(credentials)})
    return provider


def console_product_update(*, actor: Any, product: Any, name_fr: str, name_pt: str, is_active: bool,
                           request: Any = None) -> Any:
    """Staff edit a catalog product: translated names (then locked against the sync) and on/off sale; audited."""
    with transaction.atomic():
        changes = {"name_fr": name_fr.strip()[:200], "name_pt": name_pt.strip()[:200], "is_active": is_active,
                   "translations_locked": True}
        type(product).objects.filter(pk=product.pk).update(**changes)
        catalog_changed()  # update() sends no signal: cached storefronts follow names and availability
        product.refresh_from_db()
        audit_record(action="product_updated", request=request, actor=actor, subject_type="product",
                     subject_id=str(product.pk), details=changes)
    return product
