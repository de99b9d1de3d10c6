"""Operator back office pages: dashboard, users, KYC review.

Each page uses the permission class of its API twin (``IsOperatorStaff`` for
users, ``IsOperatorSupport`` for KYC review), and the decisions go through
``kyc_decide`` (never one's own, audited).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shared_apps.core.errors import ApiError
from tenant_apps.accounts.models import TENANT_ROLES, Role
from tenant_apps.accounts.permissions import IsOperatorFinance, IsOperatorStaff, IsOperatorSupport
from tenant_apps.accounts.selectors import users_list
from tenant_apps.kyc.models import KycStatus, KycSubmission
from tenant_apps.kyc.selectors import kyc_submissions
from tenant_apps.kyc.services import kyc_decide

from .access import allowed, page_requires
from .backoffice_reports import sales_context
from .forms import DecisionForm, KycQueueFilterForm, UserFilterForm
from .selectors import dashboard_figures
from .views import page


@page_requires(IsOperatorStaff)
def dashboard(request):
    figures = dashboard_figures()
    return page(request, "portal/backoffice/dashboard.html", {
        "figures": figures, "role_labels": dict(Role.choices),
        "can_see_money": allowed(request, IsOperatorFinance),
        "can_review_kyc": allowed(request, IsOperatorSupport),
        **sales_context(request),
    })


@page_requires(IsOperatorStaff)
def users(request):
    roles = [(value, label) for value, label in Role.choices if value in TENANT_ROLES]
    form = UserFilterForm(request.GET or None, roles=roles)
    filters = form.cleaned_data if form.is_valid() else {}
    found = users_list(role=filters.get("role", ""), search=filters.get("search", ""))
    rows = Paginator(found, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "rows": rows}
    if request.htmx:
        return render(request, "portal/backoffice/_users.html", context)
    return page(request, "portal/backoffice/users.html", context)


@page_requires(IsOperatorSupport)
def kyc_queue(request):
    data = request.GET.copy()
    data.setdefault("status", KycStatus.PENDING)
    form = KycQueueFilterForm(data)
    status = form.cleaned_data.get("status", "") if form.is_valid() else KycStatus.PENDING
    rows = Paginator(kyc_submissions(status=status), settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "portal/backoffice/kyc.html", {"form": form, "rows": rows, "decision_form": DecisionForm()})


@page_requires(IsOperatorSupport)
@require_POST
def kyc_decide_page(request, public_id):
    submission = (KycSubmission.objects.select_related("user", "reviewed_by").prefetch_related("documents")
                  .filter(public_id=public_id).first())
    if submission is None:
        raise Http404
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    error = ""
    if form.is_valid():
        try:
            submission = kyc_decide(reviewer=request.user, submission=submission, approve=approve,
                                    note=form.cleaned_data["note"], request=request)
        except ApiError as exc:
            error = _(str(exc.message))
    else:
        error = _("The note is too long.")
    if request.htmx:
        return render(request, "portal/backoffice/_kyc_row.html",
                      {"row": submission, "decision_form": DecisionForm(), "error": error},
                      status=200 if not error else 409)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Decision saved."))
    return redirect("portal:backoffice-kyc")
