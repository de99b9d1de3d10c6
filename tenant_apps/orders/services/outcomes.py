"""Applying a provider answer (submit reply, requery, webhook, staff) to its order, under the order's row lock.

Idempotent by (order, final status): repeating an answer changes nothing; answers may arrive in any order.
Success settles the hold (cost -> provider settlement, each quote line -> its account); a success after a
refund charges again (:func:`_late_charge`); a definite failure fails over to the next provider or releases
the hold (:func:`_fail_and_release`); a failure after a success reverses it (:func:`_reverse`); anything
unclear stays pending and is requeried with backoff (:func:`_schedule_requery`).

The reseller/agent side hears of each step through the explicit hooks of ``tenant_apps.agents.sales``, called
inside the step's own transaction.

Seam: :func:`order_apply_outcome` applies one answer to one order the caller has already locked (inside the
caller's transaction); :func:`order_apply_provider_result` finds, locks and applies by request id."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from provider_plugins.interfaces import OutcomeStatus
from tenant_apps.agents import sales as reseller_hooks  # call-outs in the sale's transactions
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import AccountKind
from tenant_apps.ledger.services import (
    Line,
    Split,
    post_entry,
    release_hold,
    settle_hold,
)
from tenant_apps.tax.entries import tax_entry_metadata

from .. import routing
from ..models import AttemptStatus, Order, OrderAttempt, OrderOutbox, OrderStatus, OrderTransition
from ._helpers import (
    TaskName,
    _delete_outbox,
    _lock_buyer,
    _on_commit_task,
    _record,
    _sale,
    _start_attempt,
    _system_account,
)
from .notify import _notify

logger = logging.getLogger(__name__)


class EntryTypes:
    LATE_CHARGE = "order_late_charge"
    REVERSAL = "order_reversal"


@dataclass(frozen=True)
class Outcome:
    """A provider answer in the core's words (from a result, an update, or an exception)."""

    status: OutcomeStatus
    provider_reference: str = ""
    token: str = ""
    units: str = ""
    reason: str = ""
    provider_code: str = ""
    failover: bool = True  # a definite failure another provider may fix
    fault: bool = False  # counts against the provider's circuit breaker
    fx: dict | None = None  # what the provider charged in its own currency (FulfilmentResult.fx)
    receipt: dict | None = None  # more for the receipt (BillPaymentResult.receipt: PINs, certificate)


# Pending reasons that say the provider is struggling (they count against its circuit breaker).
FAULTY_PENDING_REASONS = frozenset({"timeout", "no_response", "http_5xx", "unexpected_reply"})


def _outcome_from_result(result: Any) -> Outcome:
    """A connector's result (purchase or requery) in the core's words."""
    reason = getattr(result, "reason", "") or ""
    return Outcome(status=OutcomeStatus(result.status), provider_reference=result.provider_reference or "",
                   token=getattr(result, "token", "") or "", units=getattr(result, "units", "") or "",
                   reason=reason, provider_code=getattr(result, "provider_code", "") or "",
                   fault=result.status == OutcomeStatus.PENDING and reason in FAULTY_PENDING_REASONS,
                   fx=dict(getattr(result, "fx", None) or {}) or None,
                   receipt=dict(getattr(result, "receipt", None) or {}) or None)


def _receipt_details(order: Order, attempt: OrderAttempt, outcome: Outcome) -> dict:
    """The order's receipt extras once a provider delivered: the rate it quoted (from the product the
    attempt was priced on) and what it charged in its own currency; PINs or a certificate."""
    details = dict(order.receipt_details or {})
    fx = {**(attempt.quote.get("provider_fx") or {}), **(outcome.fx or {})}
    if fx:
        details["fx"] = {key: str(value) for key, value in fx.items()}
    if outcome.receipt:
        details.update(outcome.receipt)
    return details


