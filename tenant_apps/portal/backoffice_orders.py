"""Back office: orders (search, detail) and manual review of stuck ones.

Staff (``IsOperatorStaff``) search and read orders; support and admins
(``IsOperatorSupport``, as for KYC review) requery a stuck order
(``orders.services.order_staff_requery``, the staff API's service) or resolve it after checking the
provider's statement (``orders.services.order_resolve_manually``: delivered →
settled, not delivered → refunded). Every decision is audited.
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
from django.views.decorators.http import require_POST

from shared_apps.catalog.models import ProductType
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsOperatorFinance, IsOperatorStaff, IsOperatorSupport
from tenant_apps.orders.models import Order, OrderStatus
from tenant_apps.orders.selectors import orders_search
from tenant_apps.orders.services.staff import REQUERYABLE, order_staff_requery, order_staff_resolve

from .access import allowed, page_requires
from .forms import StyledForm
from .views import page


class OrderSearchForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Reference, phone or email"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All statuses")), *OrderStatus.choices])
    product_type = forms.ChoiceField(label=gettext_lazy("Product type"), required=False,
                                     choices=[("", gettext_lazy("All types")), *ProductType.choices])
    review = forms.BooleanField(label=gettext_lazy("Needs review only"), required=False)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review"].widget.attrs["class"] = "h-5 w-5"


class ResolveForm(StyledForm):
    note = forms.CharField(label=gettext_lazy("What the provider's statement shows"), max_length=50, required=False)


@page_requires(IsOperatorStaff)
def orders(request):
    form = OrderSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = orders_search(q=filters.get("q", ""), status=filters.get("status", ""),
                          product_type=filters.get("product_type", ""), review_only=bool(filters.get("review")),
                          date_from=filters.get("date_from"))
    rows = Paginator(found, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "rows": rows}
    if request.htmx and request.htmx.target == "order-rows":
        return render(request, "portal/backoffice/_orders.html", context)
    return page(request, "portal/backoffice/orders.html", context)


def _order_or_404(public_id) -> Order:
    order = Order.objects.select_related("user").filter(public_id=public_id).first()
    if order is None:
        raise Http404
    return order


def _detail_context(request, order: Order, **extra) -> dict:
    from tenant_apps.provider_archive.selectors import exchanges_for
    from tenant_apps.risk.selectors import decisions_for_subject

    return {"order": order,
            "provider_exchanges": exchanges_for(subject_type="order", subject_id=order.pk),
            "archive_download": f"/back-office/orders/{order.public_id}/provider-archive.json",
            "transitions": order.transitions.all(), "attempts": order.attempts.all(),
            "risk_decisions": decisions_for_subject(subject_type="order", subject_id=str(order.public_id)),
            "can_decide_risk": allowed(request, IsOperatorFinance),
            "can_review": allowed(request, IsOperatorSupport) and order.status in REQUERYABLE,
            "can_resolve": allowed(request, IsOperatorFinance) and order.status == OrderStatus.MANUAL_REVIEW,
            "resolve_form": ResolveForm(), **extra}


@page_requires(IsOperatorStaff)
def order_detail(request, public_id):
    order = _order_or_404(public_id)
    return page(request, "portal/backoffice/order.html", _detail_context(request, order))


def _answer(request, order: Order, *, notice: str = "", error: str = ""):
    if request.htmx:
        return render(request, "portal/backoffice/_order_review.html",
                      _detail_context(request, order, notice=notice, error=error), status=409 if error else 200)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("portal:backoffice-order", public_id=order.public_id)


@page_requires(IsOperatorSupport)
@require_POST
def order_requery_page(request, public_id):
    """Same service, role and audit trail as ``POST /api/staff/orders/<id>/requery``."""
    order = _order_or_404(public_id)
    try:
        updated = order_staff_requery(order=order, actor=request.user, request=request)
    except ApiError as exc:
        return _answer(request, order, error=_(str(exc.message)))
    if updated.status == OrderStatus.SETTLED:
        notice = _("The provider confirmed delivery.")
    elif updated.status in (OrderStatus.RELEASED, OrderStatus.FAILED):
        notice = _("The provider confirmed it failed: the customer is refunded.")
    else:
        notice = _("The provider still has no final answer. Check its statement, then resolve.")
    updated.refresh_from_db()
    return _answer(request, updated, notice=notice)


@page_requires(IsOperatorFinance)
@require_POST
def order_resolve_page(request, public_id):
    """Same service, role and audit trail as ``POST /api/staff/orders/<id>/resolve`` (it moves money)."""
    order = _order_or_404(public_id)
    form = ResolveForm(request.POST)
    delivered = request.POST.get("decision") == "delivered"
    if not form.is_valid() or request.POST.get("decision") not in ("delivered", "not_delivered"):
        return _answer(request, order, error=_("Choose delivered or not delivered."))
    try:
        order_staff_resolve(order=order, delivered=delivered, note=form.cleaned_data["note"], actor=request.user,
                            request=request)
    except ApiError as exc:
        if exc.code == "order_not_in_review":
            return _answer(request, order, error=_("Only orders waiting for manual review can be resolved."))
        return _answer(request, order, error=_(str(exc.message)))
    order.refresh_from_db()
    return _answer(request, order, notice=_("Delivered: the sale is settled.") if delivered
                   else _("Not delivered: the customer is refunded."))
