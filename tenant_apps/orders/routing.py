"""Which provider fulfils an order: equivalent products in routing order, and a circuit breaker.

Equivalence (kept simple on purpose): the same product type, country, currency and
network (operator), and the same face value for fixed products or a range that
covers the amount for open-amount products. Providers come in registry order
(active before degraded, then ``routing_priority``); the one the customer picked
is not special, since prices are re-quoted per provider and a provider may only
take the order when its price fits inside the hold.

The circuit breaker is global (Redis, not tenant-scoped: a provider is down for
everyone). ``ORDERS_BREAKER_FAILURES`` faults within ``ORDERS_BREAKER_WINDOW_SECONDS``
open it for ``ORDERS_BREAKER_COOLDOWN_SECONDS``; an open provider is skipped unless
it is the only one left (a pending order is never moved, whatever the breaker says).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import redis
from django.conf import settings
from django.db import connection

from shared_apps.catalog.models import Product
from shared_apps.core import rows
from shared_apps.providers.models import Provider, ProviderStatus

logger = logging.getLogger(__name__)

# Catalog operator slugs that name a network differently from the country adapters.
NETWORK_ALIASES = {"etisalat": "9mobile", "airteltigo": "at", "vodafone": "telecel"}
# Operators that deliver to any network (gift products): no network check on the recipient.
CROSS_NETWORK_OPERATORS = frozenset({"", "any", "gift", "any-network"})


def operator_network(operator: str) -> str:
    """The country adapter's network key for a catalog operator slug (``mtn-ghana`` -> ``mtn``)."""
    head = (operator or "").lower().split("-")[0]
    return NETWORK_ALIASES.get(head, head)


def is_cross_network(product: Product) -> bool:
    return (product.operator or "").lower() in CROSS_NETWORK_OPERATORS


# Inside ``decided_once()`` (a dispatcher's claim of a batch), equal routing questions are answered once.
_memo: ContextVar[dict | None] = ContextVar("orders_routing_memo", default=None)


@contextmanager
def decided_once() -> Iterator[None]:
    """Within the block, the equivalent products of a (product, amount) and each provider's breaker state are
    looked up once (a batch of orders for the same product asks the same questions): the routing and the
    circuit breaker are decided per batch, at its claim."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def equivalent_products(*, product: Product, amount_minor: int) -> list[Product]:
    """``product`` and its equivalents at other usable providers, in routing order."""
    memo = _memo.get()
    if memo is None:
        return _equivalent_products(product=product, amount_minor=amount_minor)
    key = ("equivalent", product.pk, amount_minor if product.is_open_amount else None)
    if key not in memo:
        memo[key] = _equivalent_products(product=product, amount_minor=amount_minor)
    return list(memo[key])


# The candidates' query, written out (shared_apps.core.rows: a dispatcher's claim asks it per batch, and the
# ORM's compilation was a third of a small claim's CPU, issue 18): the same filters and the model's ordering as
# Product.objects.select_related("provider").filter(...).exclude(provider__status=DISABLED).
_CANDIDATES = """
SELECT {products}, {providers} FROM catalog_product p JOIN providers_provider r ON r.id = p.provider_id
 WHERE p.country = %(country)s AND p.currency = %(currency)s AND p.product_type = %(product_type)s AND p.is_active
   AND NOT (r.status = %(disabled)s) AND {amount}{biller}
 ORDER BY p.country, p.product_type, p.provider_id, p.face_value_minor, p.id
