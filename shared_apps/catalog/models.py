"""The shared catalog (public schema): what every tenant can sell, at provider cost."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from countries.fields import CountryField
from shared_apps.providers.models import Provider


class ProductType(models.TextChoices):
    AIRTIME = "airtime", _("Airtime")
    DATA = "data", _("Data bundle")
    ELECTRICITY = "electricity", _("Electricity")
    CABLE_TV = "cable_tv", _("Cable TV")
    WATER = "water", _("Water")
    EDUCATION = "education", _("Exam PINs")
    INSURANCE = "insurance", _("Insurance")


def product_type_label(code: str) -> str:
    """A product type in words in the active language (``electricity`` -> ``Électricité``); an unknown code as is."""
    try:
        return str(ProductType(code).label)
    except ValueError:
        return code


class Product(models.Model):
    """One sellable product of one provider.

    Fixed-price products (bundles, bouquets) have ``face_value_minor`` and
    ``cost_price_minor``; open-amount products (airtime, electricity) have a
    ``min/max_amount_minor`` range and ``cost_rate_bp`` (cost per 10 000 of face value).
    Rows are never deleted: a product the provider stops listing is *withdrawn*.
    """

    # modeltranslation swaps the default manager for a generated MultilingualManager the plugin cannot see.
    objects: ClassVar[models.Manager[Product]]
    _default_manager: ClassVar[models.Manager[Product]]
    # modeltranslation's per-language columns of ``name`` (shared_apps/catalog/translation.py).
    name_en: str | None
    name_fr: str | None
    name_pt: str | None

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="products")
    provider_product_code = models.CharField(max_length=100)
    product_type = models.CharField(max_length=16, choices=ProductType.choices)
    name = models.CharField(max_length=200)  # translated: name_en / name_fr / name_pt
    country = CountryField()
    currency = models.CharField(max_length=3)
    operator = models.CharField(max_length=60, blank=True)
    face_value_minor = models.BigIntegerField(null=True, blank=True)
    cost_price_minor = models.BigIntegerField(null=True, blank=True)
    min_amount_minor = models.BigIntegerField(null=True, blank=True)
    max_amount_minor = models.BigIntegerField(null=True, blank=True)
    cost_rate_bp = models.PositiveIntegerField(null=True, blank=True)
    data_size_mb = models.PositiveIntegerField(null=True, blank=True)
    validity_days = models.PositiveIntegerField(null=True, blank=True)
    biller_code = models.CharField(max_length=60, blank=True)
    customer_number_label = models.CharField(max_length=60, blank=True)
    requires_verification = models.BooleanField(default=False)
    variation = models.CharField(max_length=40, blank=True)
    # Where the provider prices in another currency, the rate it quoted: {"rate": "605.5", "currency": "USD"}
    # (local units per unit of the provider's currency). Copied onto each order for its receipt.
    provider_fx = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    translations_locked = models.BooleanField(
        default=False, help_text=_("Set when staff edit the French/Portuguese names: the sync keeps them."))
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "product_type", "provider_id", "face_value_minor", "id"]
        indexes = [
            models.Index(fields=["country", "provider"], name="product_country_provider"),
            models.Index(fields=["country", "product_type", "is_active"], name="product_country_type_active"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_product_code"], name="product_unique_code"),
            models.CheckConstraint(
                name="product_fixed_or_range",
                condition=(Q(face_value_minor__isnull=False, cost_price_minor__isnull=False)
                           | Q(min_amount_minor__isnull=False, max_amount_minor__isnull=False,
                               cost_rate_bp__isnull=False)),
            ),
            models.CheckConstraint(name="product_amounts_non_negative",
                                   condition=Q(face_value_minor__gte=0) | Q(face_value_minor__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.provider_product_code}]"

    @property
    def is_open_amount(self) -> bool:
        return self.face_value_minor is None
