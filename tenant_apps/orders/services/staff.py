"""Staff on the manual-review queue (the staff order API and the back office): requery now, or decide after
checking the provider's statement. Audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from provider_plugins.interfaces import OutcomeStatus
from shared_apps.core.errors import ApiError, Forbidden
from tenant_apps.wallet.operation_rails import on_reseller_brand

from ..models import FINAL_STATUSES, Order, OrderStatus
from ._helpers import _current_attempt
from .outcomes import Outcome, order_apply_attempt_result
from .requery import _requery_outcome, order_resolve_manually


class StaffAction:
    """Audit actions of the staff order API (``audit.AuditEvent.action``)."""

    REQUERY = "order_staff_requery"
    RESOLVE = "order_staff_resolved"


class ResellerRefundDecision(Forbidden):
    """On a reseller brand the float is the operation's money at risk (its provider account was charged): an order
    in review is refunded only on the provider's answer (requery), never on the brand's own word."""

    code = "not_on_reseller_brand"
    message = _("On this site an order is refunded only on the provider's answer: ask the provider again.")


class OwnOrderDecision(Forbidden):
    """A staff member's own order is decided by a colleague (as KYC, refunds, remittances and risk reviews)."""

    code = "own_submission"
    message = _("You cannot decide your own order.")


REQUERYABLE = (OrderStatus.SUBMITTED, OrderStatus.PENDING, OrderStatus.MANUAL_REVIEW)


def order_staff_requery(*, order: Order, actor: Any, request: Any = None) -> Order:
    """Staff: ask the provider now and apply its answer (a pending answer changes nothing; never a failure).

    Works on submitted, pending and manual-review orders; 409 ``order_not_open`` otherwise. Audited.
    """
    from tenant_apps.audit.services import audit_record

    if order.status not in REQUERYABLE:
        raise ApiError(gettext("This order is already final."), code="order_not_open", status_code=409)
    attempt = _current_attempt(order)
    if attempt is None:
        raise ApiError(gettext("This order never reached a provider."), code="not_submitted", status_code=409)
    before = order.status
    outcome = _requery_outcome(order, attempt, now=timezone.now())
    # An answer for a manual-review order is final (success or a definite failure): no fail-over to
    # another provider after this long, the money comes back instead.
    if outcome.status == OutcomeStatus.FAILED and before == OrderStatus.MANUAL_REVIEW:
        outcome = Outcome(OutcomeStatus.FAILED, reason=outcome.reason, provider_code=outcome.provider_code,
                          failover=False, fault=outcome.fault)
    updated = order_apply_attempt_result(attempt=attempt, outcome=outcome, source="staff_requery")
    if updated.status in FINAL_STATUSES and updated.needs_review and before == OrderStatus.MANUAL_REVIEW:
        updated.needs_review = False
        updated.save(update_fields=["needs_review"])
    audit_record(action=StaffAction.REQUERY, request=request, actor=actor, subject_type="order",
                 subject_id=str(order.public_id),
                 details={"answer": str(outcome.status), "reason": outcome.reason,
                          "provider_code": outcome.provider_code, "from": before, "to": updated.status})
    return updated


def order_staff_resolve(*, order: Order, delivered: bool, note: str, actor: Any, request: Any = None) -> Order:
    """Staff decision on a manual-review order, after checking the provider's statement. Audited.

    ``delivered``: the hold is settled (the customer paid, the provider is owed); otherwise the
    hold goes back to the wallet. Only for ``manual_review`` orders (409 ``order_not_in_review``),
    checked under the order's row lock so two staff decisions (or a webhook) cannot both apply.
    """
    from tenant_apps.audit.services import audit_record

    if order.user_id == actor.pk:  # "not delivered" gave their own money back, whatever the provider did
        raise OwnOrderDecision()
    if not delivered and on_reseller_brand():  # it released the operation's float draw, whatever the provider did
        raise ResellerRefundDecision()
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)  # lock: subject
        if locked.status != OrderStatus.MANUAL_REVIEW:
            raise ApiError(gettext("This order is not waiting for a staff decision."), code="order_not_in_review",
                           status_code=409, fields={"status": [locked.status]})
        resolved = order_resolve_manually(order=locked, delivered=delivered, note=note)
        resolved.needs_review = False
        resolved.save(update_fields=["needs_review"])
        audit_record(action=StaffAction.RESOLVE, request=request, actor=actor, subject_type="order",
                     subject_id=str(order.public_id),
                     details={"delivered": delivered, "note": note[:200], "to": resolved.status,
                              "price_minor": resolved.price_minor, "currency": resolved.currency})
    return resolved
