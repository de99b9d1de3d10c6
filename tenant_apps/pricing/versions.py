"""The tenant's pricing cache version: bumped by every change of its price rules, settings or commission tiers.

A reseller brand prices over its operation's prices, so what it caches depends on both versions
(:func:`pricing_versions`). ``update()``/``bulk_create()`` send no signal: their callers bump it
(``services.price_rule_deactivate``, the commission-tier PUT).
"""

from __future__ import annotations

from shared_apps.core.cache_versions import bump_cache_version, cache_version

NAME = "pricing"


def pricing_changed(**_ignored) -> None:
    bump_cache_version(NAME)


def pricing_versions() -> str:
    """This tenant's version, and its parent operation's for a reseller brand."""
    from tenant_apps.agents.floats import current_tenant

    own = cache_version(NAME)
    tenant = current_tenant()
    parent = getattr(tenant, "parent", None) if tenant is not None else None
    if parent is not None and parent.schema_name != "public":
        return f"{own}.{cache_version(NAME, schema=parent.schema_name)}"
    return own


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import CommissionTier, PriceRule, PricingSettings

    for model in (PriceRule, PricingSettings, CommissionTier):
        post_save.connect(pricing_changed, sender=model, dispatch_uid=f"pricing-version-{model.__name__}-save")
        post_delete.connect(pricing_changed, sender=model, dispatch_uid=f"pricing-version-{model.__name__}-delete")
