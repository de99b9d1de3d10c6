"""The page an invitation's link opens (``/agent/invitation?token=…``): a sub-agent, or a new reseller's first
admin, makes their account.

GET checks the token without using it (``agents.services.invitation_preview``); POST runs the API's own
``agents.services.accept_invitation`` (``POST /api/agents/invitations/accept`` stays the API's way in), then
logs the new user in as the login page does: a phone not yet verified goes through the verify page first.
Rate-limited with the API's registration counters, as the sign-up page is.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.country import normalize_phone
from tenant_apps.accounts.services import otp_request, user_login
from tenant_apps.agents import services as agent_services
from tenant_apps.agents.models import Invitation

from .access import rate_limited
from .forms import StyledForm, apply_api_error
from .views import PENDING_PHONE_KEY, TOO_MANY, _landing_for, _start_session, page

TEMPLATE = "portal/agent/invitation.html"
# What a closed invitation's page says, and its status: unknown 404; used or expired 410 (gone for good).
CLOSED = {"invalid_invitation": 404, "invitation_used": 410, "invitation_expired": 410}


class AcceptInvitationForm(StyledForm):
    """The API's accept fields (``AcceptSerializer``): the email when the invitation has none, the password;
    an agent invited by email may add a mobile number (verified by SMS before the first session)."""

    email = forms.EmailField(label=gettext_lazy("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
                            help_text=gettext_lazy("Optional. We text you a code to check it."))
    password = forms.CharField(label=gettext_lazy("Password"), max_length=128, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=gettext_lazy("At least 10 characters."))

    def __init__(self, *args, invitation: Invitation, **kwargs):
        super().__init__(*args, **kwargs)
        if invitation.email or invitation.role != "agent":  # the first admin's email is the account's
            del self.fields["email"]
        if invitation.phone or invitation.role != "agent":
            del self.fields["phone"]


def _closed(request, error: ApiError):
    return page(request, TEMPLATE, {"closed": error.code}, status=CLOSED.get(error.code, 404))


def _inviter(invitation: Invitation) -> str:
    """Who invites: the parent agent, or the admin who invited; the brand for a reseller's first admin."""
    if invitation.parent_agent is not None:
        return invitation.parent_agent.user.email or invitation.parent_agent.user.phone or ""
    if invitation.role == "agent" and invitation.invited_by is not None:
        return invitation.invited_by.email
    return ""


@require_http_methods(["GET", "POST"])
def accept(request):
    token = ((request.POST.get("token") if request.method == "POST" else request.GET.get("token")) or "")[:200]
    try:
        invitation = agent_services.invitation_preview(token)
    except ApiError as error:
        return _closed(request, error)
    form = AcceptInvitationForm(request.POST if request.method == "POST" else None, invitation=invitation)
    context = {"form": form, "token": token, "invitation": invitation, "inviter": _inviter(invitation)}
    if request.method == "POST" and rate_limited(request, "auth_register"):
        form.add_error(None, TOO_MANY)
        return page(request, TEMPLATE, context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            phone = normalize_phone(data["phone"]) if data.get("phone") else ""
            user = agent_services.accept_invitation(token=token, password=data["password"],
                                                    email=data.get("email", ""), phone=phone)
        except ApiError as error:
            if error.code in CLOSED:  # used or expired meanwhile (a second tab)
                return _closed(request, error)
            apply_api_error(form, error)
        else:
            return _log_in(request, user, data["password"])
    return page(request, TEMPLATE, context, status=400 if form.errors else 200)


def _log_in(request, user, password: str):
    """As the login page: the lockout and audit of ``user_login``; a phone to verify first goes to /verify."""
    try:
        user = user_login(email=user.email, password=password, request=request)
    except ApiError:  # e.g. this address is being slowed down: the account exists, log in later
        messages.success(request, _("Your account is ready. Log in."))
        return redirect("portal:login")
    if user.phone and user.phone_verified_at is None:
        request.session[PENDING_PHONE_KEY] = user.phone
        otp_request(phone=user.phone, request=request)
        return redirect("portal:verify")
    _start_session(request, user)
    messages.success(request, _("Your account is ready. Welcome!"))
    return redirect(_landing_for(user))
