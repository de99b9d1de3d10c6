"""Agent portal (reseller domains): sell to a walk-in customer, wallet, sub-agents, commissions.

Thin views over the services the API uses: ``orders.services.purchase_create``
(as the agent, inside ``idempotency.services.run_idempotently`` with a key made
when the confirm form is rendered, so a double click or a replayed POST sells
once), ``agents.services.invite`` / ``fund_agent``, ``agents.selectors``.
Permission classes are the API's: ``IsAgent`` for selling and the wallet,
``IsAgent | IsOperatorAdmin`` for sub-agents and commissions.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.permissions import OperandHolder

from countries.errors import InvalidPhoneNumber
from countries.registry import get_adapter
from shared_apps.catalog.models import Product, ProductType
from shared_apps.catalog.selectors import products_for_listing
from shared_apps.core.amounts import InvalidAmount, parse_amount
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.permissions import IsAgent, IsOperatorAdmin, PhoneVerified
from tenant_apps.agents import selectors as agent_selectors
from tenant_apps.agents import services as agent_services
from tenant_apps.agents.links import invitation_page
from tenant_apps.agents.models import Agent
from tenant_apps.idempotency.services import Fingerprint, StoredResponse, body_hash, run_idempotently
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.selectors import wallet_balances, wallet_statement
from tenant_apps.orders import routing
from tenant_apps.orders.models import FINAL_STATUSES, Order
from tenant_apps.orders.serializers import PLAIN_STATUS
from tenant_apps.orders.services.create import purchase_create
from tenant_apps.pricing.quotes import quote_price
from tenants.replica import reporting_reads

from .access import allowed, page_requires
from .forms import StyledForm, apply_api_error
from .shop_forms import amount_minor
from .views import page

IsAgentOrAdmin: OperandHolder = IsAgent | IsOperatorAdmin
SELLABLE_TYPES = (ProductType.AIRTIME, ProductType.DATA)


def _country() -> str:
    from tenants.connection import selected_tenant

    return selected_tenant().country


def _network(phone: str) -> tuple[str, str]:
    """(normalised number, network key) or ("", "") when the number is not valid here."""
    adapter = get_adapter(_country())
    try:
        normalised = adapter.normalize_phone(phone or "")
    except InvalidPhoneNumber:
        return "", ""
    return normalised, adapter.detect_network(normalised) or ""


def products_for_number(phone: str) -> tuple[str, str, list[Product]]:
    """The airtime and data products that can top up ``phone`` (its network's, or cross-network)."""
    normalised, network = _network(phone)
    if not normalised:
        return "", "", []
    products = [product for product in products_for_listing(country=_country())
                if product.product_type in SELLABLE_TYPES
                and (routing.is_cross_network(product) or routing.operator_network(product.operator) == network)]
    seen, unique = set(), []
    for product in products:  # one line per sellable thing (the first provider in routing order)
        key = (product.product_type, product.operator, product.face_value_minor, product.data_size_mb,
               product.validity_days, product.is_open_amount)
        if key not in seen:
            seen.add(key)
            unique.append(product)
    network_name = get_adapter(_country()).network_name(network) if network else ""
    return normalised, network_name or "", unique


class SellForm(StyledForm):
    phone = forms.CharField(label=gettext_lazy("Customer's phone number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                             help_text=gettext_lazy("For airtime: the value to top up."))
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


def _amount_minor(product: Product, raw: str, form: forms.Form) -> int | None:
    if not product.is_open_amount:
        return None
    return amount_minor(form, required=True, currency=product.currency)


@page_requires(IsAgent)
@require_http_methods(["GET", "POST"])
def sell(request):
    """Step 1 phone (products appear for its network), step 2 product (+ amount), step 3 confirm."""
    data = request.POST if request.method == "POST" else (request.GET if "phone" in request.GET else None)
    form = SellForm(data)
    context: dict = {"form": form, "step": "phone"}
    if data is None or not form.is_valid():
        return page(request, "portal/agent/sell.html", context, status=400 if data and form.errors else 200)
    phone, network, products = products_for_number(form.cleaned_data["phone"])
    context.update(phone=phone, network=network, products=products, step="product")
    if not phone:
        form.add_error("phone", _("Enter a valid phone number."))
        context["step"] = "phone"
        return page(request, "portal/agent/sell.html", context, status=400)
    if request.htmx and request.method == "GET":
        return render(request, "portal/agent/_products.html", context)
    product_id = form.cleaned_data.get("product")
    if request.method != "POST" or not product_id:
        return page(request, "portal/agent/sell.html", context)
    product = next((p for p in products if p.pk == product_id), None)
    if product is None:
        form.add_error(None, _("Choose a product for this number."))
        return page(request, "portal/agent/sell.html", context, status=400)
    amount = _amount_minor(product, form.cleaned_data.get("amount", ""), form)
    if form.errors:
        return page(request, "portal/agent/sell.html", {**context, "chosen": product}, status=400)
    step = request.POST.get("step")
    if step != "confirm":
        try:
            quote = quote_price(product=product, amount_minor=amount, buyer=request.user)
        except ApiError as error:
            apply_api_error(form, error)
            return page(request, "portal/agent/sell.html", {**context, "chosen": product}, status=400)
        return page(request, "portal/agent/confirm.html", {
            "form": form, "phone": phone, "network": network, "product": product, "quote": quote,
            "amount": form.cleaned_data.get("amount", ""), "idempotency_key": uuid.uuid4().hex})
    return _confirm(request, form, product=product, phone=phone, amount=amount, context=context)


def _confirm(request, form, *, product, phone, amount, context):
    key = form.cleaned_data.get("idempotency_key") or ""
    if not key:
        form.add_error(None, _("This form expired. Check the sale and confirm again."))
        return page(request, "portal/agent/sell.html", {**context, "chosen": product}, status=400)
    if not allowed(request, PhoneVerified):
        form.add_error(None, _("Verify your phone number before moving money."))
        return page(request, "portal/agent/sell.html", {**context, "chosen": product}, status=403)
    body = {"product_id": product.pk, "recipient_phone": phone, "amount_minor": amount}
    fingerprint = Fingerprint(method="POST", path="/agent/sell", body_hash=body_hash(body))

    def execute() -> StoredResponse:
        order = purchase_create(user=request.user, product_id=product.pk, recipient_phone=phone,
                                amount_minor=amount, confirm_duplicate=True, source="portal")
        return StoredResponse(202, {"id": str(order.public_id)}, {})

    try:
        stored, _replayed = run_idempotently(user=request.user, key=f"portal-sell-{key}", fingerprint=fingerprint,
                                             execute=execute)
    except ApiError as error:
        apply_api_error(form, error)
        return page(request, "portal/agent/sell.html", {**context, "chosen": product},
                    status=getattr(error, "status_code", 400))
    return redirect("portal:agent-sale", public_id=stored.body["id"])


@page_requires(IsAgent)
def sale(request, public_id):
    """The receipt; while the provider has not answered, htmx re-asks every 2 s and swaps it in place."""
    order = Order.objects.filter(user=request.user, public_id=public_id).first()
    if order is None:
        raise Http404
    context = {"order": order, "plain": PLAIN_STATUS[order.status], "final": order.status in FINAL_STATUSES}
    if request.htmx:
        return render(request, "portal/agent/_receipt.html", context)
    return page(request, "portal/agent/sale.html", context)


@page_requires(IsAgent)
def wallet(request):
    currency = tenant_currency().code
    balances = {b.currency: b for b in wallet_balances(user=request.user)}
    balance = balances.get(currency)
    with reporting_reads():  # history: the replica when there is one
        lines = Paginator(wallet_statement(user=request.user), settings.PORTAL_PAGE_SIZE).get_page(
            request.GET.get("page"))
        lines.object_list = list(lines.object_list)
    sales = Order.objects.filter(user=request.user).order_by("-created_at")[:10]
    return page(request, "portal/agent/wallet.html", {
        "currency": currency, "available": balance.available if balance else 0,
        "on_hold": balance.on_hold if balance else 0, "lines": lines, "sales": sales,
        "plain": PLAIN_STATUS})


class InviteForm(StyledForm):
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Mobile number"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))


class FundForm(StyledForm):
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)


def _visible_agents(user):
    if user.role == "operator_admin":
        return Agent.objects.all()
    me = agent_selectors.agent_for_user(user)
    return agent_selectors.agent_subtree(agent=me).exclude(pk=me.pk) if me else Agent.objects.none()


@page_requires(IsAgentOrAdmin)
@require_http_methods(["GET", "POST"])
def sub_agents(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agent_services.invite(inviter=request.user, email=form.cleaned_data["email"],
                                  phone=form.cleaned_data["phone"],
                                  accept_url=invitation_page(request=request))
        except ApiError as error:
            apply_api_error(form, error)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("portal:agent-team")
    agents = _visible_agents(request.user).select_related("user", "parent__user").order_by("path")[:200]
    currency = tenant_currency().code
    rows = []
    for agent in agents:
        balance = {b.currency: b for b in wallet_balances(user=agent.user)}.get(currency)
        rows.append({"agent": agent, "available": balance.available if balance else 0})
    return page(request, "portal/agent/team.html", {
        "form": form, "rows": rows, "currency": currency,
        "fund_form": FundForm(initial={"idempotency_key": uuid.uuid4().hex})}, status=400 if form.errors else 200)


@page_requires(IsAgentOrAdmin)
@require_POST
def fund_sub_agent(request, agent_id):
    agent = _visible_agents(request.user).select_related("user").filter(public_id=agent_id).first()
    if agent is None:
        raise Http404
    form = FundForm(request.POST)
    currency = tenant_currency().code
    if form.is_valid():
        try:
            amount = parse_amount(form.cleaned_data["amount"].strip(), currency=currency)
        except InvalidAmount as error:
            messages.error(request, " ".join(error.fields.get("amount", [])) or str(error.message))
            return redirect("portal:agent-team")
        fingerprint = Fingerprint(method="POST", path=f"/agent/team/{agent_id}/fund",
                                  body_hash=body_hash({"amount": amount}))

        def execute() -> StoredResponse:
            entry = agent_services.fund_agent(funder=request.user, agent=agent, amount_minor=amount,
                                              reference=str(uuid.uuid4()))
            return StoredResponse(201, {"reference": entry.reference}, {})

        try:
            run_idempotently(user=request.user, key=f"portal-fund-{form.cleaned_data['idempotency_key']}",
                             fingerprint=fingerprint, execute=execute)
        except ApiError as error:
            messages.error(request, _(str(error.message)))
        else:
            messages.success(request, _("Wallet funded."))
    else:
        messages.error(request, _("Enter an amount."))
    return redirect("portal:agent-team")


@page_requires(IsAgentOrAdmin)
def commissions(request):
    agents = None  # the reseller's admin: every agent
    if request.user.role != "operator_admin":
        me = agent_selectors.agent_for_user(request.user)
        agents = agent_selectors.agent_subtree(agent=me) if me else Agent.objects.none()
    report = agent_selectors.commission_report(agents=agents)
    totals: dict[str, int] = {}
    for row in report:
        totals[row["currency"]] = totals.get(row["currency"], 0) + row["net_minor"]
    return page(request, "portal/agent/commissions.html", {"report": report, "totals": totals})
