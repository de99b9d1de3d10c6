"""The review queue: movements a rule held (money on hold, nothing sent), released or rejected by an operator.

Release sends the movement on (a purchase to its provider, a payout to its rail, a P2P transfer to the
receiver); reject gives the hold back to the customer. The decision row is locked first and must still be
``pending`` (409 ``review_closed`` otherwise), so two operators cannot both act; the flow's own service checks
its row's state again under its own lock. Both audited, with the operator's note.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core.errors import ApiError, Forbidden, NotFound
from tenant_apps.audit.services import audit_record

from .errors import ReviewClosed
from .models import ReviewStatus, RiskDecision
from .services import AuditActions


def _locked_decision(public_id: Any) -> RiskDecision:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(gettext("No such decision."), code="unknown_decision") from None
    decision = RiskDecision.objects.select_for_update().filter(public_id=key).first()  # lock: subject
    if decision is None:
        raise NotFound(gettext("No such decision."), code="unknown_decision")
    if decision.review_status != ReviewStatus.PENDING:
        raise ReviewClosed(fields={"review_status": [decision.review_status or "not held"]})
    return decision


def _subject_pk(decision: RiskDecision) -> int:
    if decision.subject_type == "order":
        from tenant_apps.orders.models import Order

        model: Any = Order
    elif decision.subject_type == "transfer":
        from tenant_apps.wallet.models import Transfer

        model = Transfer
    else:
        raise ApiError(gettext("This movement cannot be reviewed here."), code="review_not_supported", status_code=409)
    pk = model.objects.filter(public_id=decision.subject_id).values_list("pk", flat=True).first()
    if pk is None:
        raise ApiError(gettext("The held movement no longer exists."), code="review_closed", status_code=409)
    return pk


def review_decide(*, public_id: Any, release: bool, actor: Any, note: str = "", request: Any = None) -> RiskDecision:
    """Release (send it on) or reject (money back) a held movement, once. Audited."""
    note = (note or "").strip()[:200]
    with transaction.atomic():
        decision = _locked_decision(public_id)
        if decision.user_id == actor.pk:  # as KYC and business reviews: never one's own held payment
            raise Forbidden(gettext("You cannot review your own payment."), code="own_submission")
        pk = _subject_pk(decision)
        if decision.subject_type == "order":
            from tenant_apps.orders.services.create import order_risk_reject, order_risk_release

            order_risk_release(order_id=pk) if release else order_risk_reject(order_id=pk, note=note)
        else:
            from tenant_apps.wallet.transfers import transfer_risk_reject, transfer_risk_release

            transfer_risk_release(transfer_id=pk) if release else transfer_risk_reject(transfer_id=pk, note=note)
        decision.review_status = ReviewStatus.RELEASED if release else ReviewStatus.REJECTED
        decision.reviewed_by, decision.reviewed_at, decision.review_note = actor, timezone.now(), note
        decision.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(action=AuditActions.RELEASED if release else AuditActions.REJECTED, request=request,
                     actor=actor, subject_type=decision.subject_type, subject_id=decision.subject_id,
                     details={"decision": str(decision.public_id), "rule": decision.rule_name, "note": note,
                              "amount_minor": decision.amount_minor, "currency": decision.currency})
    return decision
