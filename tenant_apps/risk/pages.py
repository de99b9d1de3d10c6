"""Back-office pages of the risk app (rules, decisions, the review queue) and the customer's device sign-out.

Same services, roles and audit trail as the API: staff read, operator admins edit rules, operator finance
releases or rejects held movements (the decision row's state, under its lock, refuses a second decision).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shared_apps.catalog.models import ProductType
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsOperatorFinance, IsOperatorStaff, IsTenantUser
from tenant_apps.portal.access import allowed, page_requires
from tenant_apps.portal.forms import StyledForm, apply_api_error
from tenant_apps.portal.views import page

from . import devices, review, selectors, services
from .models import Action, Flow, Outcome, ReviewStatus, RuleType, Scope


class RuleForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    rule_type = forms.ChoiceField(label=gettext_lazy("Kind of rule"), choices=RuleType.choices)
    flows = forms.MultipleChoiceField(label=gettext_lazy("Movements (none ticked: every outflow)"), required=False,
                                      choices=Flow.choices, widget=forms.CheckboxSelectMultiple)
    product_type = forms.ChoiceField(label=gettext_lazy("Purchases of"), required=False,
                                     choices=[("", gettext_lazy("Any product")), *ProductType.choices])
    scope = forms.ChoiceField(label=gettext_lazy("Counted"), choices=Scope.choices, initial=Scope.USER)
    window_minutes = forms.IntegerField(label=gettext_lazy("Window (minutes)"), required=False, min_value=0,
                                        max_value=services.MAX_WINDOW_SECONDS // 60)
    threshold_count = forms.IntegerField(label=gettext_lazy("Most movements allowed in the window"), required=False,
                                         min_value=0, max_value=1_000_000)
    threshold_amount = forms.CharField(label=gettext_lazy("Amount"), required=False, max_length=20,
                                       help_text=gettext_lazy("In the site's currency, e.g. 50000.00"))
    new_recipients_only = forms.BooleanField(label=gettext_lazy("Count movements to new recipients only"),
                                             required=False)
    action = forms.ChoiceField(label=gettext_lazy("Then"), choices=Action.choices)
    priority = forms.IntegerField(label=gettext_lazy("Priority (lowest first)"), initial=100, min_value=0,
                                  max_value=1_000_000)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("flows", "new_recipients_only", "is_active"):
            self.fields[name].widget.attrs["class"] = "h-5 w-5"

    @classmethod
    def initial_for(cls, rule) -> dict:
        data = selectors.rule_json(rule)
        return {**{key: data[key] for key in ("name", "rule_type", "flows", "product_type", "scope", "threshold_count",
                                            "new_recipients_only", "action", "priority", "is_active", "notes")},
                "window_minutes": rule.window_seconds // 60 or None, "threshold_amount": data["threshold_amount"] or ""}

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        minutes = data.pop("window_minutes")
        data["window_seconds"] = (minutes or 0) * 60
        return data


def _save_rule(request, form: RuleForm, rule=None):
    try:
        if rule is None:
            services.rule_create(actor=request.user, data=form.service_data(), request=request)
        else:
            services.rule_update(actor=request.user, rule=rule, data=form.service_data(), request=request)
    except ApiError as error:
        fields = dict(error.fields or {})
        if "window_seconds" in fields:
            fields["window_minutes"] = fields.pop("window_seconds")
        error.fields = fields
        apply_api_error(form, error)
        return None
    messages.success(request, _("The rule is saved. It applies to the next payment."))
    return redirect("risk:rules")


@page_requires(IsOperatorStaff)
@require_http_methods(["GET", "POST"])
def rules(request):
    can_edit = allowed(request, IsOperatorAdmin)
    form = RuleForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if form is None:  # not an admin
            return page(request, "portal/forbidden.html", status=403)
        if form.is_valid():
            answer = _save_rule(request, form)
            if answer is not None:
                return answer
    # The API's shape, plus the minor units the page formats (the ``money`` filter: ``₦50,000.00``).
    rules = [{**selectors.rule_json(rule), "threshold_amount_minor": rule.threshold_amount_minor}
             for rule in selectors.rules_list()]
    context = {"rules": rules, "form": form, "can_edit": can_edit}
    return page(request, "risk/rules.html", context, status=400 if form is not None and form.errors else 200)


@page_requires(IsOperatorAdmin)
@require_http_methods(["GET", "POST"])
def rule_edit(request, public_id):
    rule = selectors.rule_get(public_id)
    if rule is None:
        raise Http404
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.rule_delete(actor=request.user, rule=rule, request=request)
        messages.success(request, _("The rule is deleted. Its past decisions keep its name."))
        return redirect("risk:rules")
    form = RuleForm(request.POST or None, initial=RuleForm.initial_for(rule))
    if request.method == "POST" and form.is_valid():
        answer = _save_rule(request, form, rule)
        if answer is not None:
            return answer
    return page(request, "risk/rule.html", {"form": form, "rule": rule}, status=400 if form.errors else 200)


class DecisionFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Email, phone or reference"), required=False, max_length=100)
    outcome = forms.ChoiceField(label=gettext_lazy("Decision"), required=False,
                                choices=[("", gettext_lazy("All decisions")), *Outcome.choices])
    flow = forms.ChoiceField(label=gettext_lazy("Movement"), required=False,
                             choices=[("", gettext_lazy("All movements")), *Flow.choices])
    review = forms.ChoiceField(label=gettext_lazy("Review"), required=False,
                               choices=[("", gettext_lazy("Any")), *[c for c in ReviewStatus.choices if c[0]]])
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))


@page_requires(IsOperatorStaff)
def decisions(request):
    form = DecisionFilterForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    rows = Paginator(selectors.decisions_search(**filters), settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "rows": rows, "can_decide": allowed(request, IsOperatorFinance), "queue": False}
    if request.htmx and request.htmx.target == "decision-rows":
        return render(request, "risk/_decisions.html", context)
    return page(request, "risk/decisions.html", context)


@page_requires(IsOperatorStaff)
def reviews(request):
    rows = Paginator(selectors.decisions_search(review=ReviewStatus.PENDING),
                     settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"rows": rows, "can_decide": allowed(request, IsOperatorFinance), "queue": True}
    return page(request, "risk/reviews.html", context)


@page_requires(IsOperatorFinance)
@require_POST
def review_decide_page(request, public_id, verdict: str):
    """Same service, role and audit trail as ``POST /api/risk/decisions/<id>/release|reject`` (moves money)."""
    if verdict not in ("release", "reject"):
        raise Http404
    try:
        review.review_decide(public_id=public_id, release=verdict == "release", actor=request.user,
                             note=request.POST.get("note", "")[:200], request=request)
    except ApiError as error:
        messages.error(request, _("This movement was already decided.") if error.code == "review_closed"
                       else _(str(error.message)))
    else:
        messages.success(request, _("Released: the payment goes ahead.") if verdict == "release"
                         else _("Rejected: the money is back in the customer's wallet."))
    return redirect("risk:reviews")


@page_requires(IsTenantUser)
@require_POST
def device_sign_out_page(request, public_id):
    try:
        devices.device_sign_out(user=request.user, device_public_id=public_id, request=request)
    except ApiError:
        raise Http404 from None
    messages.success(request, _("That device is signed out."))
    return redirect("portal:profile")