def _splits(quote: dict, currency: str) -> list[Split]:
    splits = [Split(_system_account(AccountKind.PROVIDER_SETTLEMENT, currency), int(quote["cost_minor"]))]
    for line in quote.get("lines", ()):
        if int(line["amount_minor"]):
            splits.append(Split(_system_account(line["account_kind"], currency), int(line["amount_minor"])))
    return splits


def order_quote_taxes(quote: dict) -> list[dict]:
    """The tax lines of a stored quote (countries.tax.TaxAmount dicts; none in quotes made before taxes)."""
    return [dict(tax) for tax in quote.get("taxes") or ()]


def _tax_metadata(quote: dict) -> dict:
    """What the settlement entry records about its taxes: the base each tax account's amount was computed on
    (the tax report sums them; tenant_apps.tax.selectors)."""
    return tax_entry_metadata(order_quote_taxes(quote))


def _fail_and_release(order: Order, *, reason: str, source: str, now: datetime) -> None:
    from tenant_apps.kyc.services import kyc_release_spend

    _lock_buyer(order)  # fault-injection fix (issue 11): buyer, then wallet, as in purchase_create
    if order.status != OrderStatus.FAILED:
        _record(order, OrderStatus.FAILED, reason=reason, source=source, now=now)
    release_hold(hold=order.wallet_hold, metadata={"order": str(order.public_id), "reason": reason},
                 holds=_system_account(AccountKind.HOLDS, order.currency), savepoint=False)
    kyc_release_spend(user=order.user, reference=order.reference)
    reseller_hooks.sale_released(sale=_sale(order, order.quote))  # HOOK: float hold and velocity count back
    order.failure_reason = reason[:60]
    order.next_requery_at = None
    _record(order, OrderStatus.RELEASED, reason="hold released to the wallet", source=source, now=now)
    _delete_outbox(order)
    _notify(order, "refunded")


def _settle(order: Order, attempt: OrderAttempt, outcome: Outcome, *, source: str, now: datetime) -> None:
    pending: list[OrderTransition] = []
    _record(order, OrderStatus.SUCCEEDED, reason=outcome.provider_reference, source=source, now=now, pending=pending)
    # Inside order_apply_provider_result's transaction, which any error rolls back whole: no savepoint.
    settle_hold(hold=order.wallet_hold, splits=_splits(attempt.quote, order.currency),
                metadata={"order": str(order.public_id), "provider_id": attempt.provider_id,
                          **_tax_metadata(attempt.quote)},
                holds=_system_account(AccountKind.HOLDS, order.currency), savepoint=False)
    order.tax_lines = order_quote_taxes(attempt.quote)  # saved with the order by the caller
    # What the wallet paid: a cheaper route than the accepted quote gave the difference back (settle_hold), and
    # the receipt, the API and the text say what was taken, as its VAT line already did (the settling quote's).
    order.price_minor = int(attempt.quote["price_minor"])
    _record(order, OrderStatus.SETTLED, reason="hold settled", source=source, now=now, pending=pending)
    OrderTransition.objects.bulk_create(pending)
    reseller_hooks.sale_settled(sale=_sale(order, attempt.quote))  # HOOK: float draw, commissions, webhooks
    order.next_requery_at = None
    _delete_outbox(order)
    _notify(order, "delivered")


