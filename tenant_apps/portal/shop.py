"""Customer purchase pages: airtime and data (network detected as the number is typed, gifts to
other numbers), electricity and cable TV (customer verified before paying), history and receipts.

Thin views over the API's own services: ``orders.services.purchase_create`` /
``purchase_verify`` and ``orders.selectors``; prices from the tenant's price list
(``pricing.quotes.quote_for_face``, as ``GET /api/products``). Every purchase form
runs once per rendered form (``once.run_once``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from countries.errors import InvalidPhoneNumber
from shared_apps.catalog.models import ProductType
from shared_apps.catalog.selectors import products_for_listing
from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.country import current_adapter, current_country
from tenant_apps.accounts.permissions import IsTenantUser, PhoneVerified
from tenant_apps.orders import selectors as order_selectors
from tenant_apps.orders.models import Order
from tenant_apps.orders.routing import is_cross_network, operator_network
from tenant_apps.orders.serializers import PLAIN_STATUS
from tenant_apps.orders.services import create as order_create
from tenant_apps.pricing.engine import half_up_div, load_tenant_pricing
from tenant_apps.pricing.quotes import quote_for_face

from .access import page_requires
from .once import run_once, show_service_error
from .shop_forms import BillForm, BuyForm, HistoryFilterForm, amount_minor
from .views import page

KINDS = {"airtime": _lazy("Buy airtime"), "data": _lazy("Buy data")}
BILLS = {"electricity": (ProductType.ELECTRICITY, _lazy("Pay electricity")),
         "cable": (ProductType.CABLE_TV, _lazy("Pay cable TV"))}
PERCENT_REFERENCE = 1_000_000


@dataclass(frozen=True)
class Offer:
    """One product as the customer sees it: the tenant's price, never the provider's cost."""

    id: int
    name: str
    network: str
    gift: bool
    price_minor: int | None  # fixed products
    min_minor: int | None
    max_minor: int | None
    percent: str  # open amounts: what is paid, in % of the amount
    data_size_mb: int | None
    validity_days: int | None
    currency: str


def _offer(product, pricing) -> Offer:
    percent, price = "", None
    if product.is_open_amount:
        quote = quote_for_face(product=product, face_minor=PERCENT_REFERENCE, pricing=pricing)
        # "98.94" (two decimals, half up, integers only): the page writes it in its language (the ``number`` filter)
        basis_points = half_up_div(quote.price_minor * 10_000, PERCENT_REFERENCE)
        percent = f"{basis_points // 100}.{basis_points % 100:02d}".rstrip("0").rstrip(".")
    else:
        price = quote_for_face(product=product, face_minor=product.face_value_minor, pricing=pricing).price_minor
    return Offer(id=product.pk, name=product.name, network=operator_network(product.operator),
                 gift=is_cross_network(product), price_minor=price, min_minor=product.min_amount_minor,
                 max_minor=product.max_amount_minor, percent=percent, data_size_mb=product.data_size_mb,
                 validity_days=product.validity_days, currency=product.currency)


def offers_for(*, product_type: str, network: str | None = None) -> list[Offer]:
    """Products of this type for ``network`` (plus cross-network gift products), one per equivalent set:
    the routing picks the provider, so the customer never chooses between identical offers."""
    pricing = load_tenant_pricing()
    seen, offers = set(), []
    for product in products_for_listing(country=current_country(), product_type=product_type):
        net = operator_network(product.operator)
        if network is not None and not is_cross_network(product) and net != network:
            continue
        same: tuple[object, ...] = (net, product.is_open_amount, product.face_value_minor, product.data_size_mb,
                product.validity_days, product.biller_code, product.variation if not product.biller_code else "")
        if product.is_open_amount and not product.biller_code:
            same = (net, "open")
        if same in seen:
            continue
        seen.add(same)
        offers.append(_offer(product, pricing))
    return offers


def detect(raw: str) -> tuple[str | None, str]:
    """(network key, display name) of a typed number, (None, "") while it is not a valid number."""
    adapter = current_adapter()
    try:
        phone = adapter.normalize_phone(raw or "")
    except InvalidPhoneNumber:
        return None, ""
    network = adapter.detect_network(phone)
    return network, (adapter.network_name(network) or network or "") if network else ""


def _products_context(kind: str, phone: str, form=None, selected: int | None = None) -> dict:
    network, network_name = detect(phone)
    offers = offers_for(product_type=kind, network=network) if network else []
    if selected is None and len(offers) == 1:
        selected = offers[0].id
    return {"kind": kind, "network": network, "network_name": network_name, "offers": offers,
            "selected": selected, "typed": bool((phone or "").strip()), "form": form}


def _duplicate(form) -> bool:
    """Show the "buy it again" box only after the service said it looks like a double purchase."""
    from .once import PAGE_MESSAGES

    return form.is_bound and str(_(PAGE_MESSAGES["duplicate_purchase"])) in form.non_field_errors()


@page_requires(IsTenantUser)
def buy_hub(request):
    return page(request, "portal/shop/hub.html")


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def buy(request, kind: str):
    if kind not in KINDS:
        raise Http404
    gift = request.GET.get("gift") == "1" or request.POST.get("gift") == "1"
    initial = {} if gift else {"recipient_phone": request.user.phone or ""}
    form = BuyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        amount = amount_minor(form)
        if not form.errors:
            data = form.cleaned_data

            def purchase() -> str:
                order = order_create.purchase_create(
                    user=request.user, product_id=data["product_id"], recipient_phone=data["recipient_phone"],
                    amount_minor=amount, confirm_duplicate=data["confirm_duplicate"], source="portal")
                return reverse("portal:receipt", args=[order.public_id])

            try:
                url, _replayed = run_once(request, form, purchase)
            except ApiError as error:
                show_service_error(form, error)
            else:
                return redirect(url)
    phone = form.data.get("recipient_phone", "") if form.is_bound else form.initial.get("recipient_phone", "")
    selected = form.cleaned_data.get("product_id") if form.is_bound and hasattr(form, "cleaned_data") else None
    context = {"form": form, "title": KINDS[kind], "gift": gift, "duplicate": _duplicate(form),
               **_products_context(kind, phone, form, selected)}
    return page(request, "portal/shop/buy.html", context, status=400 if form.errors else 200)


@page_requires(IsTenantUser)
@require_GET
def buy_products(request, kind: str):
    """htmx: the detected network and its bundles for the number typed so far."""
    if kind not in KINDS:
        raise Http404
    context = _products_context(kind, request.GET.get("recipient_phone", ""))
    return render(request, "portal/shop/_products.html", context)


def _bill_choices(product_type: str) -> list[tuple[int, str]]:
    from shared_apps.core.templatetags.ui import money

    choices = []
    for offer in offers_for(product_type=product_type):
        label = offer.name if offer.price_minor is None else \
            f"{offer.name} — {money(offer.price_minor, offer.currency)}"
        choices.append((offer.id, label))
    return choices


def _bill_price(form, user) -> dict:
    """What "Pay now" will charge, shown with the customer check: the price of the typed amount (fee included:
    ``pricing.quotes.quote_price``, what ``purchase_create`` charges), the fixed price of a bouquet, or, with no
    amount typed yet, the open amount's rate ("you pay 101 % of the amount", as the airtime page says)."""
    from shared_apps.catalog.models import Product
    from tenant_apps.pricing.quotes import quote_price

    product = Product.objects.filter(pk=form.cleaned_data.get("product_id"), is_active=True).first()
    if product is None:
        return {}
    amount = None
    if product.is_open_amount:
        try:
            amount = parse_amount((form.data.get("amount") or "").strip(), currency=product.currency)
        except ApiError:  # nothing typed yet, or not an amount: the rate below (Pay refuses a bad amount)
            offer = next((o for o in offers_for(product_type=product.product_type) if o.id == product.pk), None)
            return {"percent": offer.percent} if offer is not None and offer.percent else {}
    try:
        quote = quote_price(product=product, amount_minor=amount, buyer=user)
    except ApiError:  # out of the product's range: Pay says so
        return {}
    return {"price_minor": quote.price_minor, "currency": quote.currency}


