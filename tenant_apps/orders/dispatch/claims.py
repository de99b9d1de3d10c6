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
from shared_apps.providers.services import provider_config
from tenants.connection import current_schema

from .. import routing
from ..models import Order, OrderAttempt, OrderStatus
from ..services._helpers import _capability, _delete_outbox, _sent_attempt, _start_attempt
from ..services.outcomes import Outcome, _fail_and_release

logger = logging.getLogger(__name__)

# Ready rows first (the partial index outbox_ready), then rows whose lease ran out (outbox_leased): a
# dispatcher died with them. Each outbox row is taken together with its order's row, neither waited for
# (SKIP LOCKED): rows another dispatcher is claiming, and orders a webhook, a requery or staff hold right now,
# are left for the next claim. Never waiting is what keeps the claim out of deadlocks with those (they lock
# the order, then delete its outbox row). Lock rank: subject (the outbox row is the order's), ascending id.
CLAIM_READY = """
WITH ready AS (
    SELECT b.id FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id
     WHERE b.claimed_until IS NULL
     ORDER BY b.id LIMIT %(limit)s::int
       FOR UPDATE OF b, o SKIP LOCKED  -- # lock: subject
), expired AS (
    SELECT b.id FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id
     WHERE b.claimed_until < now()
     ORDER BY b.claimed_until LIMIT %(limit)s::int
       FOR UPDATE OF b, o SKIP LOCKED  -- # lock: subject
)
UPDATE orders_orderoutbox b
   SET claimed_until = now() + make_interval(secs => %(lease)s::float8), enqueued_at = now(),
       enqueue_count = b.enqueue_count + (b.claimed_until IS NOT NULL)::int
  FROM (SELECT id FROM ready UNION SELECT id FROM expired) c
 WHERE b.id = c.id
RETURNING b.order_id
"""

# The same for given orders (``order_submit``): whatever their lease says (a retry sends the same request id).
CLAIM_ORDERS = """
UPDATE orders_orderoutbox b
   SET claimed_until = now() + make_interval(secs => %(lease)s::float8), enqueued_at = now()
  FROM (SELECT b.id FROM orders_orderoutbox b JOIN orders_order o ON o.id = b.order_id
         WHERE b.order_id = ANY(%(ids)s::bigint[])
         ORDER BY b.id
           FOR UPDATE OF b, o SKIP LOCKED) c  -- # lock: subject
 WHERE b.id = c.id
RETURNING b.order_id
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


def _claim_rows(*, limit: int, lease_seconds: float, order_ids: list[int] | None) -> list[int]:
    with connection.cursor() as cursor:
        if order_ids is None:
            cursor.execute(CLAIM_READY, {"limit": limit, "lease": float(lease_seconds)})
        else:
            cursor.execute(CLAIM_ORDERS, {"ids": list(order_ids), "lease": float(lease_seconds)})
        return [row[0] for row in cursor.fetchall()]


def _start(order: Order, *, now: datetime) -> tuple[OrderAttempt, Product] | None:
    """What ``order_submit`` did under the order's lock: a new attempt for a held order, the same attempt
    again for a submitted one; None when there is nothing to send (the order is saved/answered here)."""
    if order.status == OrderStatus.HELD and order.needs_review:
        _delete_outbox(order)  # held by a risk rule: only an operator's release (order_risk_release) sends it
        return None
    if order.status == OrderStatus.HELD:
        attempt = _start_attempt(order, now=now, source="submit", submitting=True)
        if attempt is None:
            _fail_and_release(order, reason="no_provider_available", source="submit", now=now)
            order.save()
            return None
        order.save()
        product = attempt.product or Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
        return attempt, product
    if order.status == OrderStatus.SUBMITTED:
        attempt = _sent_attempt(order)  # a retry: same request id, the provider deduplicates
        OrderAttempt.objects.filter(pk=attempt.pk).update(submit_count=F("submit_count") + 1)
        product = Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
        return attempt, product
    _delete_outbox(order)  # answered meanwhile (a webhook, staff): nothing to send
    return None


def _claim_in_transaction(*, limit: int, lease_seconds: float, order_ids: list[int] | None) -> Claim:
    now = timezone.now()
    ids = _claim_rows(limit=limit, lease_seconds=lease_seconds, order_ids=order_ids)
    if not ids:
        return Claim(0, [])
    # Already locked by the claim above (no wait): read with the buyer for pricing a fail-over attempt.
    orders = (Order.objects.select_for_update(of=("self",)).select_related("user")  # lock: subject
              .filter(pk__in=ids).order_by("pk"))
    configs: dict[int, ProviderConfig] = {}
    items = []
    schema = current_schema()
    with routing.decided_once():  # one routing lookup and breaker check per product/provider for the batch
        started_orders = [(order, _start(order, now=now)) for order in orders]
    for order, started in started_orders:
        if started is None:
            continue
        attempt, product = started
        provider = product.provider
        config = configs.get(provider.pk)
        if config is None:
            config = configs[provider.pk] = provider_config(provider=provider)
        connector = get_plugin(provider.plugin_key).connector(_capability(product.product_type))(config)
        items.append(Claimed(schema=schema, order=order, attempt=attempt, product=product, connector=connector,
                             request=connector_request(order, attempt, product), config=config))
    return Claim(len(ids), items)


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
