"""Agent cash pages (cash-in with the customer's code, cash-out with a withdrawal code) and the customer's
withdrawal-code page. Thin: the API's services (``tenant_apps.cash.services``) do the work, money steps run
inside ``run_idempotently`` with a key minted when the form is rendered (a double click or a replayed POST moves
money once), and the customer's codes are checked first in their own transaction (wrong codes count). The
cash-out looks its form key's stored answer up before that check, and again when it refuses: a form sent again
after the first copy paid gets its receipt, not a wrong code counted against a code the first copy spent.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsAgent, IsCustomer, IsTenantUser, PhoneVerified
from tenant_apps.cash import selectors as cash_selectors
from tenant_apps.cash import services as cash_services
from tenant_apps.idempotency.services import (
    Fingerprint,
    StoredResponse,
    body_hash,
    check_unless_answered,
    run_idempotently,
    stored_answer,
)
from tenant_apps.ledger.currency import tenant_currency

from .access import allowed, page_requires
from .forms import StyledForm, apply_api_error
from .shop_forms import amount_minor
from .views import page


class CashInForm(StyledForm):
    customer = forms.CharField(label=gettext_lazy("Customer's phone number"), max_length=20,
                               widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    amount = forms.CharField(label=gettext_lazy("Cash received"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ConfirmForm(StyledForm):
    code = forms.RegexField(label=gettext_lazy("Code the customer received"), regex=r"^\d{4,8}$", max_length=8,
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class CashOutForm(StyledForm):
    customer = forms.CharField(label=gettext_lazy("Customer's phone number"), max_length=20,
                               widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    code = forms.RegexField(label=gettext_lazy("Withdrawal code"), regex=r"^\d{4,12}$", max_length=12,
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    amount = forms.CharField(label=gettext_lazy("Amount to hand over"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class CodeActionForm(StyledForm):
    """A button on one of the customer's active codes: text it again, or cancel it (its hold released)."""

    action = forms.ChoiceField(choices=[("resend", "resend"), ("cancel", "cancel")])
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class WithdrawalCodeForm(StyledForm):
    amount = forms.CharField(label=gettext_lazy("Amount to withdraw"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


def _amount(form: forms.Form) -> int | None:
    """The platform's one money rule, as on every page (``shop_forms.amount_minor``: no separators, translated
    field errors); None after adding the error to the form."""
    return amount_minor(form, required=True)


def _run(request, form, *, path: str, body: dict, execute) -> StoredResponse | None:
    """``execute`` once per form key (run_idempotently); service errors land on the form."""
    key = form.cleaned_data.get("idempotency_key") or ""
    if not key:
        form.add_error(None, _("This form expired. Check the details and submit again."))
        return None
    try:
        stored, _replayed = run_idempotently(user=request.user, key=f"portal-cash-{key}", fingerprint=Fingerprint(
            method="POST", path=path, body_hash=body_hash(body)), execute=execute)
    except ApiError as error:
        apply_api_error(form, error)
        return None
    return stored


def _answered(request, form, *, path: str, body: dict) -> StoredResponse | None:
    """The answer already stored under this form's key (the ``_run`` of a double click or a re-sent form), or
    None: none yet, or no key. Raises ``IdempotencyKeyReused`` for the key sent with other details."""
    key = form.cleaned_data.get("idempotency_key") or ""
    if not key:
        return None
    return stored_answer(user_id=request.user.pk, key=f"portal-cash-{key}",
                         fingerprint=Fingerprint(method="POST", path=path, body_hash=body_hash(body)))


def _fresh(form_class, data=None):
    return form_class(data, initial={"idempotency_key": uuid.uuid4().hex})


@page_requires(IsAgent, PhoneVerified)
@require_http_methods(["GET", "POST"])
def cash_in(request):
    form = _fresh(CashInForm, request.POST or None)
    if request.method == "POST" and form.is_valid() and (amount := _amount(form)) is not None:
        customer = form.cleaned_data["customer"]

        def execute() -> StoredResponse:
            row = cash_services.cash_in_start(agent=request.user, customer_phone=customer, amount_minor=amount,
                                              request=request)
            return StoredResponse(201, {"id": str(row.public_id)}, {})

        stored = _run(request, form, path="/agent/cash-in", body={"customer": customer, "amount": amount},
                      execute=execute)
        if stored is not None:
            return redirect("portal:agent-cash", public_id=stored.body["id"])
    return page(request, "portal/agent/cash_in.html", {"form": form, "currency": tenant_currency().code},
                status=400 if form.errors else 200)


@page_requires(IsAgent)
@require_http_methods(["GET", "POST"])
def cash_detail(request, public_id):
    """The receipt, or the confirmation step while the customer's code is awaited."""
    row = cash_selectors.cash_history(user=request.user).filter(agent=request.user, public_id=public_id).first()
    if row is None:
        raise Http404
    form = _fresh(ConfirmForm, request.POST or None)
    if row.challenge is not None and row.challenge.method == "pin":  # the customer types their PIN on this device
        form.fields["code"].label = gettext_lazy("Customer's transaction PIN")
        form.fields["code"].widget = forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                                                "class": "input"})
    if request.method == "POST" and row.status == "awaiting_confirmation" and form.is_valid():
        try:
            cash_services.cash_in_check_confirmation(agent=request.user, public_id=public_id,
                                                     secret=form.cleaned_data["code"], request=request)
        except ApiError as error:
            apply_api_error(form, error)
        else:
            def execute() -> StoredResponse:
                done = cash_services.cash_in_complete(agent=request.user, public_id=public_id, request=request)
                return StoredResponse(200, {"id": str(done.public_id)}, {})

            if _run(request, form, path=f"/agent/cash/{public_id}", body={"confirm": str(public_id)},
                    execute=execute) is not None:
                return redirect("portal:agent-cash", public_id=public_id)
        row.refresh_from_db()
    return page(request, "portal/agent/cash_detail.html", {"row": row, "form": form},
                status=400 if form.errors else 200)


