"""``GET /api/products``: the catalog at this tenant's selling prices."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from countries.codes import is_west_african
from shared_apps.catalog.models import ProductType
from shared_apps.catalog.selectors import products_for_listing
from shared_apps.core.api_scopes import READ, api_key_scopes
from shared_apps.core.errors import ApiError
from tenants.connection import tenant_connection

from .engine import load_tenant_pricing
from .serializers import ProductQuerySerializer, ProductSerializer


class ProductPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@api_key_scopes(GET=READ)
class ProductListView(ListAPIView):
    permission_classes = [AllowAny]  # auth arrives with the accounts issue
    pagination_class = ProductPagination
    serializer_class = ProductSerializer

    def get_queryset(self):
        query = ProductQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        product_type = (params.get("type") or "").strip().lower()
        if product_type and product_type not in ProductType.values:
            raise ApiError(_("Unknown product type."), code="unknown_product_type",
                           fields={"type": [gettext("Use one of: %(choices)s.") % {
                               "choices": ", ".join(ProductType.values)}]})
        country = (params.get("country") or getattr(tenant_connection().tenant, "country", "") or "").strip().upper()
        if not country or not is_west_african(country):
            raise ApiError(_("Unknown country."), code="unknown_country",
                           fields={"country": [gettext("Use an ISO 3166-1 alpha-2 code of a West African country.")]})
        return products_for_listing(country=country, product_type=product_type,
                                    provider=(params.get("provider") or "").strip(),
                                    q=(params.get("q") or "").strip())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "pricing": load_tenant_pricing()}

    @extend_schema(
        summary="Products at this tenant's prices",
        parameters=[
            OpenApiParameter("type", str, enum=ProductType.values),
            OpenApiParameter("country", str, description="Defaults to the tenant's country."),
            OpenApiParameter("provider", str, description="Provider id or name"),
            OpenApiParameter("q", str, description="Search names (any language) and operator"),
        ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
