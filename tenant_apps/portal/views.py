"""Customer pages of a tenant domain: sign-up with phone OTP, log in/out, wallet, profile, KYC.

Views stay thin: the accounts, KYC and ledger services/selectors do the work
(the same ones the API calls); service errors (``ApiError``) are shown on the
form instead of being rendered as JSON.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from shared_apps.core.request_guard import FORMS, accepts_body
from tenant_apps.accounts.country import current_adapter
from tenant_apps.accounts.permissions import IsTenantUser
from tenant_apps.accounts.services import otp_request, otp_verify, user_login, user_register
from tenant_apps.kyc.selectors import kyc_current_tier, kyc_satisfied_requirements, kyc_submissions
from tenant_apps.kyc.services import UploadedDocument, kyc_submit
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenants.replica import reporting_reads

from .access import bind_session_to_schema, page_requires, rate_limited
from .forms import KycForm, LoginForm, OtpForm, ProfileForm, SignupForm, StatementFilterForm, apply_api_error
from .navigation import nav_for

PENDING_PHONE_KEY = "portal_pending_phone"
TOO_MANY = _lazy("Too many attempts. Try again in a minute.")
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def page(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a page with the navigation this user may see."""
    return render(request, template, {"nav": nav_for(request), **(context or {})}, status=status)


def _start_session(request, user) -> None:
    login(request, user, backend=MODEL_BACKEND)  # rotates the session key (no fixation)
    bind_session_to_schema(request)
    from tenant_apps.risk.devices import bind_web_session

    request.session.save()  # the key exists now: the device's sign-out deletes this session
    bind_web_session(user=user, session_key=request.session.session_key or "")
    if user.preferred_language:
        translation.activate(user.preferred_language)


