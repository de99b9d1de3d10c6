"""Back office: the dashboard's sales charts and the reconciliation report.

Charts read ``portal.analytics.sales_report`` (orders of this schema); money
figures (revenue, margin) only for finance and admins, as the wallet totals.
Reconciliation is read-only: ``wallet.selectors.ledger_discrepancies`` for this
schema, and, on a country operation, ``agents.floats`` for each reseller's float
(parent wallet vs the reseller's mirror).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsOperatorFinance
from tenant_apps.agents.floats import float_balances, reconcile_reseller_floats
from tenant_apps.agents.selectors import reseller_channel
from tenant_apps.wallet.funding_reviews import funding_in_suspense, funding_review_resolve, funding_reviews
from tenant_apps.wallet.selectors import ledger_discrepancies
from tenants.connection import selected_tenant, tenant_connection
from tenants.models import Tenant, TenantKind
from tenants.replica import reporting_reads

from .access import allowed, page_requires
from .analytics import bar_chart, rate_bars, sales_report, stacked_series
from .views import page


def sales_context(request) -> dict:
    """Extra context for the dashboard: the last 14 days as SVG charts (money only for finance)."""
    from shared_apps.core.templatetags.ui import money

    with reporting_reads():  # analytics: the replica when there is one
        report = sales_report(days=14)
    currency = report.currency
    charts = {
        "volume": bar_chart(report.days, value="orders", title=_("Orders per day")),
        "by_type": stacked_series(report.by_type_daily, value="orders", title=_("Orders per day by product type")),
        "daily_rate": bar_chart(report.days, value="success_percent", title=_("Success rate per day"),
                                colour="#059669", formatter=lambda pct: f"{pct} %", maximum=100),
        "provider_rate": rate_bars(report.by_provider, title=_("Success rate by provider")),
        "type_rate": rate_bars(report.by_type, title=_("Success rate by product type")),
    }
    if allowed(request, IsOperatorFinance):
        charts["revenue"] = bar_chart(report.days, value="revenue", title=_("Revenue per day"), colour="#059669",
                                      formatter=lambda minor: money(minor, currency))
        charts["margin"] = bar_chart(report.days, value="margin", title=_("Margin per day"), colour="#7c3aed",
                                     formatter=lambda minor: money(minor, currency))
    legend = [(name, colour) for name, colour in zip(report.by_type_daily, ("#2563eb", "#059669", "#d97706",
                                                                             "#7c3aed", "#dc2626", "#0891b2"),
                                                     strict=False)]
    context: dict = {"sales": report, "charts": charts, "legend": legend}
    if allowed(request, IsOperatorFinance):
        # A country operation's resellers sell from their floats: those sales are not in its orders, their margin
        # is in its books. Shown beside its own, with the total.
        # The same 14 days as the orders' report (from the start of its first day).
        since = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=13), time.min))
        with reporting_reads():
            channel = reseller_channel(since=since)
        resellers_margin = sum(row.margin_minor for row in channel)
        context.update(resellers=channel, resellers_margin=resellers_margin,
                       margin_with_resellers=report.totals.margin + resellers_margin)
    return context


@page_requires(IsOperatorFinance)
def reconciliation(request):
    tenant = selected_tenant()
    ledger = ledger_discrepancies()
    floats, float_problems = [], []
    if tenant.kind == TenantKind.COUNTRY_OPERATION:
        resellers = Tenant.objects.filter(kind=TenantKind.RESELLER_BRAND, parent=tenant).order_by("schema_name")
        floats = [{"tenant": reseller, "balances": float_balances(reseller=reseller)} for reseller in resellers]
        schemas = {reseller.schema_name for reseller in resellers}
        float_problems = [row for row in reconcile_reseller_floats() if row["reseller"] in schemas]
        tenant_connection().set_tenant(tenant)
    elif tenant.kind == TenantKind.RESELLER_BRAND:
        floats = [{"tenant": tenant, "balances": float_balances(reseller=tenant)}]
        float_problems = [row for row in reconcile_reseller_floats() if row["reseller"] == tenant.schema_name]
        tenant_connection().set_tenant(tenant)
    reviews = [{"intent": intent, "held": funding_in_suspense(intent)} for intent in funding_reviews()]
    return page(request, "portal/backoffice/reconciliation.html", {
        "ledger": ledger, "floats": floats, "float_problems": float_problems, "reviews": reviews,
        "all_clear": not ledger and not float_problems})


@page_requires(IsOperatorFinance)
@require_POST
def funding_review_resolve_page(request, public_id):
    """Same service, role, lock and audit trail as ``POST /api/wallet/funding-reviews/<id>/resolve`` (it moves
    money: a second decision is refused by the intent's state, under its row lock)."""
    action = request.POST.get("action", "")
    try:
        funding_review_resolve(actor=request.user, public_id=public_id, action=action,
                               note=request.POST.get("note", "")[:255],
                               refund_reference=request.POST.get("gateway_refund_reference", "")[:100],
                               request=request)
    except ApiError as exc:
        messages.error(request, _(str(exc.message)))
    else:
        messages.success(request, _("Credited to the customer's wallet.") if action == "credit"
                         else _("Recorded as refunded at the gateway."))
    return redirect("portal:backoffice-reconciliation")
