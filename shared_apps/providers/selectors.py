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


def country_providers(*, country: str, data: dict) -> dict:
    """``/api/countries/<code>``: only providers and gateways that really exist for the country.

    ``providers``: the registry's usable rows there whose plugin really serves the country (names and
    what they sell, never credentials or URLs). ``gateways`` and ``rails``: the adapter's rails that a plugin
    implements for that country (a deployment override may name others: rails of the country we cannot
    use yet), plus cash at an agent, which needs no plugin.
    """
    from provider_plugins.registry import UnknownPlugin, get_plugin

    code = country.upper()

    def serves(key: str) -> bool:
        try:
            plugin = get_plugin(key)
        except UnknownPlugin:
            return False
        return not plugin.countries or code in plugin.countries

    rows = (Provider.objects.filter(country=code).exclude(status=ProviderStatus.DISABLED)
            .order_by("routing_priority", "name").values("name", "plugin_key", "capabilities", "status"))
    providers = [{"name": row["name"], "plugin": row["plugin_key"], "capabilities": sorted(row["capabilities"]),
                  "status": row["status"]} for row in rows if serves(row["plugin_key"])]
    rails = [rail for rail in data.get("rails", []) if rail.get("kind") == "agent" or serves(rail["key"])]
    return {**data, "providers": providers, "gateways": [key for key in data.get("gateways", []) if serves(key)],
            "rails": rails}