@page_requires(IsAgent, PhoneVerified)
@require_http_methods(["GET", "POST"])
def cash_out(request):
    form = _fresh(CashOutForm, request.POST or None)
    if request.method == "POST" and form.is_valid() and (amount := _amount(form)) is not None:
        # The key is stored against the phone and amount typed (not the code: no secret in the key's row).
        path, body = "/agent/cash-out", {"customer": form.cleaned_data["customer"], "amount": amount}
        stored, code_id = _cash_out_checked(request, form, path=path, body=body, amount=amount)
        if stored is None and code_id is not None:
            def execute() -> StoredResponse:
                row = cash_services.cash_out_complete(agent=request.user, code_id=code_id, request=request)
                return StoredResponse(201, {"id": str(row.public_id)}, {})

            stored = _run(request, form, path=path, body=body, execute=execute)
        if stored is not None:
            return redirect("portal:agent-cash", public_id=stored.body["id"])
    return page(request, "portal/agent/cash_out.html", {"form": form, "currency": tenant_currency().code},
                status=400 if form.errors else 200)


def _cash_out_checked(request, form, *, path: str, body: dict,
                      amount: int) -> tuple[StoredResponse | None, int | None]:
    """``(stored, None)`` when the form key was already answered, ``(None, code_id)`` when the withdrawal code
    opens, ``(None, None)`` after putting the refusal on the form.

    A form already answered (a double click, the browser sending it again) gets the first receipt without
    checking the code again: it is spent by then, and checking it would count a wrong code. A check that
    refuses looks again: a copy sent while the first was still running finds the code spent once it commits.
    """
    data = form.cleaned_data
    try:
        return check_unless_answered(
            answered=lambda: _answered(request, form, path=path, body=body),
            check=lambda: cash_services.cash_out_check(agent=request.user, customer_phone=data["customer"],
                                                       code=data["code"], amount_minor=amount, request=request))
    except ApiError as error:
        apply_api_error(form, error)
        return None, None