def _landing_for(user) -> str:
    if getattr(user, "role", "") == "agent":
        return "/agent/sell"
    return "/back-office/" if getattr(user, "is_operator_staff", False) else "/wallet"


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and rate_limited(request, "auth_register"):
        form.add_error(None, TOO_MANY)
        return page(request, "portal/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user, sent = user_register(email=form.cleaned_data["email"], phone=form.cleaned_data["phone"],
                                       password=form.cleaned_data["password"], request=request)
        except ApiError as error:
            apply_api_error(form, error)
        else:
            request.session[PENDING_PHONE_KEY] = user.phone
            if not sent:
                messages.error(request, _("We could not send the code. Use “Send a new code” in a moment."))
            return redirect("portal:verify")
    return page(request, "portal/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def verify(request):
    phone = request.session.get(PENDING_PHONE_KEY)
    if not phone:
        return redirect("portal:signup")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and rate_limited(request, "auth_otp"):
        form.add_error(None, TOO_MANY)
        return page(request, "portal/verify.html", {"form": form, "phone": phone}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = otp_verify(phone=phone, code=form.cleaned_data["code"], request=request)
        except ApiError as error:
            apply_api_error(form, error)
        else:
            request.session.pop(PENDING_PHONE_KEY, None)
            _start_session(request, user)
            messages.success(request, _("Your phone number is verified. Welcome!"))
            return redirect(_landing_for(user))
    return page(request, "portal/verify.html", {"form": form, "phone": phone}, status=400 if form.errors else 200)


@require_POST
def resend_code(request):
    phone = request.session.get(PENDING_PHONE_KEY)
    if phone and not rate_limited(request, "auth_otp"):
        otp_request(phone=phone, request=request)  # silent on cooldown: never an SMS flood
    notice = _("If a code can be sent now, it is on its way.")
    if request.htmx:
        return render(request, "portal/_notice.html", {"notice": notice})
    messages.success(request, notice)
    return redirect("portal:verify")


@require_http_methods(["GET", "POST"])
def login_page(request):
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    if request.method == "POST" and rate_limited(request, "auth_login"):
        form.add_error(None, TOO_MANY)
        return page(request, "portal/login.html", {"form": form, "next": next_url}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_login(email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                              request=request)
        except ApiError as error:
            apply_api_error(form, error)
        else:
            if user.phone and user.phone_verified_at is None:
                request.session[PENDING_PHONE_KEY] = user.phone
                otp_request(phone=user.phone, request=request)
                return redirect("portal:verify")
            _start_session(request, user)
            return redirect(next_url or _landing_for(user))
    return page(request, "portal/login.html", {"form": form, "next": next_url}, status=400 if form.errors else 200)


@require_POST
def logout_page(request):
    logout(request)
    return redirect("portal:login")


@page_requires(IsTenantUser)
def wallet(request):
    form = StatementFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    with reporting_reads():  # history: the replica when there is one
        statement = wallet_statement(user=request.user, entry_type=filters.get("type") or None,
                                     status=filters.get("status") or None, date_from=filters.get("date_from"),
                                     date_to=filters.get("date_to"))
        lines = Paginator(statement, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
        lines.object_list = list(lines.object_list)
    context = {"form": form, "lines": lines}
    if request.htmx:
        return render(request, "portal/_statement.html", context)
    balances = wallet_balances(user=request.user)
    default = tenant_currency().code
    rows = [{"currency": b.currency, "available": b.available, "on_hold": b.on_hold} for b in balances]
    if not any(row["currency"] == default for row in rows):
        rows.insert(0, {"currency": default, "available": 0, "on_hold": 0})
    return page(request, "portal/wallet.html", {**context, "balances": rows})


@require_POST
def set_language(request):
    """The footer's language switch (Django's ``set_language``: the cookie, back to ``next``). A logged-in user's
    ``preferred_language`` comes before the cookie (``countries.middleware.choose_language``) and was set at sign-up,
    so the switch alone changed nothing for them: it is their preference too (the profile's field; SMS and USSD
    follow it)."""
    from django.views.i18n import set_language as django_set_language

    from countries.middleware import supported

    from .access import session_matches_schema

    response = django_set_language(request)
    language = supported(request.POST.get("language"))
    user = request.user
    if language in dict(settings.LANGUAGES) and user.is_authenticated and session_matches_schema(request) \
            and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response


@page_requires(IsTenantUser)
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None,
                       initial={"preferred_language": user.preferred_language or translation.get_language()})
    if request.method == "POST" and form.is_valid():
        user.preferred_language = form.cleaned_data["preferred_language"]
        user.save(update_fields=["preferred_language"])
        translation.activate(user.preferred_language)
        messages.success(request, _("Your preferences are saved."))
        response = redirect("portal:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.preferred_language,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return response
    from tenant_apps.risk.devices import devices_of
    from tenant_apps.risk.request_signals import current_signals
    from tenant_apps.risk.selectors import device_json

    current = current_signals().device_hash
    devices = [device_json(device, current=current) for device in devices_of(user=user)[:50]]
    return page(request, "portal/profile.html", {"form": form, "devices": devices})


@page_requires(IsTenantUser)
@require_http_methods(["GET", "POST"])
def profile_email(request):
    """Prove my email address from the portal (accounts.email_proof, the API's service): "send" mails a proof;
    a token (pasted, or carried by the mail's link and confirmed by pressing the button) marks the address proven.
    Until then nobody can send me money by email."""
    from tenant_apps.accounts.email_proof import email_proof_confirm, email_proof_send

    user = request.user
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()[:500]
    if request.method == "POST":
        if request.POST.get("action") == "send":
            if user.email_verified_at is None:
                email_proof_send(user=user, request=request)
            messages.success(request, _("If this address can receive mail, a confirmation is on its way."))
            return redirect("portal:profile-email")
        try:
            email_proof_confirm(user=user, token=token, request=request)
        except ApiError:
            messages.error(request, _("This code is not valid or has expired. Ask for a new one."))
            return redirect("portal:profile-email")
        messages.success(request, _("Your email address is confirmed: people can now send you money by email."))
        return redirect("portal:profile")
    return page(request, "portal/profile_email.html", {"token": token})


def requirement_labels(requires, schemes) -> str:
    """A tier's requirements as a customer reads them ("Phone number, CNI ..."), never the adapter's keys."""
    from tenant_apps.kyc.models import DocumentKind

    names = {"phone": _("Phone number"), "selfie": str(DocumentKind.SELFIE.label),
             "address": str(DocumentKind.PROOF_OF_ADDRESS.label),
             **{scheme.code: str(scheme.label) for scheme in schemes}}
    return ", ".join(names.get(code, code) for code in requires)


@accepts_body(FORMS, uploads=True)  # the identity documents
@page_requires(IsTenantUser)
@require_http_methods(["GET", "POST"])
def kyc(request):
    adapter = current_adapter()
    schemes = list(adapter.kyc_schemes)
    form = KycForm(request.POST or None, request.FILES or None, schemes=schemes)
    if request.method == "POST" and form.is_valid():
        documents = [UploadedDocument(kind=name, file=form.cleaned_data[name])
                     for name in KycForm.DOCUMENT_FIELDS if form.cleaned_data.get(name)]
        try:
            kyc_submit(user=request.user, scheme=form.cleaned_data["scheme"], number=form.cleaned_data["number"],
                       documents=documents, request=request)
        except ApiError as error:
            apply_api_error(form, error)
        else:
            messages.success(request, _("Thank you: your documents were sent for review."))
            return redirect("portal:kyc")
    tier = kyc_current_tier(user=request.user)
    tiers = sorted(adapter.kyc_tiers, key=lambda item: item.level)
    context = {
        "form": form, "tier": tier, "tiers": [(item, requirement_labels(item.requires, schemes)) for item in tiers],
        "currency": adapter.currency_info.code,
        "satisfied": sorted(kyc_satisfied_requirements(user=request.user)),
        "submissions": kyc_submissions(user=request.user)[:20],
    }
    return page(request, "portal/kyc.html", context, status=400 if form.errors else 200)
