"""Merchant pages on every tenant domain: pay a merchant (customer), the business dashboard (merchant), the
business-KYC queue and category fees (operator back office).

Thin views over the API's services (``merchants.services``) and selectors; permissions are the API's
classes (``portal.access.page_requires``); money-moving forms run once per rendered form
(``portal.once.run_once``): a double submit never pays or refunds twice.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import (
    IsOperatorAdmin,
    IsOperatorStaff,
    IsOperatorSupport,
    IsTenantUser,
    PhoneVerified,
)
from tenant_apps.portal.access import allowed, page_requires
from tenant_apps.portal.forms import StyledForm, choice_field
from tenant_apps.portal.once import OnceMixin, run_once, show_service_error
from tenant_apps.portal.shop_forms import AmountField, amount_minor
from tenant_apps.portal.views import page

from . import selectors, services
from .models import Merchant, MerchantCategory, MerchantPayment, MerchantStatus, SettlementMethod
from .qrcode import qr_svg

# --- customer: pay a merchant --------------------------------------------------------------------


class PayForm(OnceMixin, StyledForm):
    merchant_code = forms.CharField(label=_("Merchant code"), max_length=8, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                                    help_text=_("The 8 digits shown at the till."))
    qr = forms.CharField(label=_("Or the scanned QR code"), max_length=512, required=False,
                         widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}))
    amount = AmountField()
    note = forms.CharField(label=_("Note for the merchant"), max_length=140, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (its stub allows None)
        if bool((data.get("merchant_code") or "").strip()) == bool((data.get("qr") or "").strip()):
            raise forms.ValidationError(gettext("Enter the merchant code or scan its QR code."))
        return data


def _payee(form: PayForm) -> services.Payee:
    data = form.cleaned_data
    if (data.get("qr") or "").strip():
        return services.payee_from_qr(data["qr"])
    return services.payee_from_code(data["merchant_code"])


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def pay(request):
    """Step 1 shows whom the code pays (and the amount a dynamic QR sets); step 2 pays, once."""
    form = PayForm(request.POST or None, initial={"merchant_code": request.GET.get("code", "")[:8]})
    payee = None
    if request.method == "POST" and form.is_valid():
        try:
            payee = _payee(form)
        except ApiError as error:
            show_service_error(form, error)
        else:
            amount = payee.amount_minor if payee.amount_minor is not None else amount_minor(form, required=True)
            if not form.errors and not form.cleaned_data.get("confirm"):
                data = {**form.cleaned_data, "confirm": True}
                if payee.amount_minor is not None:
                    data["amount"] = ""
                form = PayForm(initial=data)
                form.fields["idempotency_key"].initial = data["idempotency_key"]
            elif not form.errors:
                def execute() -> str:
                    payment = services.merchant_pay(payer=request.user, payee=payee, amount_minor=amount,
                                                    note=form.cleaned_data.get("note", ""))
                    return reverse("portal:merchant-payment", args=[payment.public_id])

                try:
                    url, _replayed = run_once(request, form, execute)
                except ApiError as error:
                    show_service_error(form, error)
                else:
                    return redirect(url)
    return page(request, "merchants/pay.html", {"form": form, "payee": payee,
                                                "confirming": bool(form.initial.get("confirm"))},
                status=400 if form.errors else 200)


@page_requires(IsTenantUser)
@require_GET
def payments(request):
    rows = selectors.payments_by_payer(payer=request.user)[:50]
    return page(request, "merchants/payments.html", {"rows": rows})


@page_requires(IsTenantUser)
@require_GET
def payment_receipt(request, public_id):
    payment = selectors.payments_by_payer(payer=request.user).filter(public_id=public_id).first()
    if payment is None:
        raise Http404
    return page(request, "merchants/receipt.html", {"payment": payment, "refunds": payment.refunds.all()})


# --- merchant: register, dashboard, QR, refunds, CSV -------------------------------------------------

class RegisterForm(StyledForm):
    business_name = forms.CharField(label=_("Business name"), max_length=100)
    category = forms.ChoiceField(label=_("Kind of business"))
    city = forms.CharField(label=_("Town or city"), max_length=60)
    address = forms.CharField(label=_("Address"), max_length=200)
    registration_number = forms.CharField(label=_("Registration number (if registered)"), max_length=40,
                                          required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "category").choices = [(c.code, gettext(c.name))
                                           for c in MerchantCategory.objects.filter(active=True)]


class SettlementForm(StyledForm):
    method = forms.ChoiceField(label=_("Pay my takings"), choices=SettlementMethod.choices)
    bank_code = forms.CharField(label=_("Bank code"), max_length=20, required=False)
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    rail = forms.CharField(label=_("Mobile-money service"), max_length=40, required=False)


class RequestForm(StyledForm):
    amount = AmountField(required=True)
    bill_number = forms.CharField(label=_("Bill or table number"), max_length=25, required=False)


class RefundForm(OnceMixin, StyledForm):
    amount = AmountField(help_text=_("Leave empty to refund everything not yet refunded."))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class HistoryForm(StyledForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _first_business(request) -> Merchant | None:
    return selectors.merchants_of(owner=request.user).first()


def _business(request, public_id) -> Merchant:
    merchant = selectors.merchants_of(owner=request.user).filter(public_id=public_id).first()
    if merchant is None:
        raise Http404
    return merchant


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def business(request, public_id=None):
    """Register a business (no business yet), else its dashboard: today's takings, the QR code to print,
    a QR for one amount, history with CSV export, settlements and where they are paid."""
    merchant = _business(request, public_id) if public_id is not None else _first_business(request)
    if merchant is None:
        form = RegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                merchant = services.merchant_register(owner=request.user, request=request, **{
                    key: form.cleaned_data[key] for key in ("business_name", "city", "address",
                                                             "registration_number")},
                    category_code=form.cleaned_data["category"])
            except ApiError as error:
                show_service_error(form, error)
            else:
                messages.success(request, gettext("Your business is registered. It can take payments once we have "
                                            "checked its details."))
                return redirect("portal:business")
        return page(request, "merchants/register.html", {"form": form}, status=400 if form.errors else 200)
    return _dashboard(request, merchant)


def _dashboard(request, merchant: Merchant, **extra):
    history_form = HistoryForm(request.GET or None)
    filters = history_form.cleaned_data if history_form.is_valid() else {}
    rows = selectors.payments_for_merchant(merchant=merchant, date_from=filters.get("date_from"),
                                           date_to=filters.get("date_to"))[:50]
    merchant.account.refresh_from_db(fields=["balance"])
    context = {
        "merchant": merchant, "today": selectors.takings_for_day(merchant=merchant), "rows": rows,
        "history_form": history_form, "csv_query": request.GET.urlencode(),
        "settlements": [services.settlement_sync(settlement=row)
                        for row in selectors.settlements_of(merchant=merchant)[:10]],
        "request_form": extra.pop("request_form", None) or RequestForm(),
        "settlement_form": extra.pop("settlement_form", None) or SettlementForm(initial={
            "method": merchant.settlement_method, "bank_code": merchant.settlement_bank_code,
            "account_number": merchant.settlement_account_number, "rail": merchant.settlement_rail}),
        **extra,
    }
    if merchant.status == MerchantStatus.ACTIVE:
        context["qr_svg"] = qr_svg(services.merchant_static_qr(merchant=merchant))
    status = 400 if any(getattr(f, "errors", None) for f in (context["request_form"], context["settlement_form"])) \
        else 200
    return page(request, "merchants/dashboard.html", context, status=status)


@page_requires(IsTenantUser, PhoneVerified)
@require_POST
def business_request(request, public_id):
    """A QR code for one payment of an amount (dynamic: paid once, expires)."""
    merchant = _business(request, public_id)
    form = RequestForm(request.POST)
    dynamic = None
    if form.is_valid():
        amount = amount_minor(form, required=True)
        if amount is not None and not form.errors:
            try:
                payment_request = services.payment_request_create(
                    merchant=merchant, actor=request.user, amount_minor=amount,
                    bill_number=form.cleaned_data.get("bill_number", ""))
            except ApiError as error:
                show_service_error(form, error)
            else:
                payload = services.payment_request_qr(payment_request=payment_request)
                dynamic = {"request": payment_request, "payload": payload, "svg": qr_svg(payload)}
    return _dashboard(request, merchant, request_form=form, dynamic=dynamic)


@page_requires(IsTenantUser, PhoneVerified)
@require_POST
def business_settlement(request, public_id):
    merchant = _business(request, public_id)
    form = SettlementForm(request.POST)
    if form.is_valid():
        try:
            services.merchant_update_settlement(merchant=merchant, actor=request.user, request=request,
                                                settlement=services.SettlementDetails(**form.cleaned_data))
        except ApiError as error:
            show_service_error(form, error)
        else:
            messages.success(request, gettext("Settlement details saved."))
            return redirect("portal:business-detail", public_id=merchant.public_id)
    return _dashboard(request, merchant, settlement_form=form)


@page_requires(IsTenantUser)
@require_GET
def business_csv(request, public_id):
    merchant = _business(request, public_id)
    form = HistoryForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    payments_qs = selectors.payments_for_merchant(merchant=merchant, date_from=filters.get("date_from"),
                                                  date_to=filters.get("date_to"))
    response = StreamingHttpResponse(selectors.payments_csv(payments_qs.iterator(chunk_size=500)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payments-{merchant.code}.csv"'
    return response


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def business_payment(request, public_id, payment_id):
    """One payment received, its refunds, and the refund form (partial or full, once per form)."""
    merchant = _business(request, public_id)
    payment = MerchantPayment.objects.filter(merchant=merchant, public_id=payment_id).select_related("payer").first()
    if payment is None:
        raise Http404
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form)
        if not form.errors:
            def execute() -> str:
                services.payment_refund(actor=request.user, payment=payment, amount_minor=amount,
                                        reason=form.cleaned_data.get("reason", ""), request=request)
                return reverse("portal:business-payment", args=[merchant.public_id, payment.public_id]) + "?refunded=1"

            try:
                url, _replayed = run_once(request, form, execute)
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect(url)
    if request.GET.get("refunded"):
        messages.success(request, gettext("Refund sent to the customer's wallet."))
    return page(request, "merchants/business_payment.html", {
        "merchant": merchant, "payment": payment, "refunds": payment.refunds.all(), "form": form,
        "payer": selectors.masked_phone(payment.payer.phone or "")}, status=400 if form.errors else 200)


# --- operator back office ------------------------------------------------------------------------------

@page_requires(IsOperatorStaff)
@require_GET
def backoffice_merchants(request):
    status = request.GET.get("status", MerchantStatus.PENDING)
    if status not in MerchantStatus.values:
        status = MerchantStatus.PENDING
    # (merchant, its owner's KYC tier)
    rows = [(merchant, selectors.owner_verification(merchant))
            for merchant in selectors.merchants_for_review(status=status)[:100]]
    return page(request, "merchants/backoffice_merchants.html", {
        "rows": rows, "status": status,
        "statuses": MerchantStatus.choices, "can_decide": allowed(request, IsOperatorSupport)})


@page_requires(IsOperatorSupport)
@require_POST
def backoffice_merchant_decide(request, public_id):
    merchant = Merchant.objects.filter(public_id=public_id).first()
    action = request.POST.get("action", "")
    if merchant is None or action not in ("approve", "reject", "suspend", "reactivate"):
        raise Http404
    try:
        services.merchant_decide(reviewer=request.user, merchant=merchant, action=action,
                                 note=request.POST.get("note", "")[:255], request=request)
    except ApiError as error:
        messages.error(request, gettext(str(error.message)))
    else:
        messages.success(request, gettext("Decision saved."))
    return redirect(f"{reverse('portal:backoffice-merchants')}?status={request.POST.get('back', 'pending')}")


class FeeForm(StyledForm):
    fee_percent = forms.DecimalField(label=_("Fee (%)"), min_value=0, max_value=100, decimal_places=2)
    fee_fixed = AmountField(label=_("Fixed fee"))
    fee_cap = AmountField(label=_("Cap"))
    active = forms.BooleanField(label=_("Open to new businesses"), required=False)


@page_requires(IsOperatorAdmin)
@require_http_methods(["GET", "POST"])
def backoffice_fees(request):
    """Fees per merchant category (percent of the payment + fixed, capped), audited, for new payments."""
    errors: dict[str, FeeForm] = {}
    if request.method == "POST":
        category = MerchantCategory.objects.filter(code=request.POST.get("category", "")).first()
        if category is None:
            raise Http404
        form = FeeForm(request.POST)
        if form.is_valid():
            fixed = amount_minor(form, "fee_fixed") if form.cleaned_data.get("fee_fixed") not in ("", "0") else 0
            cap = amount_minor(form, "fee_cap") if form.cleaned_data.get("fee_cap") else None
            if not form.errors:
                try:
                    services.category_update(actor=request.user, category=category,
                                             fee_bps=int(form.cleaned_data["fee_percent"] * 100),
                                             fee_fixed_minor=fixed or 0, fee_cap_minor=cap,
                                             active=form.cleaned_data["active"], request=request)
                except ApiError as error:
                    show_service_error(form, error)
                else:
                    messages.success(request, gettext("Fee saved."))
                    return redirect("portal:backoffice-merchant-fees")
        errors[category.code] = form
    from countries.money import decimal_text, money_of
    from tenant_apps.ledger.currency import tenant_currency

    currency = tenant_currency().code
    rows = []
    for category in MerchantCategory.objects.all():
        form = errors.get(category.code) or FeeForm(initial={
            "fee_percent": f"{category.fee_bps / 100:.2f}",
            "fee_fixed": decimal_text(money_of(category.fee_fixed_minor, currency)),
            "fee_cap": decimal_text(money_of(category.fee_cap_minor, currency)) if category.fee_cap_minor is not None
            else "", "active": category.active}, auto_id=f"id_{category.code}_%s")
        rows.append((category, form))
    return page(request, "merchants/backoffice_fees.html", {"rows": rows}, status=400 if errors else 200)
