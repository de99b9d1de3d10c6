"""Step 3: the batch's plain successes settled set-based in ONE transaction (``settle_plain``), its other
successes in one more through the per-order path; every other answer as it always was."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from provider_plugins.interfaces import OutcomeStatus
from tenant_apps.provider_archive.services import exchange_fields, store_exchange_fields

from ..models import Order, OrderAttempt
from ..services.outcomes import Outcome, order_apply_outcome, order_apply_provider_result
from .claims import Claimed
from .settle_plain import settle_plain

logger = logging.getLogger(__name__)

SOURCE = "submit"


def _archive(items: list[Claimed]) -> None:
    """Every call's exchanges, redacted, in one INSERT (autocommit: never part of a money transaction)."""
    rows = []
    for item in items:
        provider = item.product.provider
        order = item.order
        rows += exchange_fields(exchanges=item.exchanges, subject_type="order", subject_id=order.pk,
                                attempt_ref=item.attempt.request_id, operation="purchase",
                                plugin_key=provider.plugin_key, provider_id=provider.pk,
                                secrets=[str(value) for value in item.config.credentials.values()],
                                personal=[order.recipient_phone, order.customer_number, order.customer_name])
    if not rows:
        return
    try:
        store_exchange_fields(rows)
    except Exception:
        logger.exception("provider archive: could not store the exchanges of a batch of %d orders", len(items))


def _settle_successes(items: list[Claimed]) -> dict[int, Order]:
    """One transaction: lock the orders (id order), re-read their attempts, apply each success through the
    per-order path (the successes ``settle_plain`` leaves: commissions, reseller floats, odd states)."""
    now = timezone.now()
    settled: dict[int, Order] = {}
    with transaction.atomic():
        orders = {order.pk: order for order in Order.objects.select_for_update(of=("self",))  # lock: subject
                  .select_related("user", "hold__wallet").filter(pk__in=[i.order.pk for i in items]).order_by("pk")}
        attempts = {a.pk: a for a in OrderAttempt.objects.filter(pk__in=[i.attempt.pk for i in items])}
        for item in sorted(items, key=lambda i: i.order.pk):
            assert item.outcome is not None  # a success
            settled[item.order.pk] = order_apply_outcome(order=orders[item.order.pk], attempt=attempts[item.attempt.pk],
                                                         outcome=item.outcome, source=SOURCE, now=now)
    return settled


def _apply_one(item: Claimed) -> Order | None:
    """Today's outcome handling for one answer (its own transaction). A failure leaves the order's outbox row
    leased: it is claimed again when the lease runs out (same request id)."""
    outcome = item.outcome or Outcome(OutcomeStatus.PENDING, reason="internal_error")  # never called: requery
    try:
        return order_apply_provider_result(request_id=item.attempt.request_id, outcome=outcome, source=SOURCE)
    except Exception:
        if transaction.get_connection().in_atomic_block:
            raise
        logger.exception("dispatcher: could not apply the answer for order %s", item.order.reference)
        return None


def settle_batch(items: list[Claimed], *, archive: bool = True) -> dict[int, Order | None]:
    """Apply every answer of a claimed batch (current schema); returns the orders by id."""
    if archive:
        _archive(items)
    successes = [item for item in items if item.outcome is not None and item.outcome.status == OutcomeStatus.SUCCESS]
    others = [item for item in items if item.outcome is None or item.outcome.status != OutcomeStatus.SUCCESS]
    done: dict[int, Order | None] = {}
    left: list[Claimed] = []
    if successes:
        try:
            settled, left = settle_plain(successes, source=SOURCE, now=timezone.now())
            done.update(settled)
        except Exception:
            if transaction.get_connection().in_atomic_block:
                raise
            logger.exception("dispatcher: the set-based batch settlement failed; settling its %d orders one by one",
                             len(successes))
            others = successes + others
    if left:
        try:
            done.update(_settle_successes(left))
        except Exception:
            if transaction.get_connection().in_atomic_block:
                raise
            logger.exception("dispatcher: the batch settlement failed; settling its %d orders one by one", len(left))
            others = left + others
    for item in others:
        done[item.order.pk] = _apply_one(item)
    return done
