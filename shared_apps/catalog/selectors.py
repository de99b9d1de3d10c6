"""Catalog reads used by the product listing and by purchases."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from shared_apps.providers.models import ProviderStatus

from .models import Product


def products_for_listing(*, country: str, product_type: str = "", provider: str = "",
                         q: str = "") -> QuerySet[Product]:
    """Active products of usable providers; ``provider`` is an id or a name, ``q`` searches every language."""
    queryset = (Product.objects.select_related("provider")
                .filter(country=country, is_active=True)
                .exclude(provider__status=ProviderStatus.DISABLED))
    if product_type:
        queryset = queryset.filter(product_type=product_type)
    if provider:
        queryset = queryset.filter(provider_id=int(provider)) if provider.isdigit() else \
            queryset.filter(provider__name__iexact=provider)
    if q:
        match = Q(operator__icontains=q)
        for code, _label in settings.LANGUAGES:
            match |= Q(**{f"name_{code.replace('-', '_')}__icontains": q})
        queryset = queryset.filter(match)
    return queryset.order_by("product_type", "provider__routing_priority", "face_value_minor",
                             "min_amount_minor", "id")
