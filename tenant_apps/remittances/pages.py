"""Remittance pages: the customer's send form (a quote first), the quote to confirm, status and history;
the operator's review queue (release / reject), list and corridor pricing.

Thin views over ``remittances.services`` / ``selectors`` with the API's permission classes. Confirming a quote
moves money: it runs once per rendered form (``portal.once``); the review decisions are guarded by the
remittance's state under its row lock (409 on a repeat).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from countries.fields import country_choices, country_name
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import (
    IsOperatorAdmin,
    IsOperatorStaff,
    IsOperatorSupport,
    IsTenantUser,
    PhoneVerified,
)
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.portal.access import allowed, page_requires
from tenant_apps.portal.forms import StyledForm, choice_field
from tenant_apps.portal.once import OnceMixin, run_once, show_service_error
from tenant_apps.portal.shop_forms import AmountField, amount_minor

from . import selectors, services
from .fx import rate_text
from .models import Corridor, Method, Quote, Remittance, RemittanceStatus


class SendForm(StyledForm):
    destination_country = forms.ChoiceField(label=_("Country"))
    amount = AmountField(label=_("Amount to send (fee included)"), required=True)
    method = forms.ChoiceField(label=_("How the recipient gets it"), choices=Method.choices)
    sender_name = forms.CharField(label=_("Your name, as on your ID"), max_length=120)
    recipient_name = forms.CharField(label=_("Recipient's name"), max_length=120)
    recipient_phone = forms.CharField(label=_("Recipient's phone number"), max_length=32, required=False)
    rail = forms.CharField(label=_("Mobile-money operator (optional)"), max_length=40, required=False)
    bank_code = forms.CharField(label=_("Bank code"), max_length=20, required=False)
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "destination_country").choices = [
            (c.destination_country, country_name(c.destination_country))
            for c in Corridor.objects.filter(active=True)]


class ConfirmForm(OnceMixin, StyledForm):
    pass


class CorridorForm(StyledForm):
    destination_country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    margin_bps = forms.IntegerField(label=_("FX margin (basis points)"), min_value=0, max_value=4999)
    fee_bps = forms.IntegerField(label=_("Fee (basis points)"), min_value=0, max_value=4999)
    fee_fixed = AmountField(label=_("Fixed fee"))
    active = forms.BooleanField(label=_("Open"), required=False, initial=True)


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def send(request):
    form = SendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form, required=True)
        if amount is not None and not form.errors:
            data = form.cleaned_data
            try:
                quote = services.quote_create(
                    user=request.user, destination_country=data["destination_country"], send_minor=amount,
                    method=data["method"], sender_name=data["sender_name"], recipient_name=data["recipient_name"],
                    recipient_phone=data.get("recipient_phone", ""), rail=data.get("rail", ""),
                    bank_code=data.get("bank_code", ""), account_number=data.get("account_number", ""))
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect("portal:remittance-quote", public_id=quote.public_id)
    return _page(request, "remittances/send.html", {
        "form": form, "sent": selectors.remittances_of(user=request.user)[:50],
        "received": selectors.received_by(user=request.user)[:50]}, status=400 if form.errors else 200)


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def quote_page(request, public_id):
    quote = Quote.objects.filter(user=request.user, public_id=public_id).first()
    if quote is None:
        raise Http404
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        def accept() -> str:
            row = services.remittance_accept(user=request.user, quote_id=quote.public_id)
            return reverse("portal:remittance", args=[row.public_id])

        try:
            url, _replayed = run_once(request, form, accept)
        except ApiError as error:
            show_service_error(form, error)
        else:
            return redirect(url)
    return _page(request, "remittances/quote.html", {
        "quote": quote, "form": form, "rate": rate_text(quote.rate_e9), "expired": quote.expires_at <= timezone.now(),
        "used": Remittance.objects.filter(quote=quote).exists()}, status=400 if form.errors else 200)


@page_requires(IsTenantUser)
@require_GET
def status_page(request, public_id):
    row = selectors.remittance_of(user=request.user, public_id=public_id)
    if row is None:
        raise Http404
    from tenant_apps.portal.receipts import share_context

    return _page(request, "remittances/status.html", {"row": row, "rate": rate_text(row.rate_e9),
                                                      **share_context(request, "remittance", row.public_id)})


# --- back office -------------------------------------------------------------------------------------------

@page_requires(IsOperatorStaff)
@require_GET
def backoffice(request):
    wanted = request.GET.get("status", "")
    return _page(request, "remittances/backoffice.html", {
        "queue": selectors.review_queue()[:100],
        "rows": selectors.staff_list(status=wanted if wanted in RemittanceStatus.values else "")[:200],
        "statuses": RemittanceStatus.choices, "wanted": wanted, "can_decide": allowed(request, IsOperatorSupport)})


@page_requires(IsOperatorSupport)
@require_POST
def backoffice_decide(request, public_id, verdict: str):
    row = Remittance.objects.filter(public_id=public_id).first()
    if row is None or verdict not in ("release", "reject"):
        raise Http404
    decide = services.remittance_release if verdict == "release" else services.remittance_reject
    try:
        decide(actor=request.user, remittance=row, note=request.POST.get("note", "")[:200], request=request)
    except ApiError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, gettext("Released: the remittance is on its way.") if verdict == "release"
                         else gettext("Rejected: the sender was refunded."))
    return redirect("portal:backoffice-remittances")


@page_requires(IsOperatorStaff)
@require_http_methods(["GET", "POST"])
def backoffice_corridors(request):
    can_edit = allowed(request, IsOperatorAdmin)
    form = CorridorForm(request.POST if request.method == "POST" and can_edit else None)
    if form.is_bound and form.is_valid():
        fee_fixed = amount_minor(form, "fee_fixed") or 0
        if not form.errors:
            data = form.cleaned_data
            try:
                services.corridor_update(actor=request.user, destination_country=data["destination_country"],
                                         margin_bps=data["margin_bps"], fee_bps=data["fee_bps"],
                                         fee_fixed_minor=fee_fixed, active=data["active"], request=request)
            except ApiError as error:
                show_service_error(form, error)
            else:
                messages.success(request, gettext("Corridor saved."))
                return redirect("portal:backoffice-remittance-corridors")
    currency = tenant_currency().code
    corridors = [{"row": c, "country": country_name(c.destination_country)} for c in Corridor.objects.all()]
    return _page(request, "remittances/corridors.html", {"form": form, "corridors": corridors, "can_edit": can_edit,
                                                         "currency": currency}, status=400 if form.errors else 200)


def _page(request, template, context, *, status: int = 200):
    from tenant_apps.portal.views import page

    return page(request, template, context, status=status)
