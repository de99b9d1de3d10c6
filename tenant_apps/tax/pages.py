"""Back-office page of the tax report (operator finance and admins): the table, with CSV and PDF downloads."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsOperatorFinance
from tenant_apps.portal.access import page_requires
from tenant_apps.portal.views import page
from tenants.connection import tenant_connection

from .periods import parse_period
from .selectors import tax_report
from .views import csv_response, pdf_response


def _period(request):
    try:
        return parse_period(request.GET), ""
    except ApiError as error:
        return parse_period({}), str(error.message)


@page_requires(IsOperatorFinance)
@require_GET
def report_page(request):
    (date_from, date_to), error = _period(request)
    report = tax_report(date_from=date_from, date_to=date_to)
    return page(request, "tax/report.html", {"report": report, "error": error,
                                             "query": f"from={date_from.isoformat()}&to={date_to.isoformat()}"})


@page_requires(IsOperatorFinance)
@require_GET
def report_csv(request):
    (date_from, date_to), _error = _period(request)
    return csv_response(tax_report(date_from=date_from, date_to=date_to))


@page_requires(IsOperatorFinance)
@require_GET
def report_pdf(request):
    (date_from, date_to), _error = _period(request)
    tenant = tenant_connection().tenant
    return pdf_response(tax_report(date_from=date_from, date_to=date_to),
                        title=_("Tax report: %(name)s") % {"name": getattr(tenant, "brand_name", tenant.schema_name)})
