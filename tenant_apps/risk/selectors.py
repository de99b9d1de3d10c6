"""Reads of the risk app: rules, decisions (the review queue is the pending holds), JSON shapes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from countries.money import decimal_text, money_of
from shared_apps.core.ids import as_uuid

from .models import ReviewStatus, RiskDecision, RiskRule, UserDevice


def rules_list() -> QuerySet[RiskRule]:
    return RiskRule.objects.order_by("priority", "id")


def rule_get(public_id: Any) -> RiskRule | None:
    try:
        return RiskRule.objects.filter(public_id=uuid.UUID(str(public_id))).first()
    except ValueError:
        return None


def decisions_search(*, outcome: str = "", flow: str = "", review: str = "", q: str = "", rule: str = "",
                     date_from: date | None = None) -> QuerySet[RiskDecision]:
    """Newest first; ``review=pending``: the review queue (held, waiting for an operator)."""
    rows = RiskDecision.objects.select_related("user", "reviewed_by").order_by("-created_at", "-id")
    if review:
        rows = rows.filter(review_status=review)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if flow:
        rows = rows.filter(flow=flow)
    if rule:
        rows = rows.filter(rule__public_id=rule) if as_uuid(rule) is not None else rows.none()
    if q:
        q = q.strip()
        match = Q(user__email__iexact=q) | Q(user__phone=q) | Q(reference=q) | Q(subject_id=q)
        rows = rows.filter(match)
    if date_from:
        rows = rows.filter(created_at__date__gte=date_from)
    return rows


def decision_get(public_id: Any) -> RiskDecision | None:
    if as_uuid(public_id) is None:
        return None
    return RiskDecision.objects.select_related("user", "reviewed_by", "rule").filter(public_id=public_id).first()


def decisions_for_subject(*, subject_type: str, subject_id: str) -> list[RiskDecision]:
    return list(RiskDecision.objects.filter(subject_type=subject_type, subject_id=subject_id)
                .exclude(outcome="allow", rule__isnull=True, stepped_up="").order_by("created_at"))


def pending_reviews_count() -> int:
    return RiskDecision.objects.filter(review_status=ReviewStatus.PENDING).count()


def _amount(minor: int | None, currency: str) -> str | None:
    return None if minor is None or not currency else decimal_text(money_of(minor, currency))


def rule_json(rule: RiskRule) -> dict:
    return {
        "id": str(rule.public_id), "name": rule.name, "rule_type": rule.rule_type, "flows": list(rule.flows),
        "product_type": rule.product_type, "scope": rule.scope, "window_seconds": rule.window_seconds,
        "threshold_count": rule.threshold_count,
        "threshold_amount": _amount(rule.threshold_amount_minor, rule.currency), "currency": rule.currency or None,
        "new_recipients_only": rule.new_recipients_only, "action": rule.action, "priority": rule.priority,
        "is_active": rule.is_active, "notes": rule.notes, "created_at": rule.created_at, "updated_at": rule.updated_at,
    }


def decision_json(decision: RiskDecision) -> dict:
    user = decision.user
    return {
        "id": str(decision.public_id), "created_at": decision.created_at, "flow": decision.flow,
        "outcome": decision.outcome, "rule": decision.rule_name or None, "reason": decision.reason,
        "stepped_up": decision.stepped_up or None,
        "amount": decimal_text(money_of(decision.amount_minor, decision.currency)), "currency": decision.currency,
        "product_type": decision.product_type or None,
        "recipient": decision.recipient_label or None, "new_recipient": decision.recipient_new,
        "channel": decision.channel, "ip": decision.ip, "device": decision.device_hash[:8] or None,
        "subject": {"type": decision.subject_type, "id": decision.subject_id} if decision.subject_type else None,
        "user": {"id": str(user.public_id), "email": user.email, "phone": user.phone},
        "review": {"status": decision.review_status, "by": getattr(decision.reviewed_by, "email", None),
                   "at": decision.reviewed_at, "note": decision.review_note} if decision.review_status else None,
    }


def device_json(device: UserDevice, *, current: str = "") -> dict:
    from .devices import describe

    return {
        "id": str(device.public_id), "label": describe(device), "channel": device.channel,
        "first_seen_at": device.first_seen_at, "last_seen_at": device.last_seen_at, "last_ip": device.last_ip,
        "trusted": device.trusted_at is not None and device.signed_out_at is None,
        "signed_out_at": device.signed_out_at, "current": bool(current) and current in (
            device.device_hash, str(device.public_id)),
    }
