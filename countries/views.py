"""GET /api/countries and /api/countries/<code>, on the public domain and every tenant domain."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import countries_list, country_detail


class CountryListView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request) -> Response:
        return Response({"results": countries_list()})


class CountryDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request, code: str) -> Response:
        return Response(country_detail(code=code))
