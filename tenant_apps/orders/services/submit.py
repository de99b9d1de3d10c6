"""Submitting: the order's attempt (a provider and a request id) is claimed and committed first, then the
provider is called and its answer applied (:mod:`.outcomes`). A crash after the call is harmless: the retry
sends the same request id and the provider deduplicates on it.

Seams: :func:`order_submit_claim` (the committed claim, no provider call) and :func:`_call_provider` (the
call, no transaction) make :func:`order_submit`; a batching dispatcher can run them separately and apply
each answer with :func:`~tenant_apps.orders.services.outcomes.order_apply_outcome`."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    BillPaymentRequest,
    DataTopupRequest,
    OutcomeStatus,
    ProductUnavailable,
    ProviderFault,
    UserFixableError,
)
from provider_plugins.interfaces.common import DuplicateRequest, ProviderTimeout
from shared_apps.catalog.models import Product, ProductType
from shared_apps.core import metrics
from shared_apps.providers.models import Provider
from tenant_apps.provider_archive.services import archived_call

from ..models import Order, OrderAttempt, OrderStatus
from ._helpers import _capability, _connector, _delete_outbox, _sent_attempt, _start_attempt
from .outcomes import Outcome, _fail_and_release, order_apply_attempt_result

logger = logging.getLogger(__name__)

# Pending reasons that say the provider is struggling (they count against its circuit breaker).
FAULTY_PENDING_REASONS = frozenset({"timeout", "no_response", "http_5xx", "unexpected_reply"})


def order_submit(*, order_id: int) -> Order | None:
    """Send the order to its provider (task body). Safe to run any number of times, concurrently too."""
    order, attempt = order_submit_claim(order_id=order_id)
    if order is None or attempt is None:  # an attempt comes with its order
        return order
    # Committed: from here on a crash leaves a SUBMITTED order with a stored request id for the sweeper.
    outcome = _call_provider(order, attempt)
    return order_apply_attempt_result(attempt=attempt, outcome=outcome, source="submit")


def order_submit_claim(*, order_id: int) -> tuple[Order | None, OrderAttempt | None]:
    """The submit's own transaction, committed before any provider call: a held order gets its attempt (the
    next provider, a new request id), a submitted one reuses its attempt (a retry: same request id, the
    provider deduplicates). ``(order, None)``: nothing to send (unknown order, held by a risk rule, no
    provider left and the hold released, or already past submission)."""
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("user").filter(pk=order_id).first()  # lock: subject
        if order is None:
            return None, None
        if order.status == OrderStatus.HELD and order.needs_review:
            return order, None  # held by a risk rule: only an operator's release (order_risk_release) sends it
        if order.status == OrderStatus.HELD:
            attempt = _start_attempt(order, now=now, source="submit", submitting=True)
            if attempt is None:
                _fail_and_release(order, reason="no_provider_available", source="submit", now=now)
                order.save()
                return order, None
            order.save()
        elif order.status == OrderStatus.SUBMITTED:
            attempt = _sent_attempt(order)  # a retry: same request id, the provider deduplicates
            OrderAttempt.objects.filter(pk=attempt.pk).update(submit_count=attempt.submit_count + 1)
        else:
            _delete_outbox(order)
            return order, None
    return order, attempt


def _outcome_from_result(result: Any) -> Outcome:
    reason = getattr(result, "reason", "") or ""
    return Outcome(status=OutcomeStatus(result.status), provider_reference=result.provider_reference or "",
                   token=getattr(result, "token", "") or "", units=getattr(result, "units", "") or "",
                   reason=reason, provider_code=getattr(result, "provider_code", "") or "",
                   fault=result.status == OutcomeStatus.PENDING and reason in FAULTY_PENDING_REASONS,
                   fx=dict(getattr(result, "fx", None) or {}) or None,
                   receipt=dict(getattr(result, "receipt", None) or {}) or None)


def _call_provider(order: Order, attempt: OrderAttempt) -> Outcome:
    product = attempt.product
    if product is None or product.pk != attempt.provider_product_id:
        product = Product.objects.select_related("provider").get(pk=attempt.provider_product_id)
    face = order.face_value_minor
    plugin = product.provider.plugin_key
    try:
        with _archived(order, attempt, product.provider, "purchase"), \
                metrics.time_provider_call(provider=plugin, operation="purchase"):  # the archive write: after
            result = _submit_to_connector(order, attempt, product, face)
    except (ProviderTimeout, DuplicateRequest) as exc:
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="timeout")
        return Outcome(OutcomeStatus.PENDING, reason=exc.code, provider_code=exc.provider_code, fault=True)
    except ProductUnavailable as exc:
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="unavailable")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code)
    except UserFixableError as exc:  # the request itself is wrong: no other provider will take it either
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="rejected")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, failover=False)
    except ProviderFault as exc:  # raised only when the provider did not act: try the next one
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, fault=True)
    except Exception:  # we cannot know whether the request left: requery decides
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
        logger.exception("order %s: unexpected error calling the provider", order.reference)
        return Outcome(OutcomeStatus.PENDING, reason="internal_error")
    metrics.record_provider_request(provider=plugin, operation="purchase", outcome="ok")
    return _outcome_from_result(result)


def _archived(order: Order, attempt: OrderAttempt, provider: Provider, operation: str):
    """The provider call's exchanges go to the archive (redacted) under the order, after the call."""
    return archived_call(subject_type="order", subject_id=order.pk, attempt_ref=attempt.request_id,
                         operation=operation, plugin_key=provider.plugin_key, provider=provider,
                         personal=[order.recipient_phone, order.customer_number, order.customer_name])


def _submit_to_connector(order: Order, attempt: OrderAttempt, product: Product, face: int) -> Any:
    """The connector call for the order's product type (timed and counted by the caller)."""
    _, connector, _ = _connector(product.provider, _capability(product.product_type))
    if product.product_type == ProductType.AIRTIME:
        result = connector.airtime(AirtimeTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone, amount_minor=face,
            currency=order.currency, country=product.country, operator_code=product.provider_product_code))
    elif product.product_type == ProductType.DATA:
        result = connector.data(DataTopupRequest(
            request_id=attempt.request_id, recipient_phone=order.recipient_phone,
            product_code=product.provider_product_code, amount_minor=face, currency=order.currency,
            country=product.country, operator_code=product.biller_code))
    else:
        result = connector.pay(BillPaymentRequest(
            request_id=attempt.request_id, biller_code=product.biller_code,
            customer_number=order.customer_number, amount_minor=face, currency=order.currency,
            variation=product.variation or product.provider_product_code, phone=order.recipient_phone,
            details=dict((order.receipt_details or {}).get("request") or {})))
    return result
