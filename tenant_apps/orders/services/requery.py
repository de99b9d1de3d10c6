"""Requeries: a pending order's provider is asked again (task body, with backoff) until it answers or the
order goes to manual review; never auto-failed. Staff resolve a manual-review order by hand."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from provider_plugins.interfaces import OutcomeStatus, ProviderError
from provider_plugins.interfaces.common import ProviderTimeout
from shared_apps.catalog.models import Product
from shared_apps.core import metrics
from shared_apps.core.errors import ApiError

from ..models import Order, OrderAttempt, OrderStatus
from ._helpers import _capability, _connector, _current_attempt, _record, _sent_attempt
from .outcomes import Outcome, _outcome_from_result, _schedule_requery, order_apply_attempt_result
from .submit import _archived

logger = logging.getLogger(__name__)


def _requery_outcome(order: Order, attempt: OrderAttempt, *, now: datetime, unknown_fails: bool = True) -> Outcome:
    """Ask the provider about the attempt; an unknown request id past the grace is a definite failure
    (``unknown_fails``; a webhook's confirmation never decides that: the order may already be settled)."""
    product = Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
    plugin = product.provider.plugin_key
    try:
        _, connector, _ = _connector(product.provider, _capability(product.product_type))
        with _archived(order, attempt, product.provider, "requery"), \
                metrics.time_provider_call(provider=plugin, operation="requery"):
            outcome = _outcome_from_result(connector.requery(attempt.request_id))
        metrics.record_provider_request(provider=plugin, operation="requery", outcome="ok")
    except ProviderError as exc:
        metrics.record_provider_request(provider=plugin, operation="requery",
                                        outcome="timeout" if isinstance(exc, ProviderTimeout) else "error")
        outcome = Outcome(OutcomeStatus.PENDING, reason=exc.code)
    except Exception:
        metrics.record_provider_request(provider=plugin, operation="requery", outcome="error")
        logger.exception("order %s: requery crashed", order.reference)
        outcome = Outcome(OutcomeStatus.PENDING, reason="internal_error")
    grace = timedelta(seconds=settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS)
    if unknown_fails and outcome.status == OutcomeStatus.PENDING and outcome.reason == "unknown_request_id" \
            and attempt.created_at < now - grace:
        # The provider never received it (and the grace covers a submit still in flight): a definite failure.
        outcome = Outcome(OutcomeStatus.FAILED, reason="not_received_by_provider", provider_code=outcome.provider_code)
    return outcome


def order_requery(*, order_id: int) -> Order | None:
    """Ask the provider again about a pending order (task body); schedules the next try or manual review."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PENDING:
        return order
    attempt = _sent_attempt(order)
    now = timezone.now()
    outcome = _requery_outcome(order, attempt, now=now)
    order = order_apply_attempt_result(attempt=attempt, outcome=outcome, source="requery")
    if outcome.status != OutcomeStatus.PENDING:
        return order
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)  # lock: subject
        if order.status != OrderStatus.PENDING:
            return order
        order.requery_count += 1
        age = (now - order.created_at).total_seconds()
        if order.requery_count >= settings.ORDERS_REQUERY_MAX or age >= settings.ORDERS_MANUAL_REVIEW_AFTER_SECONDS:
            _record(order, OrderStatus.MANUAL_REVIEW, reason=f"still pending after {order.requery_count} requeries",
                    source="requery", now=now)
            order.needs_review, order.next_requery_at = True, None
        else:
            decide_at = None
            if outcome.reason == "unknown_request_id" and order.attempt_count == attempt.number:
                # Never received so far: the first requery after the grace decides (fail-over or refund).
                decide_at = attempt.created_at + timedelta(seconds=settings.ORDERS_UNKNOWN_REQUEST_GRACE_SECONDS)
            _schedule_requery(order, now=now, decide_at=decide_at)
        order.save()
    return order


def order_ask_once(*, order_id: int) -> Order | None:
    """Ask the provider about a pending order once and apply a final answer; a pending answer changes nothing and
    schedules no next requery (the demo history's seeding, which brings its past to final states in place)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status != OrderStatus.PENDING:
        return order
    attempt = _sent_attempt(order)
    outcome = _requery_outcome(order, attempt, now=timezone.now())
    if outcome.status == OutcomeStatus.PENDING:
        return order
    return order_apply_attempt_result(attempt=attempt, outcome=outcome, source="requery")


def order_resolve_manually(*, order: Order, delivered: bool, note: str = "") -> Order:
    """Staff decision on a manual-review order after checking the provider's statement."""
    attempt = _current_attempt(order)
    if attempt is None:
        raise ApiError(gettext("This order never reached a provider."), code="not_submitted")
    outcome = Outcome(OutcomeStatus.SUCCESS if delivered else OutcomeStatus.FAILED,
                      reason=("staff: " + note)[:60] if note else "staff_decision", failover=False)
    return order_apply_attempt_result(attempt=attempt, outcome=outcome, source="staff")
