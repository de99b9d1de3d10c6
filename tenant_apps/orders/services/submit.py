"""Submitting: ONE path from a held order to its provider, the dispatcher (``tenant_apps.orders.dispatch``).

The dispatcher claims the order's outbox row and commits its attempt (a provider and a request id, made once
and reused on every retry) before any provider call; a crash after the call is harmless, because the retry
sends the same request id and the provider deduplicates on it. :func:`order_submit` runs the dispatcher's
steps (claim, call, settle) in this process for one order: tools and tests use it; production runs
``manage.py run_dispatcher``.
"""

from __future__ import annotations

from shared_apps.providers.models import Provider
from tenant_apps.provider_archive.services import archived_call

from ..models import Order, OrderAttempt
from .outcomes import FAULTY_PENDING_REASONS, _outcome_from_result

__all__ = ["FAULTY_PENDING_REASONS", "_archived", "_outcome_from_result", "order_submit"]


def order_submit(*, order_id: int) -> Order | None:
    """Claim, send and settle one order now, in this process (what the dispatcher does for a batch). An order
    with no outbox row (held by a risk rule, already answered) or one a dispatcher is claiming right now is
    returned as it is. Safe to run any number of times, concurrently too (the same request id is sent)."""
    # Lazily: the dispatcher imports this package's modules (claims need the attempt and outcome steps).
    from ..dispatch.batch import dispatch_orders

    done = dispatch_orders(order_ids=[order_id])
    if done.get(order_id) is not None:
        return done[order_id]
    return Order.objects.select_related("user").filter(pk=order_id).first()


def _archived(order: Order, attempt: OrderAttempt, provider: Provider, operation: str):
    """A provider call's exchanges go to the archive (redacted) under the order, after the call (requery)."""
    return archived_call(subject_type="order", subject_id=order.pk, attempt_ref=attempt.request_id,
                         operation=operation, plugin_key=provider.plugin_key, provider=provider,
                         personal=[order.recipient_phone, order.customer_number, order.customer_name])