"""
_OPEN_AMOUNT = "p.face_value_minor IS NULL AND p.min_amount_minor <= %(amount)s AND p.max_amount_minor >= %(amount)s"
_FIXED_AMOUNT = "p.face_value_minor = %(face_value)s"
_BILLER = " AND (p.biller_code = %(biller_code)s OR p.id = %(product_id)s)"


_PRODUCT_AT = {field.attname: position for position, field in enumerate(Product._meta.concrete_fields)}


def _equivalent_products(*, product: Product, amount_minor: int) -> list[Product]:
    sql = _CANDIDATES.format(products=rows.columns(Product, "p"), providers=rows.columns(Provider, "r"),
                             amount=_OPEN_AMOUNT if product.is_open_amount else _FIXED_AMOUNT,
                             biller=_BILLER if product.biller_code else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"country": product.country, "currency": product.currency,
                             "product_type": product.product_type, "disabled": ProviderStatus.DISABLED,
                             "amount": amount_minor, "face_value": product.face_value_minor,
                             "biller_code": product.biller_code, "product_id": product.pk})
        found = cursor.fetchall()
    # Other networks' (and variations') products are left out before any instance is made of them.
    network = operator_network(product.operator)
    pk_at, operator_at, variation_at = _PRODUCT_AT["id"], _PRODUCT_AT["operator"], _PRODUCT_AT["variation"]
    found = [row for row in found if row[pk_at] == product.pk or operator_network(row[operator_at]) == network]
    if product.variation:
        found = [row for row in found if row[variation_at] == product.variation]
    candidates = rows.joined(Product, "provider", found)
    candidates.sort(key=lambda c: (c.provider.status != ProviderStatus.ACTIVE, c.provider.routing_priority,
                                   c.pk != product.pk, c.provider.name))
    if product.provider.status == ProviderStatus.DISABLED or not product.is_active:
        candidates = [c for c in candidates if c.pk != product.pk]
    return candidates


# --- circuit breaker ---------------------------------------------------------------------
@cache
def _redis_at(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)


def _redis() -> redis.Redis:
    """One client (connection pool) per process and URL: a changed ``REDIS_URL`` is honoured."""
    return _redis_at(settings.REDIS_URL)


def _provider_id(provider: Provider | int) -> int:
    return provider if isinstance(provider, int) else provider.pk


def _key(provider_id: int, part: str) -> str:
    return f"{settings.ORDERS_BREAKER_PREFIX}:{provider_id}:{part}"


def breaker_is_open(provider: Provider | int) -> bool:
    provider_id = _provider_id(provider)
    memo = _memo.get()
    if memo is not None:
        if ("open", provider_id) not in memo:
            memo[("open", provider_id)] = _breaker_is_open(provider_id)
        return memo[("open", provider_id)]
    return _breaker_is_open(provider_id)


def _breaker_is_open(provider_id: int) -> bool:
    try:
        return bool(_redis().exists(_key(provider_id, "open")))
    except redis.RedisError:
        logger.warning("circuit breaker: redis unavailable, treating provider %s as closed", provider_id)
        return False


def breaker_record_failure(provider: Provider | int) -> bool:
    """Count a fault (definite failure to serve, timeout, 5xx); returns True when this opened the breaker."""
    provider_id = _provider_id(provider)
    try:
        client = _redis()
        pipe = client.pipeline()
        pipe.incr(_key(provider_id, "failures"))
        pipe.expire(_key(provider_id, "failures"), settings.ORDERS_BREAKER_WINDOW_SECONDS, nx=True)
        failures = pipe.execute()[0]
        if failures >= settings.ORDERS_BREAKER_FAILURES:
            opened = client.set(_key(provider_id, "open"), "1", ex=settings.ORDERS_BREAKER_COOLDOWN_SECONDS, nx=True)
            client.delete(_key(provider_id, "failures"))
            if opened:
                logger.warning("circuit breaker opened for provider %s", provider_id)
            return bool(opened)
    except redis.RedisError:
        logger.warning("circuit breaker: redis unavailable", exc_info=True)
    return False


def breaker_record_success(provider: Provider | int) -> None:
    provider_id = _provider_id(provider)
    try:
        _redis().delete(_key(provider_id, "failures"))
    except redis.RedisError:
        pass


def breaker_reset(provider: Provider | int) -> None:
    provider_id = _provider_id(provider)
    try:
        _redis().delete(_key(provider_id, "failures"), _key(provider_id, "open"))
    except redis.RedisError:
        pass


def route(*, product: Product, amount_minor: int,
          exclude_provider_ids: AbstractSet[int] = frozenset()) -> list[Product]:
    """Products to try, in order: closed breakers first, then open ones (better a sick provider than none)."""
    found = [c for c in equivalent_products(product=product, amount_minor=amount_minor)
             if c.provider_id not in exclude_provider_ids]
    closed = [c for c in found if not breaker_is_open(c.provider_id)]
    return closed + [c for c in found if c not in closed]
