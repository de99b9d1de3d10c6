"""Head office's consolidated tax report: every tenant schema's tax report for the period, and the totals.

Each tenant's figures are its own ledger's tax accounts (``tenant_apps.tax.selectors.tax_report``, read in
its schema through ``tenants.runner.for_each_tenant``); the totals add them per currency and tax account
(never across currencies: there is no exchange rate in a tax return). Console readers (``IsHeadOffice``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tenant_apps.accounts.permissions import IsHeadOffice
from tenant_apps.tax.periods import InvalidPeriod, parse_period
from tenant_apps.tax.render import as_csv, as_pdf, report_rows, totals_rows
from tenant_apps.tax.selectors import TaxReport, tax_report
from tenants.models import Tenant
from tenants.runner import for_each_tenant

from .access import console_requires
from .views import page


@dataclass(frozen=True)
class ConsolidatedTaxReport:
    date_from: date
    date_to: date
    tenants: list[tuple[Tenant, TaxReport]]
    totals: dict[tuple[str, str], int]  # (currency, tax account kind) -> owed, minor units

    def named(self) -> list[tuple[str, TaxReport]]:
        return [(tenant.schema_name, report) for tenant, report in self.tenants]


def consolidated_tax_report(*, date_from: date, date_to: date) -> ConsolidatedTaxReport:
    reports = for_each_tenant(lambda: tax_report(date_from=date_from, date_to=date_to))
    tenants = {tenant.schema_name: tenant for tenant in Tenant.objects.exclude(schema_name="public")}
    rows: list[tuple[Tenant, TaxReport]] = []
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    for schema, report in sorted(reports.items()):
        tenant = tenants.get(schema)
        if tenant is None:
            continue
        rows.append((tenant, report))
        for line in report.lines:
            totals[(line.currency, line.account_kind)] += line.net_minor
    return ConsolidatedTaxReport(date_from=date_from, date_to=date_to, tenants=rows, totals=dict(totals))


def _period(request) -> tuple[tuple[date, date], str]:
    try:
        return parse_period(request.GET), ""
    except InvalidPeriod as error:
        return parse_period({}), str(error.message)


@console_requires(IsHeadOffice)
@require_GET
def tax_page(request):
    (date_from, date_to), error = _period(request)
    report = consolidated_tax_report(date_from=date_from, date_to=date_to)
    totals = [(currency, kind, minor) for (currency, kind), minor in sorted(report.totals.items())]
    return page(request, "headoffice/tax.html", {
        "report": report, "totals": totals, "error": error,
        "query": f"from={date_from.isoformat()}&to={date_to.isoformat()}"})


def _file(report: ConsolidatedTaxReport, body, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    name = f"tax-consolidated-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@console_requires(IsHeadOffice)
@require_GET
def tax_csv(request):
    (date_from, date_to), _error = _period(request)
    report = consolidated_tax_report(date_from=date_from, date_to=date_to)
    rows = report_rows(report.named()) + totals_rows(report.totals)
    return _file(report, as_csv(rows), "text/csv; charset=utf-8", "csv")


@console_requires(IsHeadOffice)
@require_GET
def tax_pdf(request):
    (date_from, date_to), _error = _period(request)
    report = consolidated_tax_report(date_from=date_from, date_to=date_to)
    rows = report_rows(report.named()) + totals_rows(report.totals)
    body = as_pdf(title=_("Consolidated tax report"), date_from=date_from, date_to=date_to, rows=rows)
    return _file(report, body, "application/pdf", "pdf")
