"""Step 1: claim a batch of outbox rows and give each order its attempt, in one committed transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from provider_plugins.interfaces import AirtimeTopupRequest, BillPaymentRequest, DataTopupRequest, ProviderConfig
from provider_plugins.interfaces.observe import Exchange
from provider_plugins.registry import get_plugin
from shared_apps.catalog.models import Product, ProductType
from shared_apps.core import rows
from shared_apps.providers.models import Provider
from shared_apps.providers.services import provider_config
from tenants.connection import current_schema

from .. import routing
from ..models import Order, OrderAttempt, OrderStatus, OrderTransition
from ..services._helpers import _capability, _new_attempt, _pick_candidate
from ..services.outcomes import Outcome, _fail_and_release

logger = logging.getLogger(__name__)

_USER_MODEL: Any = Order._meta.get_field("user").related_model

# Ready rows first (the partial index outbox_ready), then rows whose lease ran out (outbox_leased): a
# dispatcher died with them. Each outbox row is taken together with its order's row, neither waited for
# (SKIP LOCKED): rows another dispatcher is claiming, and orders a webhook, a requery or staff hold right now,
# are left for the next claim. Never waiting is what keeps the claim out of deadlocks with those (they lock
# the order, then delete its outbox row). Lock rank: subject (the outbox row is the order's), ascending id.
# The locking SELECTs return the orders as locked (their latest version) with their buyers: the claimed orders
# come back from the same statement that leases them, in id order (the first two columns: outbox and order id).
CLAIM_READY = """
WITH ready AS (
    SELECT b.id AS claim_outbox_id, o.id AS claim_order_id, {orders}, {users}
      FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id JOIN accounts_user u ON u.id = o.user_id
     WHERE b.claimed_until IS NULL
     ORDER BY b.id LIMIT %(limit)s::int
       FOR UPDATE OF b, o SKIP LOCKED  -- # lock: subject
), expired AS (
    SELECT b.id AS claim_outbox_id, o.id AS claim_order_id, {orders}, {users}
      FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id JOIN accounts_user u ON u.id = o.user_id
     WHERE b.claimed_until < now()
     ORDER BY b.claimed_until LIMIT %(limit)s::int
       FOR UPDATE OF b, o SKIP LOCKED  -- # lock: subject
), c AS (
    SELECT * FROM ready UNION ALL SELECT * FROM expired  -- disjoint: claimed_until is NULL, or it is not
), leased AS (
    UPDATE orders_orderoutbox b
       SET claimed_until = now() + make_interval(secs => %(lease)s::float8), enqueued_at = now(),
           enqueue_count = b.enqueue_count + (b.claimed_until IS NOT NULL)::int
      FROM c WHERE b.id = c.claim_outbox_id
)
SELECT * FROM c ORDER BY claim_order_id
"""

# The same for given orders (``order_submit``): whatever their lease says (a retry sends the same request id).
CLAIM_ORDERS = """
WITH c AS (
    SELECT b.id AS claim_outbox_id, o.id AS claim_order_id, {orders}, {users}
      FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id JOIN accounts_user u ON u.id = o.user_id
     WHERE b.order_id = ANY(%(ids)s::bigint[])
     ORDER BY b.id
       FOR UPDATE OF b, o SKIP LOCKED  -- # lock: subject
), leased AS (
    UPDATE orders_orderoutbox b
       SET claimed_until = now() + make_interval(secs => %(lease)s::float8), enqueued_at = now()
      FROM c WHERE b.id = c.claim_outbox_id
)
SELECT * FROM c ORDER BY claim_order_id
"""


@dataclass
class Claimed:
    """One order on its way to its provider: the committed attempt and the connector call to make."""

    schema: str
    order: Order
    attempt: OrderAttempt
    product: Product  # the attempt's product, provider selected
    connector: Any
    request: Any
    config: ProviderConfig
    outcome: Outcome | None = None
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass
class Claim:
    rows: int  # outbox rows claimed (some orders need no call: refunded, already answered)
    items: list[Claimed]


def connector_request(order: Order, attempt: OrderAttempt, product: Product) -> Any:
    """The request the attempt sends (the request id made once, reused on every retry)."""
    face = order.face_value_minor
    if product.product_type == ProductType.AIRTIME:
        return AirtimeTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone, amount_minor=face,
            currency=order.currency, country=product.country, operator_code=product.provider_product_code)
    if product.product_type == ProductType.DATA:
        return DataTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone,
            product_code=product.provider_product_code, amount_minor=face, currency=order.currency,
            country=product.country, operator_code=product.biller_code)
    return BillPaymentRequest(
        request_id=attempt.request_id, biller_code=product.biller_code, customer_number=order.customer_number,
        amount_minor=face, currency=order.currency, variation=product.variation or product.provider_product_code,
        phone=order.recipient_phone, details=dict((order.receipt_details or {}).get("request") or {}))


def _claim_rows(*, limit: int, lease_seconds: float, order_ids: list[int] | None) -> list[Order]:
    """Lease the rows and return their orders, locked (no wait), each with its buyer (to price a fail-over)."""
    columns = {"orders": rows.columns(Order, "o"), "users": rows.columns(_USER_MODEL, "u")}
    with connection.cursor() as cursor:
        if order_ids is None:
            cursor.execute(CLAIM_READY.format(**columns), {"limit": limit, "lease": float(lease_seconds)})
        else:
            cursor.execute(CLAIM_ORDERS.format(**columns), {"ids": list(order_ids), "lease": float(lease_seconds)})
        return rows.joined(Order, "user", [row[2:] for row in cursor.fetchall()])


# The ORM's select_related("provider").filter(pk__in=...), written out (shared_apps.core.rows).
PRODUCTS = "SELECT {products}, {providers} FROM catalog_product p JOIN providers_provider r ON r.id = p.provider_id " \
           "WHERE p.id = ANY(%s::bigint[])"


def _products(ids: set[int]) -> dict[int, Product]:
    """The batch's products with their providers, in one query (the public schema's catalog)."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(PRODUCTS.format(products=rows.columns(Product, "p"), providers=rows.columns(Provider, "r")),
                       [sorted(ids)])
        products = rows.joined(Product, "provider", cursor.fetchall())
    return {p.pk: p for p in products}


