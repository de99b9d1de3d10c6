"""The tenant's prices. For now one tenant-wide margin over provider cost.

Pricing rules per product and reseller cost come with the reseller issue; the
margin stays as the default rule.
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pricing settings")
        verbose_name_plural = _("pricing settings")
        constraints = [models.CheckConstraint(name="pricing_singleton", condition=models.Q(singleton=True))]

    def __str__(self) -> str:
        return f"margin {self.margin_bp / 100:g}%"