@page_requires(IsTenantUser, PhoneVerified)
@require_http_methods(["GET", "POST"])
def pay_bill(request, kind: str):
    """Electricity or cable TV: first "Check" (the biller names the customer), then "Pay"."""
    if kind not in BILLS:
        raise Http404
    product_type, title = BILLS[kind]
    electricity = product_type == ProductType.ELECTRICITY
    number_label = _("Meter number") if electricity else _("Smartcard number")
    form = BillForm(request.POST or None, initial={"recipient_phone": request.user.phone or ""},
                    products=_bill_choices(product_type), number_label=number_label, needs_amount=electricity)
    check = None
    action = request.POST.get("action", "verify")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = order_create.purchase_check(product_id=data["product_id"],
                                                customer_number=data["customer_number"])
        except ApiError as error:
            show_service_error(form, error)
        if check is not None and action == "pay":
            amount = amount_minor(form, required=True) if electricity else None
            if not form.errors:
                def purchase() -> str:
                    order = order_create.purchase_create(
                        user=request.user, product_id=data["product_id"], recipient_phone=data["recipient_phone"],
                        amount_minor=amount, customer_number=data["customer_number"],
                        confirm_duplicate=data["confirm_duplicate"], source="portal",
                        verified_name=check.name)  # checked above, before the money transaction
                    return reverse("portal:receipt", args=[order.public_id])

                try:
                    url, _replayed = run_once(request, form, purchase)
                except ApiError as error:
                    show_service_error(form, error)
                else:
                    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"form": form, "title": title, "kind": kind, "check": check, "electricity": electricity,
               "duplicate": _duplicate(form),
               "price": _bill_price(form, request.user) if check is not None else {}}
    return page(request, "portal/shop/bill.html", context, status=400 if form.errors else 200)


# --- history and receipts ---------------------------------------------------------------------

def receipt_context(order: Order) -> dict:
    plain = PLAIN_STATUS[order.status]
    return {"order": order, "plain": plain, "final": plain != "processing"}


@page_requires(IsTenantUser)
@require_GET
def history(request):
    form = HistoryFilterForm(request.GET or None)
    filters = {key: value for key, value in (form.cleaned_data if form.is_valid() else {}).items() if value}
    orders = order_selectors.orders_for_user(user=request.user, **filters)
    rows = Paginator(orders, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "rows": rows, "statuses": {o.pk: PLAIN_STATUS[o.status] for o in rows}}
    if request.htmx:
        return render(request, "portal/history/_orders.html", context)
    return page(request, "portal/history/list.html", context)


def _order_or_404(request, public_id) -> Order:
    order = order_selectors.order_for_user(user=request.user, public_id=public_id)
    if order is None:
        raise Http404
    return order


@page_requires(IsTenantUser)
@require_GET
def receipt(request, public_id):
    from tenant_apps.receipts.data import order_receipt

    from .receipts import share_context

    order = _order_or_404(request, public_id)
    taxes = order_receipt(order).taxes
    return page(request, "portal/history/receipt.html", {**receipt_context(order), "taxes": taxes,
                                                         **share_context(request, "order", order.public_id)})


@page_requires(IsTenantUser)
@require_GET
def receipt_status(request, public_id):
    """htmx polling target: the receipt's status block; it stops polling once the order is final."""
    return render(request, "portal/history/_status.html", receipt_context(_order_or_404(request, public_id)))
