"""Tax report API (operator finance and admins of this tenant): JSON, CSV and PDF of the same report."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from countries.fields import country_name
from shared_apps.core.api_scopes import ADMIN, api_key_scopes
from tenant_apps.accounts.permissions import IsOperatorFinance
from tenant_apps.ledger.currency import to_decimal_string

from .periods import parse_period
from .render import as_csv, as_pdf, report_rows
from .selectors import TaxReport, tax_report

PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: the 1st of this month)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: today)"),
]


def report_json(report: TaxReport) -> dict:
    return {
        "country": report.country, "country_name": country_name(report.country), "currency": report.currency,
        "from": report.date_from.isoformat(), "to": report.date_to.isoformat(),
        "lines": [{"code": line.code, "name": line.name, "account": line.account_kind, "rate": line.rate,
                   "currency": line.currency, "taxable_base": to_decimal_string(line.base_minor, line.currency),
                   "collected": to_decimal_string(line.collected_minor, line.currency),
                   "refunded": to_decimal_string(line.refunded_minor, line.currency),
                   "owed": to_decimal_string(line.net_minor, line.currency), "owed_minor": line.net_minor,
                   "entries": line.entries} for line in report.lines],
        "total_owed": to_decimal_string(report.total(), report.currency) if report.currency else "0",
        "total_owed_minor": report.total(),
    }


# What report_json returns, field for field ("from" is a Python keyword: an inline serializer's field map).
TAX_REPORT_BODY = inline_serializer(name="TaxReportBody", fields={
    "country": serializers.CharField(allow_blank=True),
    "country_name": serializers.CharField(allow_blank=True, help_text="In the request's language."),
    "currency": serializers.CharField(allow_blank=True),
    "from": serializers.DateField(),
    "to": serializers.DateField(),
    "lines": inline_serializer(name="TaxReportLineBody", many=True, fields={
        "code": serializers.CharField(), "name": serializers.CharField(), "account": serializers.CharField(),
        "rate": serializers.CharField(
            help_text='In the reader\'s language: "7.5 %", "₦50.00 from ₦10,000.00"; "7,5 %"...'),
        "currency": serializers.CharField(), "taxable_base": serializers.CharField(),
        "collected": serializers.CharField(), "refunded": serializers.CharField(), "owed": serializers.CharField(),
        "owed_minor": serializers.IntegerField(), "entries": serializers.IntegerField()}),
    "total_owed": serializers.CharField(),
    "total_owed_minor": serializers.IntegerField(),
})


def _filename(report: TaxReport, extension: str) -> str:
    return f"tax-{report.schema}-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{extension}"


def csv_response(report: TaxReport) -> HttpResponse:
    response = HttpResponse(as_csv(report_rows([(report.schema, report)])), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    return response


def pdf_response(report: TaxReport, *, title: str) -> HttpResponse:
    body = as_pdf(title=title, date_from=report.date_from, date_to=report.date_to,
                  rows=report_rows([(report.schema, report)]))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "pdf")}"'
    return response


def _report(request) -> TaxReport:
    date_from, date_to = parse_period(request.query_params)
    return tax_report(date_from=date_from, date_to=date_to)


@api_key_scopes(GET=ADMIN)
class TaxReportView(APIView):
    """GET /api/tax/report?from=&to=: taxes collected, refunded and owed per tax account (the ledger's)."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=TAX_REPORT_BODY)
    def get(self, request):
        return Response(report_json(_report(request)))


@api_key_scopes(GET=ADMIN)
class TaxReportCsvView(APIView):
    """GET /api/tax/report.csv: the same report as CSV."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        return csv_response(_report(request))


@api_key_scopes(GET=ADMIN)
class TaxReportPdfView(APIView):
    """GET /api/tax/report.pdf: the same report as PDF."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request):
        report = _report(request)
        return pdf_response(report, title=f"Tax report {report.schema}")
