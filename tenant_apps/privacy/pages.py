"""Pages: the person's "My data" (download an export, erase the account) and the back-office actions that an
operator takes on a person's written request. Same services, audit and refusals as the API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.models import User
from tenant_apps.accounts.permissions import IsCustomerOrAgent, IsOperatorAdmin, IsOperatorSupport
from tenant_apps.portal.access import allowed, page_requires
from tenant_apps.portal.forms import StyledForm, apply_api_error
from tenant_apps.portal.views import page

from . import selectors, services
from .models import DataExport


class ErasureForm(StyledForm):
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput, max_length=128)
    confirm = forms.BooleanField(label=gettext_lazy("I understand: my account is closed for good and my personal "
                                                    "data is erased. My transactions stay in the books, "
                                                    "without my name or number."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].widget.attrs["class"] = "h-5 w-5"


def _my_data(request, form: ErasureForm, *, status: int = 200):
    return page(request, "privacy/my_data.html", {
        "exports": selectors.exports_of(user=request.user), "form": form,
        "blockers": services.erasure_blockers(user=request.user)}, status=status)


@page_requires(IsCustomerOrAgent)
@require_http_methods(["GET", "POST"])
def my_data(request):
    """GET: the page. POST action=export: ask for an export; action=erase: erase (password again)."""
    form = ErasureForm(request.POST if request.POST.get("action") == "erase" else None)
    if request.method == "POST" and request.POST.get("action") == "export":
        services.export_request(user=request.user, request=request)
        messages.success(request, _("Your export is being prepared. Come back to this page in a few minutes."))
        return redirect("privacy:my-data")
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["password"]):
            form.add_error("password", _("The password is not correct."))
        else:
            try:
                services.erase_user(user=request.user, request=request)
            except ApiError as error:
                apply_api_error(form, error)
            else:
                logout(request)
                return page(request, "privacy/erased.html")
    return _my_data(request, form, status=400 if form.errors else 200)


@page_requires(IsCustomerOrAgent)
@require_GET
def export_download(request, public_id):
    export = DataExport.objects.filter(public_id=public_id, user=request.user).first()
    if export is None:
        raise Http404
    try:
        content = services.export_open(export=export, user=request.user, request=request)
    except ApiError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="my-data-{export.public_id.hex[:8]}.zip"'
    response["Cache-Control"] = "no-store"
    return response


def _subject_or_404(public_id) -> User:
    user = User.objects.filter(public_id=public_id).first()
    if user is None:
        raise Http404
    return user


@page_requires(IsOperatorSupport)
@require_GET
def backoffice_person(request, public_id):
    subject = _subject_or_404(public_id)
    return page(request, "privacy/backoffice_person.html", {
        "subject": subject, "exports": selectors.exports_of(user=subject),
        "blockers": services.erasure_blockers(user=subject), "can_erase": allowed(request, IsOperatorAdmin)})


@page_requires(IsOperatorSupport)
@require_POST
def backoffice_export(request, public_id):
    subject = _subject_or_404(public_id)
    services.export_request(user=subject, requested_by=request.user, request=request)
    messages.success(request, _("The export is being prepared; the person downloads it from their My data page."))
    return redirect("privacy:backoffice-person", public_id=public_id)


@page_requires(IsOperatorAdmin)
@require_POST
def backoffice_erase(request, public_id):
    subject = _subject_or_404(public_id)
    if request.POST.get("confirm") != "on":
        messages.error(request, _("Tick the confirmation to erase."))
    else:
        try:
            services.erase_user(user=subject, requested_by=request.user, request=request)
        except ApiError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The person's data is erased and the account closed."))
    return redirect("privacy:backoffice-person", public_id=public_id)
