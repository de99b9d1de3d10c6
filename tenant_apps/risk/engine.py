"""Rule evaluation: the facts of one movement read in ONE statement, then the first rule that fires decides.

``load_facts`` returns one row per active rule that applies to the movement's flow and product type, with
the figures that rule needs already computed by PostgreSQL next to it (its window's count and sum, whether
money came in within its window) plus the movement's own facts (recipient seen before, device and whether it
is trusted). Each per-rule figure is a LATERAL subquery gated by the rule's type and scope, so only the branch
the rule needs runs, and each branch reads one partial index of ``risk_riskdecision`` (``EXPLAIN`` in
docs/risk.md; ``tests/risk/test_cost.py`` checks the plans). No rule, no row: the statement is then a lookup of
the (small) active-rules index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from .models import INFLOWS, OUTFLOWS, Action, RuleType, Scope

_OUTFLOWS = sorted(OUTFLOWS)
_INFLOWS = sorted(INFLOWS)
_VELOCITY = (RuleType.VELOCITY_COUNT.value, RuleType.VELOCITY_AMOUNT.value)

_WINDOW_FILTER = "counted AND created_at >= %(now)s - make_interval(secs => r.window_seconds)"
_VELOCITY_GATE = f"r.rule_type IN ('{_VELOCITY[0]}', '{_VELOCITY[1]}')"

# Built from this module's constants only; every value is a parameter.
FACTS_SQL = f"""
WITH f AS MATERIALIZED (
  SELECT
    CASE WHEN %(recipient)s = '' THEN NULL ELSE EXISTS (
      SELECT 1 FROM risk_riskdecision s WHERE s.user_id = %(user)s AND s.counted AND s.recipient_hash <> ''
        AND s.recipient_hash = %(recipient)s) END AS recipient_seen,
    d.device_hash AS device_hash,
    (d.trusted_at IS NOT NULL AND d.signed_out_at IS NULL) AS device_trusted
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (
    SELECT device_hash, trusted_at, signed_out_at FROM risk_userdevice
     WHERE user_id = %(user)s AND (device_hash = %(device)s OR public_id = %(token_device)s)
     ORDER BY (device_hash = %(device)s) DESC LIMIT 1) AS d ON true
)
SELECT r.id, r.name, r.rule_type, r.scope, r.window_seconds, r.threshold_count, r.threshold_amount_minor,
       r.new_recipients_only, r.action, f.recipient_seen, f.device_hash, f.device_trusted,
       w.n, w.total, a.funded
FROM risk_riskrule AS r CROSS JOIN f
LEFT JOIN LATERAL (
  SELECT count(*) AS n, COALESCE(sum(e.amount_minor), 0) AS total FROM (
    SELECT amount_minor, flow, product_type, recipient_new FROM risk_riskdecision
     WHERE {_VELOCITY_GATE} AND r.scope = '{Scope.USER.value}' AND user_id = %(user)s AND {_WINDOW_FILTER}
    UNION ALL
    SELECT amount_minor, flow, product_type, recipient_new FROM risk_riskdecision
     WHERE {_VELOCITY_GATE} AND r.scope = '{Scope.RECIPIENT.value}' AND %(recipient)s <> ''
       AND recipient_hash <> '' AND recipient_hash = %(recipient)s AND {_WINDOW_FILTER}
    UNION ALL
    SELECT amount_minor, flow, product_type, recipient_new FROM risk_riskdecision
     WHERE {_VELOCITY_GATE} AND r.scope = '{Scope.DEVICE.value}'
       AND COALESCE(NULLIF(%(device)s, ''), f.device_hash) IS NOT NULL
       AND device_hash <> '' AND device_hash = COALESCE(NULLIF(%(device)s, ''), f.device_hash) AND {_WINDOW_FILTER}
    UNION ALL
    SELECT amount_minor, flow, product_type, recipient_new FROM risk_riskdecision
     WHERE {_VELOCITY_GATE} AND r.scope = '{Scope.IP.value}' AND %(ip)s::inet IS NOT NULL
       AND ip IS NOT NULL AND ip = %(ip)s::inet AND {_WINDOW_FILTER}
    UNION ALL
    SELECT amount_minor, flow, product_type, recipient_new FROM risk_riskdecision
     WHERE {_VELOCITY_GATE} AND r.scope = '{Scope.PRODUCT.value}' AND %(product)s::bigint IS NOT NULL
       AND product_id IS NOT NULL AND product_id = %(product)s::bigint AND {_WINDOW_FILTER}
  ) AS e
  WHERE (CASE WHEN cardinality(r.flows) = 0 THEN e.flow = ANY(%(outflows)s) ELSE e.flow = ANY(r.flows) END)
    AND (r.product_type = '' OR e.product_type = r.product_type)
    AND (NOT r.new_recipients_only OR e.recipient_new)
) AS w ON true
LEFT JOIN LATERAL (
  SELECT EXISTS (
    SELECT 1 FROM risk_riskdecision i
     WHERE r.rule_type = '{RuleType.AFTER_FUNDING.value}' AND i.user_id = %(user)s AND i.counted
       AND i.flow IN ({", ".join(f"'{flow}'" for flow in _INFLOWS)}) AND i.completed_at IS NOT NULL
       AND i.completed_at >= %(now)s - make_interval(secs => r.window_seconds)) AS funded
) AS a ON true
WHERE r.is_active
  AND (CASE WHEN cardinality(r.flows) = 0 THEN %(flow)s = ANY(%(outflows)s) ELSE %(flow)s = ANY(r.flows) END)
  AND (r.product_type = '' OR r.product_type = %(product_type)s)
