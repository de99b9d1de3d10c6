"""Rule evaluation: the active rules from a versioned cache, the facts of one movement in ONE statement, then
the first rule that fires decides.

* The tenant's active rules are kept per process and checked against a version in Redis (one GET per
  movement; saving a rule bumps it after commit, so every process judges the next payment with it). Redis
  down: the rules are read from the database every time. No applicable rule (most tenants, most flows): no
  statement at all.
* ``facts_sql`` builds one statement for exactly the applicable rules: one LATERAL subquery per velocity or
  after-funding rule, with its window, flows and product type as parameters, each reading one partial index
  of ``risk_riskdecision`` (``EXPLAIN`` in docs/risk.md; ``tests/risk/test_cost.py`` checks the plans), plus the
  movement's own facts (recipient seen before, its device and whether it is trusted).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from shared_apps.core.redis_cache import snapshot_keys

from .models import INFLOWS, OUTFLOWS, Action, RiskRule, RuleType, Scope

_OUTFLOWS = sorted(OUTFLOWS)
_INFLOWS = sorted(INFLOWS)
_VELOCITY = (RuleType.VELOCITY_COUNT.value, RuleType.VELOCITY_AMOUNT.value)
VERSION_KEY = "risk:rules-version"  # tenant-scoped by the cache's key function
snapshot_keys(VERSION_KEY)  # every money request reads it: in the request's one MGET


@dataclass(frozen=True)
class Rule:
    """An active rule as the engine needs it (from the cache)."""

    rule_id: int
    name: str
    rule_type: str
    flows: tuple[str, ...]
    product_type: str
    scope: str
    window_seconds: int
    threshold_count: int | None
    threshold_amount_minor: int | None
    new_recipients_only: bool
    action: str

    def applies(self, *, flow: str, product_type: str) -> bool:
        flows = self.flows or _OUTFLOWS
        return flow in flows and (not self.product_type or self.product_type == product_type)


_rules: dict[str, tuple[str, list[Rule]]] = {}
_lock = threading.Lock()


def _load_rules() -> list[Rule]:
    rows = RiskRule.objects.filter(is_active=True).order_by("priority", "id").values_list(
        "id", "name", "rule_type", "flows", "product_type", "scope", "window_seconds", "threshold_count",
        "threshold_amount_minor", "new_recipients_only", "action")
    return [Rule(rule_id=row[0], name=row[1], rule_type=row[2], flows=tuple(row[3] or ()), product_type=row[4],
                 scope=row[5], window_seconds=row[6], threshold_count=row[7], threshold_amount_minor=row[8],
                 new_recipients_only=row[9], action=row[10]) for row in rows]


def active_rules() -> list[Rule]:
    """The current schema's active rules, ordered by priority: cached per process while Redis's version holds."""
    schema = getattr(connection, "schema_name", "public")
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY) or version
    except Exception:  # Redis down: the database, every time (never a stale rule set)
        return _load_rules()
    if _changed_in_this_transaction():
        return _load_rules()  # what this transaction sees, never cached (it may roll back)
    cached = _rules.get(schema)
    if cached is not None and cached[0] == version:
        return cached[1]
    rules = _load_rules()
    with _lock:
        _rules[schema] = (version, rules)
    return rules


def _changed_in_this_transaction() -> bool:
    marker = getattr(connection, "_risk_rules_changed_in", None)  # set by rules_changed
    if marker is None:
        return False
    if connection.atomic_blocks and connection.atomic_blocks[0] is marker:
        return True
    setattr(connection, "_risk_rules_changed_in", None)  # noqa: B010 (that transaction is over: committed or rolled back)
    return False


def rules_changed(**_signal: Any) -> None:
    """A rule was saved or deleted (any path: services, admin, a shell): this process stops trusting its cache
    until that transaction is over, and on commit every process reloads before its next judgement."""
    schema = getattr(connection, "schema_name", "public")

    def bump() -> None:
        try:
            cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: S110 (Redis down: processes read the database until it is back)
            pass
        _rules.pop(schema, None)

    if connection.atomic_blocks:
        setattr(connection, "_risk_rules_changed_in", connection.atomic_blocks[0])  # noqa: B010
    _rules.pop(schema, None)
    transaction.on_commit(bump)


def facts_sql(rules: list[Rule], move: Move, *, now: datetime) -> tuple[str, list[Any]]:
    """One statement giving, for each rule, the figures it is judged on (two columns per rule, in order)."""
    cte_params: list[Any] = [move.recipient_hash, move.user_id, move.recipient_hash, move.user_id,
                             move.device_hash, move.token_device or None, move.device_hash]
    cte = (
        "WITH f AS MATERIALIZED (SELECT"
        " CASE WHEN %s::text = '' THEN NULL ELSE EXISTS (SELECT 1 FROM risk_riskdecision s"
        "  WHERE s.user_id = %s::bigint AND s.counted AND s.recipient_hash <> '' AND s.recipient_hash = %s::text)"
        " END AS recipient_seen,"
        " d.device_hash, (d.trusted_at IS NOT NULL AND d.signed_out_at IS NULL) AS device_trusted"
        " FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT device_hash, trusted_at, signed_out_at"
        "  FROM risk_userdevice WHERE user_id = %s::bigint AND (device_hash = %s::text OR public_id = %s::uuid)"
        "  ORDER BY (device_hash = %s::text) DESC LIMIT 1) AS d ON true)"
    )
    columns = ["f.recipient_seen", "f.device_hash", "f.device_trusted"]
    column_params: list[Any] = []
    joins: list[str] = []
    join_params: list[Any] = []
    inflows = ", ".join(f"'{flow}'" for flow in _INFLOWS)
    for index, rule in enumerate(rules):
        since = now - timedelta(seconds=rule.window_seconds)
        scope_sql, scope_params = _scope(rule.scope, move) if rule.rule_type in _VELOCITY else (None, [])
        if scope_sql is not None:
            extra = " AND product_type = %s::text" if rule.product_type else ""
            extra += " AND recipient_new" if rule.new_recipients_only else ""
            # Only this module's constants go into the text; every value is a parameter.
            join = (f" LEFT JOIN LATERAL (SELECT count(*) AS n, COALESCE(sum(amount_minor), 0) AS total"  # noqa: S608
                    f" FROM risk_riskdecision WHERE {scope_sql} AND counted AND created_at >= %s::timestamptz"
                    f" AND flow = ANY(%s::text[]){extra}) AS r{index} ON true")
            joins.append(join)
            join_params += [*scope_params, since, list(rule.flows or _OUTFLOWS)]
            join_params += [rule.product_type] if rule.product_type else []
            columns += [f"r{index}.n", f"r{index}.total"]
        elif rule.rule_type == RuleType.AFTER_FUNDING:
            funded = (f"EXISTS (SELECT 1 FROM risk_riskdecision i WHERE i.user_id = %s::bigint AND i.counted"  # noqa: S608
                      f" AND i.flow IN ({inflows}) AND i.completed_at IS NOT NULL"
                      f" AND i.completed_at >= %s::timestamptz)")
            columns += [funded, "0"]
            column_params += [move.user_id, since]
        else:  # judged on the movement's own facts (amount, recipient, device), or a key the movement lacks
            columns += ["0", "0"]
    sql = cte + " SELECT " + ", ".join(columns) + " FROM f" + "".join(joins)  # noqa: S608 (parameters only)
    return sql, cte_params + column_params + join_params


def _scope(scope: str, move: Move) -> tuple[str | None, list[Any]]:
    if scope == Scope.USER:
        return "user_id = %s::bigint", [move.user_id]
    if scope == Scope.RECIPIENT:
        return ("recipient_hash <> '' AND recipient_hash = %s::text", [move.recipient_hash]) if move.recipient_hash \
            else (None, [])
    if scope == Scope.DEVICE:
        return ("device_hash <> '' AND device_hash = COALESCE(NULLIF(%s::text, ''), f.device_hash)", [move.device_hash])
    if scope == Scope.IP:
        return ("ip IS NOT NULL AND ip = %s::inet", [move.ip]) if move.ip else (None, [])
    if scope == Scope.PRODUCT:
        return ("product_id IS NOT NULL AND product_id = %s::bigint", [move.product_id]) if move.product_id \
            else (None, [])
    return None, []


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


def load_facts(move: Move, *, now: datetime, rules: list[Rule] | None = None) -> list[RuleFacts]:
    """The applicable active rules (priority order) with their figures; [] without a statement when none apply."""
    rules = [rule for rule in (active_rules() if rules is None else rules)
             if rule.applies(flow=move.flow, product_type=move.product_type)]
    if not rules:
        return []
    sql, params = facts_sql(rules, move, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    recipient_seen, device_hash, trusted = row[0], row[1], bool(row[2])
    facts = []
    for index, rule in enumerate(rules):
        first, second = row[3 + 2 * index], row[4 + 2 * index]
        funded = rule.rule_type == RuleType.AFTER_FUNDING and bool(first)
        facts.append(RuleFacts(
            rule_id=rule.rule_id, name=rule.name, rule_type=rule.rule_type, scope=rule.scope,
            window_seconds=rule.window_seconds, threshold_count=rule.threshold_count,
            threshold_amount_minor=rule.threshold_amount_minor, new_recipients_only=rule.new_recipients_only,
            action=rule.action, recipient_seen=recipient_seen, device_hash=device_hash, device_trusted=trusted,
            window_count=int(first or 0) if rule.rule_type in _VELOCITY else 0,
            window_total=int(second or 0) if rule.rule_type in _VELOCITY else 0, funded=funded))
    return facts


def scope_keys(move: Move, facts: list[RuleFacts]) -> list[str]:
    """The shared keys (other than the user, already locked) whose windows the applicable rules count."""
    keys = set()
    device = move.device_hash or next((f.device_hash for f in facts if f.device_hash), "") or ""
    values: dict[str, str] = {Scope.RECIPIENT.value: move.recipient_hash, Scope.DEVICE.value: device,
                              Scope.IP.value: move.ip or "", Scope.PRODUCT.value: str(move.product_id or "")}
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
