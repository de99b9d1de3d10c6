from django.urls import path

from .admin_views import (
    CommissionTiersView,
    PriceRuleDetailView,
    PriceRulesView,
    PricingSettingsView,
    QuotePreviewView,
)
from .views import ProductListView

urlpatterns = [
    path("api/products", ProductListView.as_view(), name="product-list"),
    path("api/pricing/rules", PriceRulesView.as_view(), name="pricing-rules"),
    path("api/pricing/rules/<int:rule_id>", PriceRuleDetailView.as_view(), name="pricing-rule"),
    path("api/pricing/commission-tiers", CommissionTiersView.as_view(), name="pricing-tiers"),
    path("api/pricing/settings", PricingSettingsView.as_view(), name="pricing-settings"),
    path("api/pricing/quote", QuotePreviewView.as_view(), name="pricing-quote"),
]
