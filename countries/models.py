"""Per-deployment overrides of a country adapter's defaults (public schema)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import WEST_AFRICA
from .defaults import default_adapter
from .fields import CountryField

TIER_LIMIT_KEYS = ("single_limit_minor", "daily_limit_minor", "max_balance_minor")


class CountryOverride(models.Model):
    """Head office turns a country on/off or changes its limits/VAT without a deploy.

    Empty fields mean "use the adapter's default". ``tier_limits`` maps a tier
    level to the limits that change, in minor units:
    ``{"1": {"single_limit_minor": 7500000, "daily_limit_minor": 10000000}}``.
    """

    country = CountryField(primary_key=True)
    enabled = models.BooleanField(default=True)
    vat_rate_bps = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(10_000)],
                                               help_text=_("VAT in basis points (7.5 % = 750)."))
    tier_limits = models.JSONField(default=dict, blank=True)
    gateways = models.JSONField(null=True, blank=True, help_text=_("Replaces the adapter's gateway list."))
    default_language = models.CharField(max_length=5, blank=True)
    note = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("country override")
        verbose_name_plural = _("country overrides")

    def __str__(self) -> str:
        return f"{self.country} override"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        adapter = default_adapter(self.country) if self.country in WEST_AFRICA else None
        levels = {str(t.level) for t in adapter.kyc_tiers} if adapter else set()
        if not isinstance(self.tier_limits, dict):
            errors.setdefault("tier_limits", []).append(_("Expected an object keyed by tier level."))
        else:
            for level, limits in self.tier_limits.items():
                if str(level) not in levels:
                    errors.setdefault("tier_limits", []).append(
                        _("Unknown KYC tier %(level)s.") % {"level": level})
                    continue
                if not isinstance(limits, dict) or any(
                        key not in TIER_LIMIT_KEYS or isinstance(value, bool) or not isinstance(value, int)
                        or value < 0 for key, value in limits.items()):
                    errors.setdefault("tier_limits", []).append(
                        _("Tier limits are non-negative integers of minor units (%(keys)s).") % {
                            "keys": ", ".join(TIER_LIMIT_KEYS)})
        if self.gateways is not None and (
                not isinstance(self.gateways, list) or not all(isinstance(g, str) and g for g in self.gateways)):
            errors.setdefault("gateways", []).append(_("Expected a list of gateway keys."))
        if self.default_language and self.default_language not in dict(settings.LANGUAGES):
            errors.setdefault("default_language", []).append(_("Unsupported language."))
        if errors:
            raise ValidationError(errors)

    def as_override(self) -> dict:
        return {"enabled": self.enabled, "vat_rate_bps": self.vat_rate_bps, "tier_limits": self.tier_limits or {},
                "gateways": self.gateways, "default_language": self.default_language}
