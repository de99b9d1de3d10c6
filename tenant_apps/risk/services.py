"""Writes of the risk app: operators' rules (validated once for the API and the back office), audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from shared_apps.catalog.models import ProductType
from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import ApiError
from tenant_apps.audit.services import audit_record

from .models import AMOUNT_TYPES, HOLDABLE, OUTFLOWS, WINDOW_TYPES, Action, Flow, RiskRule, RuleType, Scope

MAX_WINDOW_SECONDS = 31 * 24 * 3600
MAX_RULES = 200  # per tenant: every screened movement reads the active ones


class AuditActions:
    RULE_CREATED = "risk_rule_created"
    RULE_UPDATED = "risk_rule_updated"
    RULE_DELETED = "risk_rule_deleted"
    RELEASED = "risk_review_released"
    REJECTED = "risk_review_rejected"
    DEVICE_SIGNED_OUT = "device_signed_out"


def _tenant_currency() -> str:
    from tenant_apps.ledger.currency import tenant_currency

    return tenant_currency().code


def _invalid(field: str, message: str, code: str = "validation_error") -> ApiError:
    return ApiError(gettext("Some fields are invalid."), code=code, fields={field: [message]})


def clean_rule(data: dict[str, Any], *, instance: RiskRule | None = None) -> dict[str, Any]:
    """Validate a rule's fields (a full set, or a partial update over ``instance``); amounts are decimal text in
    the tenant's currency (``threshold_amount``). Returns model field values. Raises 400 with field errors."""
    current = {} if instance is None else {
        "name": instance.name, "rule_type": instance.rule_type, "flows": list(instance.flows),
        "product_type": instance.product_type, "scope": instance.scope, "window_seconds": instance.window_seconds,
        "threshold_count": instance.threshold_count, "threshold_amount_minor": instance.threshold_amount_minor,
        "new_recipients_only": instance.new_recipients_only, "action": instance.action,
        "priority": instance.priority, "is_active": instance.is_active, "notes": instance.notes}
    values = dict(current)
    currency = _tenant_currency()
    for key in ("name", "rule_type", "flows", "product_type", "scope", "window_seconds", "threshold_count",
                "new_recipients_only", "action", "priority", "is_active", "notes"):
        if key in data:
            values[key] = data[key]
    if "threshold_amount" in data:
        raw = data["threshold_amount"]
        values["threshold_amount_minor"] = None if raw in (None, "") else parse_amount(
            raw, currency=currency, field="threshold_amount", positive=False, allow_zero=True)
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        raise _invalid("name", "Give the rule a name (at most 120 characters).")
    rule_type = values.get("rule_type")
    if rule_type not in RuleType.values:
        raise _invalid("rule_type", f"Choose one of: {', '.join(RuleType.values)}.")
    action = values.get("action")
    if action not in Action.values:
        raise _invalid("action", f"Choose one of: {', '.join(Action.values)}.")
    flows = values.get("flows") or []
    if not isinstance(flows, list | tuple) or any(flow not in Flow.values for flow in flows) or len(flows) > 10:
        raise _invalid("flows", f"A list of: {', '.join(Flow.values)} (empty: every outflow).")
    flows = sorted(set(flows))
    product_type = values.get("product_type") or ""
    if product_type and product_type not in ProductType.values:
        raise _invalid("product_type", f"Choose one of: {', '.join(ProductType.values)}.")
    if product_type and flows and Flow.PURCHASE not in flows:
        raise _invalid("product_type", "A product type only narrows purchases: add the purchase flow.")
    scope = values.get("scope") or Scope.USER
    if scope not in Scope.values:
        raise _invalid("scope", f"Choose one of: {', '.join(Scope.values)}.")
    window = _integer(values.get("window_seconds") or 0, "window_seconds", maximum=MAX_WINDOW_SECONDS)
    if rule_type in WINDOW_TYPES and window <= 0:
        raise _invalid("window_seconds", "This kind of rule needs a window (seconds, at most 31 days).")
    count = values.get("threshold_count")
    count = None if count in (None, "") else _integer(count, "threshold_count", maximum=1_000_000)
    if rule_type == RuleType.VELOCITY_COUNT and count is None:
        raise _invalid("threshold_count", "How many movements the window allows.")
    amount = values.get("threshold_amount_minor")
    if rule_type in (RuleType.VELOCITY_AMOUNT, RuleType.AMOUNT_ABOVE) and amount is None:
        raise _invalid("threshold_amount", "The amount the rule allows.")
    if rule_type not in AMOUNT_TYPES:
        amount = None
    new_only = bool(values.get("new_recipients_only"))
    if rule_type not in (RuleType.VELOCITY_COUNT, RuleType.VELOCITY_AMOUNT):
        scope, new_only = Scope.USER, False
    targeted = set(flows) or set(OUTFLOWS)
    if action == Action.HOLD and not targeted & HOLDABLE:
        raise _invalid("action", "These movements cannot wait for a review (cash-out, funding): block or step up.",
                       code="hold_not_possible")
    notes = str(values.get("notes") or "")
    if len(notes) > 300:
        raise _invalid("notes", "At most 300 characters.")
    return {
        "name": name, "rule_type": rule_type, "flows": flows, "product_type": product_type, "scope": scope,
        "window_seconds": window if rule_type in WINDOW_TYPES else 0, "threshold_count": count
        if rule_type == RuleType.VELOCITY_COUNT else None, "threshold_amount_minor": amount,
        "currency": currency if amount is not None else "", "new_recipients_only": new_only, "action": action,
        "priority": _integer(values.get("priority", 100) if values.get("priority") is not None else 100, "priority",
                             maximum=1_000_000),
        "is_active": bool(values.get("is_active", True)), "notes": notes,
    }


