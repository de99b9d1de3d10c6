"""The storefront: each tenant's home page shows what it sells, at its prices, network by network.

A visitor sees it before signing up; a logged-in customer also gets one-tap "buy again" buttons for their
recent purchases, which post to the usual purchase form (``shop.buy``: the same service, the same form key,
so a double tap buys once). Agents and staff land on their own pages, as before.

Prices are the ones a purchase charges: the offers are ``shop.offers_for`` (the buy page's own list, one
product per equivalent set, the provider routing picks first) priced with ``pricing.quotes.quote_for_face``
(what ``quote_price`` computes for a purchase). The whole price list is cached per tenant and language
under the catalogue's and the tenant's pricing cache versions (and its operation's, for a reseller), which
every product, provider or price change bumps: a change shows on the next page view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.http import require_http_methods

from shared_apps.catalog.models import ProductType
from shared_apps.catalog.versions import catalog_version
from tenant_apps.accounts.country import current_adapter, current_country
from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.orders.models import Order, OrderStatus
from tenant_apps.pricing.engine import load_tenant_pricing
from tenant_apps.pricing.quotes import quote_for_face
from tenant_apps.pricing.versions import pricing_versions

from .once import new_key
from .shop import Offer, offers_for
from .views import _landing_for, page

# Example top-ups shown for each network's airtime (major units of the currency); others: from the range.
EXAMPLE_AMOUNTS = {"NGN": (100, 200, 500, 1000), "GHS": (5, 10, 20, 50), "XOF": (500, 1000, 2000, 5000),
                   "GNF": (5000, 10000, 20000, 50000), "SLE": (10, 20, 50, 100), "LRD": (100, 250, 500, 1000),
                   "GMD": (50, 100, 200, 500), "CVE": (100, 200, 500, 1000), "MRU": (50, 100, 200, 500)}
BUNDLES_PER_NETWORK = 6
BILLS_PER_TYPE = 6


@dataclass(frozen=True)
class AirtimePrice:
    face_minor: int
    price_minor: int


@dataclass(frozen=True)
class NetworkShelf:
    key: str
    name: str
    airtime: Offer | None
    airtime_prices: tuple[AirtimePrice, ...]
    bundles: tuple[Offer, ...]
    more_bundles: int


@dataclass(frozen=True)
class Storefront:
    currency: str
    networks: tuple[NetworkShelf, ...]
    any_network: tuple[Offer, ...]
    bills: tuple[tuple[str, str, tuple[Offer, ...]], ...]  # (kind, label, offers)
    product_count: int = 0
    extra: dict = field(default_factory=dict)


def _examples(offer: Offer, currency: str, exponent: int) -> list[int]:
    """Example face values within the product's range, in minor units."""
    low, high = offer.min_minor or 0, offer.max_minor
    wanted = [amount * 10 ** exponent for amount in EXAMPLE_AMOUNTS.get(currency, ())]
    if not wanted:
        base = max(low, 1)
        wanted = [base, base * 2, base * 5, base * 10]
    return [value for value in wanted if value >= low and (high is None or value <= high)][:4]


def build_storefront() -> Storefront:
    """Every offer of this tenant at its prices, grouped by network (uncached: see :func:`storefront`)."""
    from shared_apps.catalog.models import Product

    adapter = current_adapter()
    currency, exponent = adapter.currency_info.code, int(adapter.minor_unit)
    pricing = load_tenant_pricing()
    airtime = offers_for(product_type=ProductType.AIRTIME)
    data = offers_for(product_type=ProductType.DATA)
    products = {product.pk: product for product in Product.objects.filter(
        pk__in=[offer.id for offer in airtime if offer.price_minor is None])}
    order = {key: index for index, key in enumerate(adapter.networks)}
    keys = sorted({offer.network for offer in airtime + data if not offer.gift},
                  key=lambda key: (order.get(key, len(order)), key))
    shelves = []
    for key in keys:
        own_airtime = next((offer for offer in airtime if offer.network == key and not offer.gift
                            and offer.price_minor is None), None)
        prices = []
        if own_airtime is not None:
            product = products[own_airtime.id]
            prices = [AirtimePrice(face, quote_for_face(product=product, face_minor=face, pricing=pricing).price_minor)
                      for face in _examples(own_airtime, currency, exponent)]
        bundles = sorted((offer for offer in data if offer.network == key and not offer.gift),
                         key=lambda offer: (offer.price_minor or 0, offer.data_size_mb or 0))
        shelves.append(NetworkShelf(key=key, name=adapter.network_name(key) or key.upper(), airtime=own_airtime,
                                    airtime_prices=tuple(prices), bundles=tuple(bundles[:BUNDLES_PER_NETWORK]),
                                    more_bundles=max(len(bundles) - BUNDLES_PER_NETWORK, 0)))
    gifts = tuple(offer for offer in airtime + data if offer.gift)
    bills = []
    for kind, product_type, label in (("electricity", ProductType.ELECTRICITY, translation.gettext("Electricity")),
                                      ("cable", ProductType.CABLE_TV, translation.gettext("Cable TV"))):
        offers = offers_for(product_type=product_type)
        if offers:
            bills.append((kind, label, tuple(offers[:BILLS_PER_TYPE])))
    return Storefront(currency=currency, networks=tuple(shelves), any_network=gifts, bills=tuple(bills),
                      product_count=len(airtime) + len(data) + sum(len(b[2]) for b in bills))


