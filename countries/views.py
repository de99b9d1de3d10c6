"""GET /api/countries and /api/countries/<code>, on the public domain and every tenant domain."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import countries_list, country_detail
from .serializers import CountryListSerializer, CountrySerializer


class CountryListView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=CountryListSerializer, summary="The countries this deployment serves",
                   operation_id="countries_list")
    def get(self, request: Request) -> Response:
        return Response({"results": countries_list()})


class CountryDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=CountrySerializer, summary="One country (404 unknown_country / country_not_enabled)")
    def get(self, request: Request, code: str) -> Response:
        data = country_detail(code=code)
        # Apps that know what the deployment really offers there (the provider registry) refine the
        # adapter's defaults; countries/ itself imports no other project package.
        for dotted in getattr(settings, "COUNTRY_DETAIL_EXTENDERS", ()):
            data = import_string(dotted)(country=data["code"], data=data)
        return Response(data)