def _late_charge(order: Order, attempt: OrderAttempt, *, source: str, now: datetime) -> None:
    """Delivered after we refunded: charge the wallet again (or book a receivable in suspense for review)."""
    quote = attempt.quote
    price = int(quote["price_minor"])
    wallet = order.wallet_hold.wallet
    credit = [Line(split.account, split.amount) for split in _splits(quote, order.currency) if split.amount]
    try:
        with transaction.atomic():
            post_entry(entry_type=EntryTypes.LATE_CHARGE, reference=order.reference,
                       lines=[Line(wallet, -price), *credit],
                       metadata={"order": str(order.public_id), **_tax_metadata(quote)})
    except InsufficientFunds:
        suspense = _system_account(AccountKind.SUSPENSE, order.currency)
        post_entry(entry_type=EntryTypes.LATE_CHARGE, reference=order.reference,
                   lines=[Line(suspense, -price), *credit],
                   metadata={"order": str(order.public_id), "receivable": True, **_tax_metadata(quote)})
        order.needs_review = True
    order.tax_lines = order_quote_taxes(quote)
    order.price_minor = price  # what was charged again (as _settle)
    _record(order, OrderStatus.SETTLED, reason="late success after refund", source=source, now=now)
    reseller_hooks.sale_settled(sale=_sale(order, quote))  # HOOK
    _notify(order, "delivered")


def _reverse(order: Order, attempt: OrderAttempt, *, reason: str, source: str, now: datetime) -> None:
    """The provider reversed a delivered order: undo the settlement, money back to the wallet."""
    _lock_buyer(order)  # fault-injection fix (issue 11): buyer, then wallet, as in purchase_create
    quote = attempt.quote
    debit = [Line(split.account, -split.amount) for split in _splits(quote, order.currency) if split.amount]
    post_entry(entry_type=EntryTypes.REVERSAL, reference=order.reference,
               lines=[*debit, Line(order.wallet_hold.wallet, int(quote["price_minor"]))],
               metadata={"order": str(order.public_id), "reason": reason, **_tax_metadata(quote)})
    from tenant_apps.kyc.services import kyc_release_spend

    kyc_release_spend(user=order.user, reference=order.reference)  # refunded: it no longer counts today
    _record(order, OrderStatus.REVERSED, reason=reason or "reversed by the provider", source=source, now=now)
    reseller_hooks.sale_reversed(sale=_sale(order, quote))  # HOOK: claw back, float draw reversed
    _notify(order, "reversed")


def _schedule_requery(order: Order, *, now: datetime, decide_at: datetime | None = None) -> None:
    """Next requery of the current attempt, from its own backoff step (``requery_count`` counts the
    current attempt's requeries only). ``decide_at``: the moment the next answer becomes decisive (the
    end of the unknown-request grace): the requery is not put off past it."""
    backoff = settings.ORDERS_REQUERY_BACKOFF_SECONDS
    delay = backoff[min(order.requery_count, len(backoff) - 1)]
    if decide_at is not None and decide_at > now:
        delay = min(delay, (decide_at - now).total_seconds() + 1)
    order.next_requery_at = now + timedelta(seconds=delay)
    _on_commit_task(TaskName.REQUERY, order.pk, countdown=delay)


def order_apply_provider_result(*, request_id: str, outcome: Outcome, source: str) -> Order | None:
    """Apply one provider answer to its order (found by the attempt's request id), under the order's row lock.

    Idempotent by (order, final status): repeating an answer changes nothing; answers
    may arrive in any order (submit reply, requery, webhooks, staff).
    """
    now = timezone.now()
    with transaction.atomic():
        order = (Order.objects.select_for_update(of=("self",)).select_related("user", "hold__wallet")  # lock: subject
                 .filter(attempts__request_id=request_id).first())
        if order is None:
            logger.warning("provider result for unknown request id %s (%s)", request_id, source)
            return None
        attempt = OrderAttempt.objects.get(request_id=request_id)
        return order_apply_outcome(order=order, attempt=attempt, outcome=outcome, source=source, now=now)


def order_apply_attempt_result(*, attempt: OrderAttempt, outcome: Outcome, source: str) -> Order:
    """:func:`order_apply_provider_result` for an attempt read from its order: that order exists."""
    order = order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source=source)
    if order is None:
        raise LookupError(f"no order for attempt {attempt.request_id}")
    return order


