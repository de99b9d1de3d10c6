"""The current tenant's country adapter (phone numbering, KYC schemes and tiers)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext

from countries.errors import InvalidPhoneNumber
from countries.registry import get_adapter
from shared_apps.core.errors import ApiError


def current_country() -> str:
    """The country of the schema in use (works in requests and in ``schema_context``)."""
    tenant = getattr(connection, "tenant", None)
    country = getattr(tenant, "country", "")
    if country:
        return country
    from tenants.models import Tenant

    schema = getattr(connection, "schema_name", "public")
    return Tenant.objects.filter(schema_name=schema).values_list("country", flat=True).first() or ""


def current_adapter() -> Any:
    country = current_country()
    if not country:
        raise ApiError(gettext("This site does not serve a country."), code="no_country", status_code=404)
    return get_adapter(country)


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 for the tenant's country; a 400 with a field error otherwise."""
    try:
        return current_adapter().normalize_phone(raw or "")
    except InvalidPhoneNumber as exc:
        raise ApiError(code="validation_error", message=gettext("Some fields are invalid."),
                       fields={field: [str(exc) or "Enter a valid phone number."]},
                       status_code=400) from None
