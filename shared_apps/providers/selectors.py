"""Reads of the provider registry."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Provider, ProviderStatus


def providers_for(*, country: str, capability: str) -> QuerySet[Provider]:
    """Usable providers for a capability in a country, in routing order (active before degraded)."""
    return (Provider.objects.filter(country=country.upper(), capabilities__contains=[capability])
            .exclude(status=ProviderStatus.DISABLED)
            .order_by("status", "routing_priority", "name"))  # "active" sorts before "degraded"


def provider_ids_with_catalog() -> list[int]:
    return list(Provider.objects.exclude(status=ProviderStatus.DISABLED).values_list("pk", flat=True))