def order_apply_outcome(*, order: Order, attempt: OrderAttempt, outcome: Outcome, source: str,
                        now: datetime | None = None) -> Order:
    """Apply one provider answer about ``attempt`` to ``order`` (saved here) and its attempt.

    The caller holds the order's row lock (rank ``subject``, the order row only, as
    :func:`order_apply_provider_result` takes it, with ``user`` and ``hold__wallet`` selected) inside its own
    transaction, which this joins: the ledger entries, the reseller hooks and the order commit or roll back
    together. Idempotent like :func:`order_apply_provider_result`.
    """
    now = now or timezone.now()
    order._metrics_provider = attempt.plugin_key  # type: ignore[attr-defined]
    current = attempt.number == order.attempt_count
    open_states = (OrderStatus.SUBMITTED, OrderStatus.PENDING, OrderStatus.MANUAL_REVIEW)
    attempt_fields = ["status", "answered_at", "reason", "provider_code", "provider_reference"]
    attempt.answered_at = now
    attempt.provider_code = outcome.provider_code[:20]
    if outcome.provider_reference:
        attempt.provider_reference = outcome.provider_reference[:100]

    if outcome.status == OutcomeStatus.PENDING:
        if attempt.status == AttemptStatus.SUBMITTING:
            attempt.status, attempt.reason = AttemptStatus.PENDING, outcome.reason[:60]
            attempt.save(update_fields=attempt_fields)
        if current and order.status == OrderStatus.SUBMITTED:
            _record(order, OrderStatus.PENDING, reason=outcome.reason, source=source, now=now)
            _delete_outbox(order)
            _schedule_requery(order, now=now)
            order.save()
        if outcome.fault:
            transaction.on_commit(lambda: routing.breaker_record_failure(attempt.provider_id))
        return order

    if outcome.status == OutcomeStatus.SUCCESS:
        was_final = attempt.status == AttemptStatus.SUCCEEDED
        attempt.status, attempt.reason = AttemptStatus.SUCCEEDED, ""
        attempt.save(update_fields=attempt_fields)
        transaction.on_commit(lambda: routing.breaker_record_success(attempt.provider_id))
        order.provider_reference = outcome.provider_reference or order.provider_reference
        order.token, order.units = outcome.token or order.token, outcome.units or order.units
        order.receipt_details = _receipt_details(order, attempt, outcome)
        if order.status in open_states and current:
            _settle(order, attempt, outcome, source=source, now=now)
        elif order.status == OrderStatus.RELEASED and not was_final:
            _late_charge(order, attempt, source=source, now=now)
        elif order.status in open_states and not current:
            order.needs_review = True  # an earlier provider delivered after failing: two deliveries?
            logger.error("order %s: attempt %s succeeded after fail-over", order.reference, attempt.number)
        order.save()
        return order

    # FAILED (definite)
    was_success = attempt.status == AttemptStatus.SUCCEEDED
    if attempt.status != AttemptStatus.FAILED:
        attempt.status, attempt.reason = AttemptStatus.FAILED, outcome.reason[:60]
        attempt.save(update_fields=attempt_fields)
    if outcome.fault:
        transaction.on_commit(lambda: routing.breaker_record_failure(attempt.provider_id))
    if order.status in open_states and current:
        _record(order, OrderStatus.FAILED, reason=outcome.reason or "provider_failed", source=source, now=now)
        next_attempt = _start_attempt(order, now=now, source=source) if outcome.failover else None
        if next_attempt is not None:
            order.next_requery_at = None
            # Ready again (no lease): the row NOTIFYs the dispatchers at commit, one of them sends the new attempt.
            OrderOutbox.objects.update_or_create(order=order, defaults={"created_at": now, "enqueued_at": now,
                                                                        "claimed_until": None})
        else:
            _fail_and_release(order, reason=outcome.reason or "provider_failed", source=source, now=now)
        order.save()
    elif order.status == OrderStatus.SETTLED and was_success:
        _reverse(order, attempt, reason=outcome.reason, source=source, now=now)
        order.save()
    return order
