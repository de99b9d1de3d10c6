"""Product listings pulled from a provider for the catalog sync."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .common import ProviderConfig

__all__ = ["CatalogConnector", "ProductListing", "ProductType"]


class ProductType(enum.StrEnum):
    AIRTIME = "airtime"
    DATA = "data"
    ELECTRICITY = "electricity"
    CABLE_TV = "cable_tv"
    WATER = "water"
    EDUCATION = "education"  # exam PINs (WAEC, NECO, JAMB)
    INSURANCE = "insurance"  # third-party motor insurance


@dataclass(frozen=True)
class ProductListing:
    """One sellable product as the provider describes it (amounts in minor units).

    Fixed-price products set ``face_value_minor`` and ``cost_minor``. Open-amount
    products (airtime, electricity) set ``min_amount_minor``/``max_amount_minor``
    and ``cost_rate_bp``: what we pay per unit of face value, in basis points
    (9700 = we pay 97 for 100 of value).
    """

    provider_product_code: str
    product_type: ProductType
    name: str
    country: str
    currency: str
    operator: str = ""  # network or biller brand: "mtn", "glo", "ikeja-electric", "dstv"
    face_value_minor: int | None = None
    cost_minor: int | None = None
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    cost_rate_bp: int | None = None
    data_size_mb: int | None = None
    validity_days: int | None = None
    biller_code: str = ""
    customer_number_label: str = ""  # "Meter number", "Smartcard number"
    requires_verification: bool = False
    variation: str = ""  # meter type for electricity
    # Where the provider prices in another currency: {"rate": "605.50", "currency": "USD"} = local units
    # per unit of the provider's currency, as the provider quoted it. Stored on the product and the order.
    fx: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open_amount(self) -> bool:
        return self.face_value_minor is None


@runtime_checkable
class CatalogConnector(Protocol):
    def __init__(self, config: ProviderConfig) -> None: ...

    def list_products(self) -> list[ProductListing]: ...