def _resent(orders: list[Order]) -> list[OrderAttempt]:
    """Submitted orders claimed again (a lease ran out, a fail-over's next attempt): each one's current attempt,
    sent again with the SAME request id (the provider deduplicates); their submit counts in one UPDATE."""
    if not orders:
        return []
    current = {(o.pk, o.attempt_count) for o in orders}
    found = {a.order_id: a for a in OrderAttempt.objects.filter(order_id__in=[o.pk for o in orders])
             if (a.order_id, a.number) in current}
    missing = [o for o in orders if o.pk not in found]
    if missing:
        raise ValueError(f"{missing[0]} has no provider attempt")
    OrderAttempt.objects.filter(pk__in=[a.pk for a in found.values()]).update(submit_count=F("submit_count") + 1)
    attempts = []
    for order in orders:
        attempt = found[order.pk]
        attempt.order, attempt.submit_count = order, attempt.submit_count + 1
        attempts.append(attempt)
    return attempts


# The batch's attempts and their transitions inserted, its held orders moved to submitted (their new attempt
# numbers): ONE statement; the attempts' ids come back in their order.
STARTED = """
WITH a AS ({attempts}), t AS ({transitions}), o AS (
    UPDATE orders_order o
       SET status = %s, attempt_count = v.number, requery_count = 0, next_requery_at = NULL, updated_at = %s
      FROM unnest(%s::bigint[], %s::int[]) AS v(id, number)
     WHERE o.id = v.id
)
SELECT * FROM a
"""


def _started(orders: list[Order], products: dict[int, Product], *, now: datetime) -> tuple[list[OrderAttempt],
                                                                                       list[Order]]:
    """Held orders: each one's first attempt, as ``_start_attempt`` makes it (routing and the breaker decided once
    per product and provider, ``routing.decided_once``), all written at once: one INSERT of the attempts
    (RETURNING their ids), one of the transitions, one UPDATE of the orders. Returns the attempts and the
    orders no provider can take."""
    retried = [o.pk for o in orders if o.attempt_count]
    tried: dict[int, set[int]] = {o.pk: set() for o in orders}
    if retried:  # a held order has no attempt yet; kept for the rule's sake (never charge a provider twice)
        for order_id, provider_id in OrderAttempt.objects.filter(order_id__in=retried).values_list(
                "order_id", "provider_id"):
            tried[order_id].add(provider_id)
    attempts: list[OrderAttempt] = []
    transitions: list[OrderTransition] = []
    unroutable: list[Order] = []
    quotes: dict[tuple, Any] = {}
    for order in orders:
        picked = _pick_candidate(order, product=products.get(order.product_id), tried=tried[order.pk], quotes=quotes)
        if picked is None:
            unroutable.append(order)
            continue
        attempts.append(_new_attempt(order, *picked, now=now, source="submit", submitting=True, pending=transitions))
    if attempts:  # bulk_create of the attempts and of the transitions, and the orders' UPDATE, in one statement
        attempts_sql, attempts_params = rows.insert_statement(attempts)
        transitions_sql, transitions_params = rows.insert_statement(transitions)
        with connection.cursor() as cursor:
            cursor.execute(STARTED.format(attempts=attempts_sql, transitions=transitions_sql),
                           [*attempts_params, *transitions_params, OrderStatus.SUBMITTED, now,
                            [a.order.pk for a in attempts], [a.number for a in attempts]])
            rows.inserted(attempts, [row[0] for row in cursor.fetchall()])
    return attempts, unroutable