def storefront_cache_key() -> str:
    language = (translation.get_language() or "en")[:2]
    return f"storefront:{current_country()}:{language}:{catalog_version()}:{pricing_versions()}"


def storefront() -> Storefront:
    """The tenant's price list, cached (tenant-scoped key, versioned by every catalogue and price change)."""
    key = storefront_cache_key()
    found = cache.get(key)
    if found is None:
        found = build_storefront()
        cache.set(key, found, settings.STOREFRONT_CACHE_SECONDS)
    return found


# --- quick buy -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuickBuy:
    kind: str  # airtime | data (the buy form it posts to)
    product_id: int
    product_name: str
    recipient_phone: str
    amount: str  # open amounts: the face value as the form's decimal text; "" for bundles
    face_minor: int
    price_minor: int  # today's price
    currency: str
    key: str  # a fresh form key (portal.once): one purchase per tap


def quick_buys(user, *, limit: int | None = None) -> list[QuickBuy]:
    """The customer's last distinct airtime/data purchases still on sale, priced today, each with a form key."""
    from shared_apps.catalog.models import Product
    from shared_apps.providers.models import ProviderStatus

    limit = limit or settings.STOREFRONT_QUICK_BUY_COUNT
    recent = (Order.objects.filter(user=user, product_type__in=(ProductType.AIRTIME, ProductType.DATA))
              .exclude(status__in=(OrderStatus.RELEASED, OrderStatus.REVERSED))
              .order_by("-created_at").values("product_id", "product_type", "recipient_phone", "face_value_minor",
                                              "currency")[:50])
    seen, picked = set(), []
    for row in recent:
        key = (row["product_id"], row["recipient_phone"], row["face_value_minor"])
        if key not in seen:
            seen.add(key)
            picked.append(row)
        if len(picked) == limit:
            break
    products = {p.pk: p for p in Product.objects.select_related("provider").filter(
        pk__in=[row["product_id"] for row in picked], is_active=True).exclude(provider__status=ProviderStatus.DISABLED)}
    pricing = load_tenant_pricing() if products else None
    found = []
    for row in picked:
        product = products.get(row["product_id"])
        if product is None:
            continue
        face = row["face_value_minor"]
        fixed = product.face_value_minor  # None: an open amount (the customer's own)
        price = quote_for_face(product=product, face_minor=face if fixed is None else fixed,
                               pricing=pricing).price_minor
        found.append(QuickBuy(kind=row["product_type"], product_id=product.pk, product_name=product.name,
                              recipient_phone=row["recipient_phone"],
                              amount=to_decimal_string(face, row["currency"]) if product.is_open_amount else "",
                              face_minor=face, price_minor=price, currency=row["currency"], key=new_key()))
    return found


@require_http_methods(["GET", "HEAD", "POST"])
def home(request):
    """The storefront (anyone); agents and staff go to their own pages."""
    from django.contrib.auth import logout

    from .access import session_matches_schema

    if request.user.is_authenticated and not session_matches_schema(request):
        logout(request)  # a session made on another tenant is no session here (as every page)
    user = request.user
    if user.is_authenticated and (getattr(user, "role", "") == "agent" or getattr(user, "is_operator_staff", False)):
        return redirect(_landing_for(user))
    customer = user.is_authenticated and getattr(user, "role", "") == "customer"
    return page(request, "portal/storefront/home.html", {
        "shop": storefront(), "quick": quick_buys(user) if customer else [], "customer": customer,
    })