@page_requires(IsCustomer, PhoneVerified)
@require_http_methods(["GET", "POST"])
def withdraw(request):
    """The customer makes a withdrawal code (shown once on this page) to give an agent."""
    form = _fresh(WithdrawalCodeForm, request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid() and (amount := _amount(form)) is not None:
        def execute() -> StoredResponse:
            row, code = cash_services.withdrawal_code_create(customer=request.user, amount_minor=amount,
                                                             request=request)
            return StoredResponse(201, {"id": str(row.public_id), "code": code}, {}, sealed=("code",))

        stored = _run(request, form, path="/wallet/withdraw", body={"amount": amount}, execute=execute)
        if stored is not None:
            issued = stored.body
            form = _fresh(WithdrawalCodeForm)
    return _withdraw_page(request, form=form, issued=issued)


def _withdraw_page(request, *, form, issued=None, notice: str = "", action_errors=(), status: int = 200):
    codes = list(cash_selectors.withdrawal_codes(customer=request.user)[:10])
    active = {row.pk for row in cash_selectors.active_withdrawal_codes(customer=request.user)}
    rows = [{"code": row, "active": row.pk in active, "form": _fresh(CodeActionForm)} for row in codes]
    issued_row = next((row["code"] for row in rows if issued and str(row["code"].public_id) == issued.get("id")),
                      None)
    return page(request, "portal/money/withdraw.html", {
        "form": form, "issued": issued, "issued_row": issued_row, "codes": rows, "notice": notice,
        "action_errors": action_errors, "currency": tenant_currency().code,
        # the fee (cash.services.cash_out_fee, held with the amount) is said before the code is made
        "fee_bps": int(settings.AGENT_CASH["CASH_OUT_FEE_BPS"])}, status=400 if form.errors else status)


@page_requires(IsCustomer, PhoneVerified)
@require_http_methods(["POST"])
def withdraw_code(request, public_id):
    """One of the customer's codes: ``resend`` texts the same code again (throttled), ``cancel`` releases its
    hold (once). The API's services, once per form key: a double click neither texts nor releases twice."""
    form = CodeActionForm(request.POST)
    if not form.is_valid():
        return _withdraw_page(request, form=_fresh(WithdrawalCodeForm), action_errors=[_("Choose an action.")],
                              status=400)
    action = form.cleaned_data["action"]

    def execute() -> StoredResponse:
        if action == "cancel":
            row = cash_services.withdrawal_code_cancel(customer=request.user, public_id=public_id, request=request)
        else:
            row = cash_services.withdrawal_code_resend(customer=request.user, public_id=public_id, request=request)
        return StoredResponse(200, {"id": str(row.public_id), "status": row.status}, {})

    key = form.cleaned_data.get("idempotency_key") or ""
    if not key:
        return _withdraw_page(request, form=_fresh(WithdrawalCodeForm), status=400,
                              action_errors=[_("This form expired. Check the details and submit again.")])
    try:
        run_idempotently(user=request.user, key=f"portal-cash-{key}", execute=execute, fingerprint=Fingerprint(
            method="POST", path=f"/wallet/withdraw/{public_id}", body_hash=body_hash({"action": action})))
    except ApiError as error:  # unknown (someone else's), closed, too many resends: the service's own status
        return _withdraw_page(request, form=_fresh(WithdrawalCodeForm), action_errors=[str(error.message)],
                              status=error.status_code)
    notice = _("The code was cancelled: its amount and fee are back in your wallet.") if action == "cancel" \
        else _("The code was texted to you again.")
    return _withdraw_page(request, form=_fresh(WithdrawalCodeForm), notice=notice)


# --- bank transfer funding: the customer's dedicated account (wallet.virtual_accounts) -----------------------

class BankAccountForm(StyledForm):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=60)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=60)
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


@page_requires(IsTenantUser)
@require_http_methods(["GET", "POST"])
def bank_account(request):
    """My account number for bank transfers (asked for once), with how to use it."""
    from tenant_apps.wallet.virtual_accounts import (
        VirtualAccountsUnavailable,
        virtual_account_gateway,
        virtual_account_of,
        virtual_account_open,
    )

    try:
        virtual_account_gateway()
        available = True
    except VirtualAccountsUnavailable:
        available = False
    account = virtual_account_of(user=request.user)
    if request.method == "POST" and request.POST.get("action") == "check" and account is not None:
        from django.contrib import messages

        from tenant_apps.wallet.virtual_accounts import virtual_account_sync

        credited = virtual_account_sync(account=account)
        messages.success(request, _("%(count)s transfer(s) credited.") % {"count": len(credited)} if credited
                         else _("Nothing new yet. Transfers usually arrive within minutes."))
        return redirect("portal:bank-account")
    form = _fresh(BankAccountForm, request.POST or None)
    if request.method == "POST" and available and form.is_valid():
        if not allowed(request, PhoneVerified):
            form.add_error(None, _("Verify your phone number before moving money."))
        else:
            names = {"first_name": form.cleaned_data["first_name"], "last_name": form.cleaned_data["last_name"]}

            def execute() -> StoredResponse:
                row = virtual_account_open(user=request.user, **names)
                return StoredResponse(201, {"id": str(row.public_id)}, {})

            if _run(request, form, path="/wallet/bank-account", body=names, execute=execute) is not None:
                return redirect("portal:bank-account")
    return page(request, "portal/money/bank_account.html", {"form": form, "account": account,
                                                            "available": available},
                status=400 if form.errors else 200)