ORDER BY r.priority, r.id
"""  # noqa: S608


@dataclass(frozen=True)
class RuleFacts:
    """One applicable rule and the figures it is judged on."""

    rule_id: int
    name: str
    rule_type: str
    scope: str
    window_seconds: int
    threshold_count: int | None
    threshold_amount_minor: int | None
    new_recipients_only: bool
    action: str
    recipient_seen: bool | None  # None: the movement has no recipient
    device_hash: str | None  # the device row found (header/cookie, or the token's device)
    device_trusted: bool
    window_count: int
    window_total: int
    funded: bool


@dataclass(frozen=True)
class Move:
    """What the engine needs of a movement (``gate.MoneyMove`` minus what only the gate uses)."""

    flow: str
    user_id: int
    amount_minor: int
    recipient_hash: str
    product_id: int | None
    product_type: str
    device_hash: str
    token_device: str
    ip: str | None
    interactive: bool


def load_facts(move: Move, *, now: datetime) -> list[RuleFacts]:
    params: dict[str, Any] = {
        "user": move.user_id, "recipient": move.recipient_hash, "device": move.device_hash,
        "token_device": move.token_device or None, "ip": move.ip, "product": move.product_id, "now": now,
        "flow": move.flow, "product_type": move.product_type, "outflows": _OUTFLOWS,
    }
    with connection.cursor() as cursor:
        cursor.execute(FACTS_SQL, params)
        rows = cursor.fetchall()
    return [RuleFacts(rule_id=row[0], name=row[1], rule_type=row[2], scope=row[3], window_seconds=row[4],
                      threshold_count=row[5], threshold_amount_minor=row[6], new_recipients_only=row[7],
                      action=row[8], recipient_seen=row[9], device_hash=row[10], device_trusted=bool(row[11]),
                      window_count=int(row[12] or 0), window_total=int(row[13] or 0), funded=bool(row[14]))
            for row in rows]


def scope_keys(move: Move, facts: list[RuleFacts]) -> list[str]:
    """The shared keys (other than the user, already locked) whose windows the applicable rules count."""
    keys = set()
    device = move.device_hash or next((f.device_hash for f in facts if f.device_hash), "") or ""
    values = {Scope.RECIPIENT: move.recipient_hash, Scope.DEVICE: device, Scope.IP: move.ip or "",
              Scope.PRODUCT: str(move.product_id or "")}
    for fact in facts:
        if fact.rule_type in _VELOCITY and fact.scope in values and values[fact.scope]:
            keys.add(f"{fact.scope}:{values[fact.scope]}")
    return sorted(keys)


@dataclass(frozen=True)
class Verdict:
    fired: bool
    reason: str = ""


def judge(fact: RuleFacts, move: Move) -> Verdict:
    """Does this rule fire for this movement? (The movement itself counts in its own window.)"""
    amount = move.amount_minor
    limit = fact.threshold_amount_minor or 0
    new_recipient = fact.recipient_seen is False
    if fact.rule_type in _VELOCITY:
        if fact.new_recipients_only and not new_recipient:
            return Verdict(False)
        if fact.scope == Scope.DEVICE and not (move.device_hash or fact.device_hash):
            return Verdict(False)
        if fact.scope == Scope.IP and not move.ip:
            return Verdict(False)
        if fact.scope == Scope.RECIPIENT and not move.recipient_hash:
            return Verdict(False)
        if fact.scope == Scope.PRODUCT and not move.product_id:
            return Verdict(False)
        minutes = _window_text(fact.window_seconds)
        if fact.rule_type == RuleType.VELOCITY_COUNT:
            count = fact.window_count + 1
            if fact.threshold_count is not None and count > fact.threshold_count:
                return Verdict(True, f"{count} movements {fact.scope} in {minutes} (limit {fact.threshold_count})")
            return Verdict(False)
        total = fact.window_total + amount
        if total > limit:
            return Verdict(True, f"{total} minor units {fact.scope} in {minutes} (limit {limit})")
        return Verdict(False)
    if fact.rule_type == RuleType.AMOUNT_ABOVE:
        return Verdict(amount > limit, f"amount {amount} above {limit}")
    if fact.rule_type == RuleType.NEW_RECIPIENT:
        return Verdict(new_recipient and amount > limit, f"first movement to this recipient, {amount} above {limit}")
    if fact.rule_type == RuleType.AFTER_FUNDING:
        return Verdict(fact.funded and amount >= limit,
                       f"money came in less than {_window_text(fact.window_seconds)} before")
    if fact.rule_type == RuleType.NEW_DEVICE:
        if not move.interactive:
            return Verdict(False)  # a standing order (subscription) runs without a device
        if not (move.device_hash or fact.device_hash):
            return Verdict(True, "no device id")
        return Verdict(not fact.device_trusted, "device not confirmed for this user")
    return Verdict(False)


def _window_text(seconds: int) -> str:
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


SEVERITY = {Action.ALLOW: 0, Action.STEP_UP_OTP: 1, Action.STEP_UP_PIN: 1, Action.HOLD: 2, Action.BLOCK: 3}