def _integer(value: Any, field: str, *, maximum: int) -> int:
    if isinstance(value, bool):
        raise _invalid(field, "A whole number.")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _invalid(field, "A whole number.") from None
    if number < 0 or number > maximum or len(str(value).strip()) > 12:
        raise _invalid(field, f"Between 0 and {maximum}.")
    return number


def _snapshot(rule: RiskRule) -> dict:
    return {"name": rule.name, "type": rule.rule_type, "flows": list(rule.flows), "product_type": rule.product_type,
            "scope": rule.scope, "window_seconds": rule.window_seconds, "threshold_count": rule.threshold_count,
            "threshold_amount_minor": rule.threshold_amount_minor, "action": rule.action, "priority": rule.priority,
            "active": rule.is_active, "new_recipients_only": rule.new_recipients_only}


def rule_create(*, actor: Any, data: dict[str, Any], request: Any = None) -> RiskRule:
    values = clean_rule(data)
    if RiskRule.objects.count() >= MAX_RULES:
        raise ApiError(
            ngettext("At most %(count)s rule.", "At most %(count)s rules.", MAX_RULES) % {"count": MAX_RULES},
            code="too_many_rules", status_code=409)
    with transaction.atomic():
        rule = RiskRule.objects.create(**values, created_by=actor, updated_by=actor)
        audit_record(action=AuditActions.RULE_CREATED, request=request, actor=actor, subject_type="risk_rule",
                     subject_id=str(rule.public_id), details=_snapshot(rule))
    return rule


def rule_update(*, actor: Any, rule: RiskRule, data: dict[str, Any], request: Any = None) -> RiskRule:
    values = clean_rule(data, instance=rule)
    with transaction.atomic():
        before = _snapshot(rule)
        for key, value in values.items():
            setattr(rule, key, value)
        rule.updated_by, rule.updated_at = actor, timezone.now()
        rule.save()
        audit_record(action=AuditActions.RULE_UPDATED, request=request, actor=actor, subject_type="risk_rule",
                     subject_id=str(rule.public_id), details={"before": before, "after": _snapshot(rule)})
    return rule


def rule_delete(*, actor: Any, rule: RiskRule, request: Any = None) -> None:
    """Decisions keep the rule's name (``rule_name``) after it is gone."""
    with transaction.atomic():
        audit_record(action=AuditActions.RULE_DELETED, request=request, actor=actor, subject_type="risk_rule",
                     subject_id=str(rule.public_id), details=_snapshot(rule))
        rule.delete()
