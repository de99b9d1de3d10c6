"""Writes of the tenant's pricing configuration (the API and the back office call these)."""

from __future__ import annotations

from django.utils.translation import gettext

from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import ApiError, NotFound
from tenant_apps.ledger.currency import tenant_currency

from .models import PriceRule, PricingSettings, RuleMode
from .versions import pricing_changed


def price_rule_create(*, mode: str, percent_bp: int | None = None, amount: str | None = None,
                      product_id: int | None = None, product_type: str = "", provider_id: int | None = None,
                      priority: int = 0) -> PriceRule:
    """A margin rule: ``percent_bp`` over cost, or a fixed ``amount`` (decimal string in the tenant currency)."""
    if mode == RuleMode.FIXED:
        if amount in (None, ""):
            raise ApiError(gettext("Required for a fixed rule."), code="validation_error",
                           fields={"amount": [gettext("Required.")]})
        # Signed (a fixed discount is negative); the money rule refuses extra decimals, exponents, spaces...
        value = parse_amount(amount, currency=tenant_currency().code, positive=False, allow_negative=True,
                             allow_zero=True)
    elif mode == RuleMode.PERCENT:
        if percent_bp is None:
            raise ApiError(gettext("Required for a percent rule."), code="validation_error",
                           fields={"percent_bp": [gettext("Required.")]})
        if not -10_000 <= percent_bp <= 100_000:
            raise ApiError(gettext("Out of range."), code="validation_error",
                           fields={"percent_bp": [gettext("Out of range.")]})
        value = percent_bp
    else:
        raise ApiError(gettext("Unknown mode."), code="validation_error", fields={"mode": [gettext("Unknown.")]})
    return PriceRule.objects.create(product_id=product_id, product_type=product_type or "", provider_id=provider_id,
                                    mode=mode, value=value, priority=priority or 0)


def price_rule_deactivate(*, rule_id: int) -> None:
    if not PriceRule.objects.filter(pk=rule_id, is_active=True).update(is_active=False):
        raise NotFound(gettext("No such rule."))
    pricing_changed()  # update() sends no signal


def pricing_settings_update(*, margin_bp: int | None = None, allow_below_cost: bool | None = None) -> PricingSettings:
    """Change the tenant's default margin and below-cost switch.

    A reseller brand prices above its cost (PRODUCT.md: its cost is the country operation's price, drawn from its
    float): ``allow_below_cost`` is the country operation's switch only, refused on a reseller's site
    (``400 below_cost_not_allowed``, nothing saved). The pricing engine ignores it for a reseller anyway."""
    from tenants.models import TenantKind

    from .engine import current_pricing_tenant

    tenant = current_pricing_tenant()
    if allow_below_cost and tenant is not None and tenant.kind == TenantKind.RESELLER_BRAND:
        raise ApiError(gettext("A reseller sells at or above its cost: prices below it are not allowed."),
                       code="below_cost_not_allowed",
                       fields={"allow_below_cost": [gettext("Only the country operation can allow this.")]})
    row, _ = PricingSettings.objects.get_or_create(singleton=True)
    if margin_bp is not None:
        row.margin_bp = margin_bp
    if allow_below_cost is not None:
        row.allow_below_cost = allow_below_cost
    row.save()
    return row