def _start_all(orders: list[Order], *, now: datetime) -> list[tuple[Order, OrderAttempt, Product]]:
    """What ``order_submit`` did per order under its lock, for the whole batch in a constant number of statements:
    a new attempt for a held order, the same attempt again for a submitted one; nothing to send for an order
    held by a risk rule or answered meanwhile (its outbox row goes) nor for one no provider can take (refunded,
    as it always was: one by one)."""
    held = [o for o in orders if o.status == OrderStatus.HELD and not o.needs_review]
    resend = [o for o in orders if o.status == OrderStatus.SUBMITTED]
    # Held by a risk rule (only an operator's release sends it), or answered meanwhile (a webhook, staff).
    dropped = [o.pk for o in orders if o.status not in (OrderStatus.HELD, OrderStatus.SUBMITTED) or
               (o.status == OrderStatus.HELD and o.needs_review)]
    if dropped:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM orders_orderoutbox WHERE order_id = ANY(%s::bigint[])", [dropped])
    resent = _resent(resend)
    products = _products({o.product_id for o in held} | {a.provider_product_id for a in resent})
    attempts, unroutable = _started(held, products, now=now)
    for order in unroutable:
        _fail_and_release(order, reason="no_provider_available", source="submit", now=now)
        order.save()
    started = [(a.order, a, a.product or products[a.provider_product_id]) for a in attempts]
    started += [(a.order, a, products[a.provider_product_id]) for a in resent]
    return sorted(started, key=lambda s: s[0].pk)


def _claim_in_transaction(*, limit: int, lease_seconds: float, order_ids: list[int] | None) -> Claim:
    now = timezone.now()
    orders = _claim_rows(limit=limit, lease_seconds=lease_seconds, order_ids=order_ids)
    if not orders:
        return Claim(0, [])
    schema = current_schema()
    with routing.decided_once():  # one routing lookup and breaker check per product/provider for the batch
        started = _start_all(orders, now=now)
    configs: dict[int, ProviderConfig] = {}
    connectors: dict[tuple[int, str], Any] = {}
    items = []
    for order, attempt, product in started:
        provider = product.provider
        config = configs.get(provider.pk)
        if config is None:
            config = configs[provider.pk] = provider_config(provider=provider)
        # One connector per provider and capability: submit_async builds its own per call from the config.
        connector = connectors.get((provider.pk, product.product_type))
        if connector is None:
            connector = connectors[(provider.pk, product.product_type)] = \
                get_plugin(provider.plugin_key).connector(_capability(product.product_type))(config)
        items.append(Claimed(schema=schema, order=order, attempt=attempt, product=product, connector=connector,
                             request=connector_request(order, attempt, product), config=config))
    return Claim(len(orders), items)


def claim_batch(*, limit: int, lease_seconds: float, order_ids: list[int] | None = None) -> Claim:
    """Claim and start up to ``limit`` orders of the current schema (or exactly ``order_ids``); committed.

    An order whose start raises (a bug, a broken registry row) does not hold the batch back: the batch is
    claimed again order by order, and the failing order keeps its lease (tried again when it runs out).
    """
    try:
        with transaction.atomic():
            return _claim_in_transaction(limit=limit, lease_seconds=lease_seconds, order_ids=order_ids)
    except Exception:
        if connection.in_atomic_block or (order_ids is not None and len(order_ids) == 1):
            raise  # inside the caller's transaction (order_submit in a test): its error is the caller's
        logger.exception("dispatcher: a batch claim failed in %s; claiming order by order", current_schema())
    with connection.cursor() as cursor:
        if order_ids is None:
            cursor.execute("SELECT order_id FROM orders_orderoutbox WHERE claimed_until IS NULL "
                           "OR claimed_until < now() ORDER BY id LIMIT %s", [limit])
        else:
            cursor.execute("SELECT order_id FROM orders_orderoutbox WHERE order_id = ANY(%s::bigint[])",
                           [list(order_ids)])
        candidates = [row[0] for row in cursor.fetchall()]
    rows, items = 0, []
    for order_id in candidates:
        try:
            with transaction.atomic():
                claim = _claim_in_transaction(limit=1, lease_seconds=lease_seconds, order_ids=[order_id])
        except Exception:
            logger.exception("dispatcher: order %s could not be started; tried again after its lease", order_id)
            with transaction.atomic():
                _claim_rows(limit=1, lease_seconds=lease_seconds, order_ids=[order_id])
            continue
        rows += claim.rows
        items += claim.items
    return Claim(rows, items)
