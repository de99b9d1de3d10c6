"""The gate's cost: a fixed number of statements whatever the number of rules, and index reads only.

``EXPLAIN`` of the facts statement over a few thousand decisions, with one rule of every type and scope active:
every read of ``risk_riskdecision`` is an index scan on one of its partial indexes (docs/risk.md shows the plan).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.risk.helpers import make_rule, person

EVERY_RULE: list[dict[str, Any]] = [
    dict(rule_type="velocity_count", scope="user", window_seconds=600, threshold_count=50, action="block"),
    dict(rule_type="velocity_count", scope="recipient", window_seconds=600, threshold_count=50, action="block"),
    dict(rule_type="velocity_amount", scope="device", window_seconds=600, threshold_amount="900000", action="hold"),
    dict(rule_type="velocity_count", scope="ip", window_seconds=600, threshold_count=500, action="block"),
    dict(rule_type="velocity_count", scope="product", window_seconds=600, threshold_count=500, action="block"),
    dict(rule_type="velocity_count", scope="user", window_seconds=600, threshold_count=50, new_recipients_only=True,
         flows=["purchase"], product_type="airtime", action="block"),
    dict(rule_type="after_funding", flows=["bank_payout", "purchase"], window_seconds=3600, action="hold",
         threshold_amount="900000"),
    dict(rule_type="new_recipient", threshold_amount="900000", action="block"),
    dict(rule_type="amount_above", threshold_amount="900000", action="block"),
]


def _signals(device: str = "cost-device-000001", ip: str = "10.20.30.40"):
    from tenant_apps.risk.request_signals import RequestSignals, keyed_hash

    return RequestSignals(channel="api", device_hash=keyed_hash(device), ip=ip)


def _screen(user, *, recipient: str = "+2348031234567", product_id: int = 77):
    from tenant_apps.risk.gate import MoneyMove, screen
    from tenant_apps.risk.request_signals import reset_signals, set_signals

    token = set_signals(_signals())
    try:
        return screen(MoneyMove(flow="purchase", user=user, amount_minor=1_000, currency="NGN",
                                reference=f"cost:{uuid.uuid4().hex}", recipient=recipient, product_id=product_id,
                                product_type="airtime", kyc=False))
    finally:
        reset_signals(token)


def _seed(users, rows: int = 4000) -> None:
    """Decisions of many users, devices, IPs, recipients and products in the last ten minutes (a busy tenant:
    the rules' windows hold thousands of rows, so only the scope keys' indexes are selective)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO risk_riskdecision (public_id, user_id, flow, product_type, product_id, amount_minor, currency,"
            " recipient_hash, recipient_new, recipient_label, device_hash, ip, channel, reference, subject_type,"
            " subject_id, outcome, rule_name, reason, stepped_up, counted, completed_at, review_status, review_note,"
            " created_at) "
            "SELECT gen_random_uuid(), (%s::bigint[])[1 + n %% %s], "
            " (ARRAY['purchase','p2p','bank_payout','funding'])[1 + n %% 4], 'airtime', n %% 300, 1000 + n, 'NGN',"
            " md5('r' || (n %% 900)::text), n %% 3 = 0, '', md5('d' || (n %% 700)::text),"
            " ('10.' || (n %% 200)::text || '.0.1')::inet, 'api', 'seed:' || n, '', '', 'allow', '', '', '', true,"
            " CASE WHEN n %% 4 = 3 THEN now() - (n || ' seconds')::interval END, '', '',"
            " now() - ((n * 0.14) || ' seconds')::interval FROM generate_series(1, %s) AS n",
            [[user.pk for user in users], len(users), rows])
        cursor.execute("ANALYZE risk_riskdecision")


def test_every_rule_type_and_scope_reads_indexes_only(db):
    from django.utils import timezone

    from tenant_apps.risk.engine import Move, active_rules, facts_sql

    users = [person()[0] for _ in range(40)]
    for number, fields in enumerate(EVERY_RULE):
        make_rule(name=f"cost {number}", **fields)
    with schema_context("ng"):
        _seed(users)
        signals = _signals()
        move = Move(flow="purchase", user_id=users[0].pk, amount_minor=1_000, recipient_hash="0" * 32,
                    product_id=77, product_type="airtime", device_hash=signals.device_hash, token_device="",
                    ip=signals.ip, interactive=True)
        rules = [rule for rule in active_rules() if rule.applies(flow="purchase", product_type="airtime")]
        assert len(rules) == len(EVERY_RULE)
        sql, params = facts_sql(rules, move, now=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on risk_riskdecision" not in plan, plan
    for index in ("risk_dec_user_recipient", "risk_dec_recipient", "risk_dec_device", "risk_dec_ip",
                  "risk_dec_product", "risk_dec_inflow"):
        assert f" {index} " in plan, (index, plan)
    # The user-scope windows read an index led by user_id: the planner may take the foreign key's own index
    # (user_id) rather than risk_dec_user (user_id, created_at) when their costs tie, as it did once in CI.
    user_indexes = re.findall(r"Index (?:Only )?Scan (?:using|on) (\S+)", plan)
    assert any(name == "risk_dec_user" or name.startswith("risk_riskdecision_user_id") for name in user_indexes), plan
    assert not re.search(r"Index (?:Only )?Scan using risk_dec_(?:created|review|reference) ", plan), plan


def test_the_gate_costs_the_same_statements_whatever_the_number_of_rules(db):
    from tenant_apps.risk import engine

    user, _ = person()
    statements: dict[str, list[str]] = {}  # no rule, one user-scope rule, every rule type and scope
    try:
        _measure(user, statements)
    finally:
        engine._rules.clear()  # the rules cached below roll back with the test: never reuse them
    # The user row lock and the decision's INSERT; with rules, ONE statement reads every figure they need
    # (however many); rules over shared keys add their advisory locks and a second read (after the locks).
    assert len(statements["none"]) == 2, statements["none"]
    assert len(statements["one"]) == 3, statements["one"]
    assert len(statements["all"]) == 5, statements["all"]
    assert "pg_advisory_xact_lock" in statements["all"][2]


def _measure(user, statements: dict) -> None:
    from tenant_apps.risk.engine import active_rules
    from tenant_apps.risk.models import RiskRule

    for label, rules in (("none", []), ("one", EVERY_RULE[:1]), ("all", EVERY_RULE)):
        with schema_context("ng"):
            RiskRule.objects.all().delete()
        for number, fields in enumerate(rules):
            make_rule(name=f"{label} {number}", **fields)
        with schema_context("ng"):
            # As once the rules' transaction has committed: the process caches them (checked against Redis).
            setattr(connection, "_risk_rules_changed_in", None)  # noqa: B010 (as tenant_apps.risk.engine does)
            active_rules()
        with schema_context("ng"), CaptureQueriesContext(connection) as captured:
            assert _screen(user, recipient=f"+23480{uuid.uuid4().int % 10**8:08d}").outcome == "allow"
        statements[label] = [query["sql"] for query in captured.captured_queries
                             if not query["sql"].startswith("SET search_path")]
