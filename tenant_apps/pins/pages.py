"""Portal pages for the transaction PIN: set it (or change it), reset it with a code sent by SMS.

Thin: the same services as the API (``pins.services``); their errors are shown on the form.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsTenantUser, PhoneVerified
from tenant_apps.portal.access import page_requires, rate_limited
from tenant_apps.portal.forms import StyledForm, apply_api_error
from tenant_apps.portal.views import page

from . import services


def _pin_input(label, *, autocomplete: str = "off") -> forms.CharField:
    return forms.CharField(label=label, max_length=6, min_length=4, strip=False,
                           widget=forms.PasswordInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*",
                                                             "autocomplete": autocomplete}))


class PinSetForm(StyledForm):
    pin = _pin_input(gettext_lazy("New PIN (4 to 6 digits)"), autocomplete="new-password")
    pin_again = _pin_input(gettext_lazy("The same PIN again"), autocomplete="new-password")

    def clean(self):
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (its stub allows None)
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("The two PINs differ."))
        return data


class PinChangeForm(PinSetForm):
    current_pin = _pin_input(gettext_lazy("Current PIN"))
    field_order = ["current_pin", "pin", "pin_again"]


class PinResetForm(PinSetForm):
    code = forms.RegexField(label=gettext_lazy("Code sent by SMS"), regex=r"^\d{6}$", max_length=6,
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    field_order = ["code", "pin", "pin_again"]


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def pin_page(request):
    """Set a first PIN, or change the current one."""
    status = services.pin_status(user=request.user)
    form_class = PinChangeForm if status["is_set"] else PinSetForm
    form = form_class(request.POST or None)
    if request.method == "POST" and not status["locked"] and form.is_valid():
        data = form.cleaned_data
        try:
            if status["is_set"]:
                services.pin_change(user=request.user, current_pin=data["current_pin"], new_pin=data["pin"],
                                    request=request)
            else:
                services.pin_set(user=request.user, pin=data["pin"], request=request)
        except ApiError as error:
            if error.fields and "new_pin" in error.fields:
                error.fields = {"pin": error.fields["new_pin"]}
            apply_api_error(form, error)
        else:
            messages.success(request, _("Your transaction PIN is saved."))
            return redirect("pins-page")
        status = services.pin_status(user=request.user)
    return page(request, "pins/pin.html", {"form": form, "status": status}, status=400 if form.errors else 200)


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def pin_reset_page(request):
    """Step 1: send a code to the verified phone. Step 2: the code and a new PIN (unlocks it)."""
    form = PinResetForm(request.POST if request.POST.get("action") == "reset" else None)
    if request.method == "POST" and request.POST.get("action") == "send":
        if rate_limited(request, "auth_otp"):
            messages.error(request, _("Too many attempts. Try again in a minute."))
        else:
            services.pin_reset_start(user=request.user, request=request)
            messages.success(request, _("We sent a code to %(phone)s.") % {"phone": request.user.phone})
        return redirect("pins-reset-page")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pin_reset_finish(user=request.user, code=data["code"], new_pin=data["pin"], request=request)
        except ApiError as error:
            if error.fields and "new_pin" in error.fields:
                error.fields = {"pin": error.fields["new_pin"]}
            apply_api_error(form, error)
        else:
            messages.success(request, _("Your new transaction PIN is saved."))
            return redirect("pins-page")
    return page(request, "pins/reset.html", {"form": form}, status=400 if form.errors else 200)
