"""The tenant's prices: rules over its cost, the default margin, agent commission tiers.

A country operation's cost is the provider cost; a reseller brand's cost is its
parent operation's selling price (tenant_apps.pricing.engine).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_MARGIN_BP = 200  # 2 %


class PricingSettings(models.Model):
    """A single row per tenant schema (``singleton`` is always True and unique)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    margin_bp = models.PositiveIntegerField(
        default=DEFAULT_MARGIN_BP, validators=[MaxValueValidator(10_000)],
        help_text=_("Margin over provider cost in basis points (200 = 2 %)."))
    allow_below_cost = models.BooleanField(
        default=False, help_text=_("Let rules and commissions price a sale below this tenant's cost."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pricing settings")
        verbose_name_plural = _("pricing settings")
        constraints = [models.CheckConstraint(name="pricing_singleton", condition=models.Q(singleton=True))]

    def __str__(self) -> str:
        return f"margin {self.margin_bp / 100:g}%"


class RuleMode(models.TextChoices):
    PERCENT = "percent", _("Percent of cost (basis points)")
    FIXED = "fixed", _("Fixed amount (minor units)")


class PriceRule(models.Model):
    """A margin over this tenant's cost for the products it matches.

    Scope: a product, or a product type and/or a provider, or everything (no scope). The most
    specific matching rule wins (product > provider+type > provider > type > all); ``priority``
    breaks ties between rules of the same specificity (higher wins), then the newest. Without any
    rule the tenant-wide ``PricingSettings.margin_bp`` applies.
    """

    product_id = models.BigIntegerField(null=True, blank=True, help_text=_("shared catalog product id"))
    product_type = models.CharField(max_length=16, blank=True)
    provider_id = models.BigIntegerField(null=True, blank=True, help_text=_("shared provider registry id"))
    mode = models.CharField(max_length=8, choices=RuleMode.choices)
    # percent: basis points over cost (150 = 1.5 %); fixed: minor units added to cost. Negative = discount
    # (still never below cost unless PricingSettings.allow_below_cost).
    value = models.BigIntegerField()
    priority = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["is_active"])]
        constraints = [
            models.CheckConstraint(name="pricing_rule_percent_range",
                                   condition=~models.Q(mode="percent") | models.Q(value__gte=-10_000,
                                                                                  value__lte=100_000)),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.value} ({self.scope})"

    @property
    def specificity(self) -> int:
        if self.product_id is not None:
            return 4
        if self.provider_id is not None and self.product_type:
            return 3
        if self.provider_id is not None:
            return 2
        if self.product_type:
            return 1
        return 0

    @property
    def scope(self) -> str:
        parts = [f"product={self.product_id}" if self.product_id is not None else "",
                 f"type={self.product_type}" if self.product_type else "",
                 f"provider={self.provider_id}" if self.provider_id is not None else ""]
        return ", ".join(part for part in parts if part) or "all"

    def matches(self, product) -> bool:
        if self.product_id is not None:
            return self.product_id == product.pk
        if self.product_type and self.product_type != product.product_type:
            return False
        return not (self.provider_id is not None and self.provider_id != product.provider_id)


class CommissionTier(models.Model):
    """Agent commission for one level of the selling agent's chain (1 = the seller, 2 = its parent, ...),
    in basis points of the sale price, paid out of this tenant's own margin."""

    level = models.PositiveSmallIntegerField(unique=True)
    rate_bp = models.PositiveIntegerField(validators=[MaxValueValidator(10_000)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["level"]
        constraints = [models.CheckConstraint(name="pricing_tier_level_positive", condition=models.Q(level__gte=1))]

    def __str__(self) -> str:
        return f"level {self.level}: {self.rate_bp} bp"
