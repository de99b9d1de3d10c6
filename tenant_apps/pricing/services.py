"""Writes of the tenant's pricing configuration (the API and the back office call these)."""

from __future__ import annotations

from django.utils.translation import gettext

from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import ApiError, NotFound
from tenant_apps.ledger.currency import tenant_currency

from .models import PriceRule, RuleMode
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
