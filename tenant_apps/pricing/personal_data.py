"""Pricing holds tenant settings only."""

from tenant_apps.privacy.registry import no_personal_data

from .models import CommissionTier, PriceRule, PricingSettings

for model in (PricingSettings, PriceRule, CommissionTier):
    no_personal_data(model, "tenant price settings, rules and commission tiers")
