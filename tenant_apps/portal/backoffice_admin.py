"""Back office: pricing rules and reseller applications (operator admins, as in the API).

Pricing goes through ``pricing.services`` (the API's rule checks); applications
through ``agents.onboarding.application_approve`` / ``application_reject``
(provisioning, float, applicant notified).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from provider_plugins.interfaces.money import AmountError, parse_minor
from shared_apps.catalog.models import ProductType
from shared_apps.core.errors import ApiError
from shared_apps.providers.models import Provider
from tenant_apps.accounts.permissions import IsOperatorAdmin
from tenant_apps.agents import onboarding
from tenant_apps.agents.models import ApplicationStatus, ResellerApplication
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.pricing.models import PriceRule, PricingSettings, RuleMode
from tenant_apps.pricing.services import price_rule_create, price_rule_deactivate

from .access import page_requires
from .forms import StyledForm, apply_api_error, choice_field
from .views import page


class RuleForm(StyledForm):
    product_type = forms.ChoiceField(label=gettext_lazy("Product type"), required=False,
                                     choices=[("", gettext_lazy("All types")), *ProductType.choices])
    provider_id = forms.TypedChoiceField(label=gettext_lazy("Provider"), required=False, coerce=int, empty_value=None)
    mode = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[(RuleMode.PERCENT, gettext_lazy("Percent of cost")),
                                                           (RuleMode.FIXED, gettext_lazy("Fixed amount"))])
    value = forms.CharField(label=gettext_lazy("Margin"), max_length=20,
                            help_text=gettext_lazy("Percent: 2.5 means 2.5 %. Fixed: an amount, e.g. 50.00."))
    priority = forms.IntegerField(label=gettext_lazy("Priority"), required=False, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from tenants.connection import tenant_connection

        country = getattr(tenant_connection().tenant, "country", "")
        choice_field(self, "provider_id").choices = [("", gettext_lazy("All providers")), *Provider.objects.filter(
            country=country).order_by("name").values_list("pk", "name")]


def _rule_rows(currency: str) -> list[dict]:
    names = dict(Provider.objects.values_list("pk", "name"))
    rows = []
    for rule in PriceRule.objects.filter(is_active=True).order_by("-priority", "id"):
        provider = names.get(rule.provider_id, "") if rule.provider_id is not None else ""
        rows.append({"rule": rule, "provider": provider,
                     "margin": f"{rule.value / 100:g} %" if rule.mode == RuleMode.PERCENT
                     else to_decimal_string(rule.value, currency)})
    return rows


@page_requires(IsOperatorAdmin)
@require_http_methods(["GET", "POST"])
def pricing(request):
    form = RuleForm(request.POST or None)
    currency = tenant_currency().code
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        percent_bp = None
        if data["mode"] == RuleMode.PERCENT:
            try:  # "2.5" (or "2,5") % -> 250 bp, by the money rule's bounded grammar (never a Decimal power)
                percent_bp = parse_minor(data["value"].replace(",", ".").strip(), minor_digits=2, allow_negative=True)
            except AmountError:
                form.add_error("value", _("Enter a number."))
        if not form.errors:
            try:
                price_rule_create(mode=data["mode"], percent_bp=percent_bp,
                                  amount=data["value"] if data["mode"] == RuleMode.FIXED else None,
                                  product_type=data.get("product_type", ""), provider_id=data.get("provider_id"),
                                  priority=data.get("priority") or 0)
            except ApiError as error:
                apply_api_error(form, error)
                if "amount" in (error.fields or {}) or "percent_bp" in (error.fields or {}):
                    form.add_error("value", _("Enter a valid margin."))
            else:
                messages.success(request, _("Rule saved."))
                return redirect("portal:backoffice-pricing")
    settings_row = PricingSettings.objects.filter(singleton=True).first()
    return page(request, "portal/backoffice/pricing.html", {
        "form": form, "rows": _rule_rows(currency), "currency": currency,
        "default_margin": (settings_row.margin_bp if settings_row else 200) / 100,
    }, status=400 if form.errors else 200)


@page_requires(IsOperatorAdmin)
@require_POST
def pricing_delete(request, rule_id: int):
    try:
        price_rule_deactivate(rule_id=rule_id)
    except ApiError as error:
        messages.error(request, _(str(error.message)))
    else:
        messages.success(request, _("Rule removed."))
    return redirect("portal:backoffice-pricing")


@page_requires(IsOperatorAdmin)
def applications(request):
    status = request.GET.get("status", ApplicationStatus.PENDING)
    rows = ResellerApplication.objects.prefetch_related("documents").order_by("-created_at")
    if status in ApplicationStatus.values:
        rows = rows.filter(status=status)
    return page(request, "portal/backoffice/applications.html", {
        "rows": rows[:100], "status": status, "statuses": ApplicationStatus.choices})


@page_requires(IsOperatorAdmin)
@require_POST
def application_decide(request, public_id):
    decision = request.POST.get("decision")
    note = (request.POST.get("note") or "").strip()[:500]
    try:
        if decision == "approve":
            application = onboarding.application_approve(
                application_id=public_id, decided_by=request.user, note=note, request=request)
            messages.success(request, _("Approved: %(domain)s is ready.") % {"domain": application.domain})
        elif decision == "reject":
            onboarding.application_reject(application_id=public_id, decided_by=request.user, note=note)
            messages.success(request, _("Application rejected; the applicant is told why."))
        else:
            messages.error(request, _("Choose approve or reject."))
    except ApiError as error:
        messages.error(request, _(str(error.message)))
    return redirect("portal:backoffice-applications")
