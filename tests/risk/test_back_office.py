"""Operators edit rules (API with the admin scope, and the back-office pages), staff read decisions and the
review queue, finance releases; each tenant's rules and decisions are its own. A customer confirms a payment
on the page with the code field the refusal adds to the form."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from tests.risk.helpers import buy, call, decisions, error, make_rule, page_client, person, sms_code
from tests.support.unchanged import nothing_changes

RULE = {"name": "p2p velocity", "rule_type": "velocity_amount", "flows": ["p2p"], "scope": "user",
        "window_seconds": 3600, "threshold_amount": "20000.50", "action": "hold", "priority": 10}


def _token(user) -> str:
    from tenant_apps.accounts.tokens import tokens_for_user

    with schema_context("ng"):
        return tokens_for_user(user)[0]


def test_rules_api_roles_validation_audit_and_tenant_isolation(db):
    from tenant_apps.audit.models import AuditEvent

    _admin, admin = person("operator_admin")
    _support, support = person("operator_support")
    _customer, customer = person()
    _sn_admin, sn_admin = person("operator_admin", schema="sn")
    created = call("POST", "/api/risk/rules", admin, RULE)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["threshold_amount"], rule["currency"], rule["flows"]) == ("20000.50", "NGN", ["p2p"])
    with nothing_changes("ng"):
        for who in (support, customer):
            assert call("POST", "/api/risk/rules", who, RULE).status_code == 403
        assert call("GET", "/api/risk/rules", customer).status_code == 403
    assert [r["id"] for r in call("GET", "/api/risk/rules", support).json()["results"]] == [rule["id"]]
    bad = {
        "rule_type": ({**RULE, "rule_type": "telepathy"}, "rule_type"),
        "window": ({**RULE, "window_seconds": 0}, "window_seconds"),
        "amount": ({**RULE, "threshold_amount": "12.345"}, "threshold_amount"),
        "count": ({**RULE, "rule_type": "velocity_count"}, "threshold_count"),
        "hold": ({**RULE, "flows": ["cash_out"]}, "action"),
        "product_type": ({**RULE, "product_type": "airtime"}, "product_type"),
        "flow": ({**RULE, "flows": ["teleport"]}, "flows"),
    }
    for label, (body, field) in bad.items():
        refused = call("POST", "/api/risk/rules", admin, body)
        assert refused.status_code == 400 and field in error(refused)["fields"], (label, refused.content)
    patched = call("PATCH", f"/api/risk/rules/{rule['id']}", admin, {"is_active": False, "threshold_amount": "100"})
    assert patched.status_code == 200 and (patched.json()["is_active"], patched.json()["threshold_amount"]) == (
        False, "100.00")
    # Another tenant sees none of it and cannot reach it by id.
    assert call("GET", "/api/risk/rules", sn_admin, host="sn.localhost").json()["results"] == []
    assert call("GET", f"/api/risk/rules/{rule['id']}", sn_admin, host="sn.localhost").status_code == 404
    with nothing_changes("ng", "sn"):
        assert call("PATCH", f"/api/risk/rules/{rule['id']}", sn_admin, {"is_active": True},
                    host="sn.localhost").status_code == 404
    assert call("GET", f"/api/risk/rules/{rule['id']}", admin, host="sn.localhost").status_code == 401
    assert call("DELETE", f"/api/risk/rules/{rule['id']}", admin).status_code == 204
    with schema_context("ng"):
        actions = list(AuditEvent.objects.filter(subject_id=rule["id"]).order_by("id").values_list("action", flat=True))
    assert actions == ["risk_rule_created", "risk_rule_updated", "risk_rule_deleted"]


def test_each_tenant_is_judged_by_its_own_rules_and_sees_only_its_own_decisions(db):
    from tenant_apps.risk.errors import RiskBlocked

    make_rule("ng", name="ng blocks p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="0",
              action="block")
    ng_user, _ = person(balance=100_000)
    sn_user, _ = person(schema="sn", balance=100_000)
    _ng_staff, ng_staff = person("operator_support")
    _sn_staff, sn_staff = person("operator_support", schema="sn")
    from shared_apps.core.errors import run_after_rollback
    from tests.risk.test_rules_and_actions import _screen

    with schema_context("ng"):
        with pytest.raises(RiskBlocked) as refused:
            _screen(user=ng_user, flow="p2p")
        run_after_rollback(refused.value)  # what the idempotency runner does once the transaction is gone
    with schema_context("sn"):
        from tenant_apps.risk.gate import MoneyMove, screen

        assert screen(MoneyMove(flow="p2p", user=sn_user, amount_minor=1_000, currency="XOF", reference="sn:1",
                                kyc=False)).outcome == "allow"
    ng_rows = call("GET", "/api/risk/decisions", ng_staff, {"q": ng_user.email}).json()["results"]
    sn_rows = call("GET", "/api/risk/decisions", sn_staff, {"q": sn_user.email}, host="sn.localhost").json()["results"]
    assert [row["outcome"] for row in ng_rows] == ["block"] and [row["outcome"] for row in sn_rows] == ["allow"]
    assert call("GET", "/api/risk/decisions", sn_staff, {"q": ng_user.email}, host="sn.localhost").json()[
        "results"] == []
    ng_decision = ng_rows[0]["id"]
    assert call("GET", f"/api/risk/decisions/{ng_decision}", sn_staff, host="sn.localhost").status_code == 404


def test_back_office_pages_edit_rules_and_release_held_payments(db, risk_stack):
    from tenant_apps.orders.models import Order
    from tenant_apps.risk.models import RiskRule

    admin, _ = person("operator_admin")
    finance, _ = person("operator_finance")
    support, _ = person("operator_support")
    pages = page_client(admin)
    assert pages.get("/back-office/risk/rules").status_code == 200
    form = {"name": "held airtime", "rule_type": "amount_above", "flows": ["purchase"], "product_type": "airtime",
            "scope": "user", "window_minutes": "", "threshold_count": "", "threshold_amount": "100.00",
            "action": "hold", "priority": "5", "is_active": "on", "notes": ""}
    assert pages.post("/back-office/risk/rules", {**form, "threshold_amount": "1e9"}).status_code == 400
    saved = pages.post("/back-office/risk/rules", form)
    assert saved.status_code == 302, saved.content[:500]
    with schema_context("ng"):
        rule = RiskRule.objects.get(name="held airtime")
    assert (rule.threshold_amount_minor, rule.action, rule.flows) == (10_000, "hold", ["purchase"])
    listing = pages.get("/back-office/risk/rules")
    assert b'data-testid="risk-rule-row"' in listing.content and b"held airtime" in listing.content
    assert "₦100.00" in listing.content.decode() and "100.00 NGN" not in listing.content.decode()  # money filter
    support_pages = page_client(support)
    with nothing_changes("ng"):
        assert support_pages.post("/back-office/risk/rules", form).status_code == 403  # staff read only
    french = pages.get("/back-office/risk/rules", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 200 and "Règles de risque" in french.content.decode()
    assert "100,00 ₦" in french.content.decode()  # the page's language formats the amount
    portuguese = pages.get("/back-office/risk/reviews", HTTP_ACCEPT_LANGUAGE="pt")
    assert "Fila de revisão" in portuguese.content.decode()

    user, token = person(balance=500_000)
    held = buy(token, risk_stack.products["vt_airtime"], risk_stack.phone(), amount="150.00")
    assert held.status_code == 202
    [decision] = decisions(user=user, review_status="pending")
    queue = page_client(support).get("/back-office/risk/reviews")
    assert queue.status_code == 200 and user.email.encode() in queue.content
    assert b"risk-release" not in queue.content  # support sees it, cannot decide
    cashier = page_client(finance)
    assert b"risk-release" in cashier.get("/back-office/risk/reviews").content
    order_page = cashier.get(f"/back-office/orders/{held.json()['id']}")
    assert b'data-testid="order-risk"' in order_page.content and b"held airtime" in order_page.content
    staff_view = call("GET", f"/api/staff/orders/{held.json()['id']}", _token(support))
    assert [d["review"]["status"] for d in staff_view.json()["risk_decisions"]] == ["pending"]
    support_pages = page_client(support)
    with nothing_changes("ng"):  # the order stays held: no release, no ledger movement
        assert support_pages.post(f"/back-office/risk/decisions/{decision.public_id}/release").status_code == 403
    assert cashier.post(f"/back-office/risk/decisions/{decision.public_id}/release",
                        {"note": "called the customer"}).status_code == 302
    assert cashier.post(f"/back-office/risk/decisions/{decision.public_id}/reject").status_code == 302  # closed
    with schema_context("ng"):
        order = Order.objects.get(public_id=held.json()["id"])
        assert (order.status, order.needs_review) == ("held", False)
    [decision] = decisions(user=user, outcome="hold")
    assert (decision.review_status, decision.reviewed_by_id, decision.review_note) == (
        "released", finance.pk, "called the customer")
    listing = page_client(support).get("/back-office/risk/decisions", {"q": user.email})
    assert listing.status_code == 200 and b'data-testid="risk-decision-row"' in listing.content
    assert page_client(user).get("/back-office/risk/rules").status_code == 403


def test_a_customer_confirms_a_payment_on_the_page_with_the_sms_code(db, risk_stack):
    make_rule(name="confirm purchases", rule_type="amount_above", threshold_amount="100.00", action="step_up_otp")
    user, _ = person(balance=500_000)
    browser = page_client(user)
    product = risk_stack.products["vt_airtime"]
    key = f"page-{uuid.uuid4().hex}"
    form = {"recipient_phone": risk_stack.phone(), "product_id": product.pk, "amount": "150.00",
            "idempotency_key": key}
    asked = browser.post("/buy/airtime", form)
    assert asked.status_code == 400 and b'data-testid="step-up"' in asked.content
    challenge = asked.content.split(b'name="step_up_challenge" value="')[1].split(b'"')[0].decode()
    wrong = browser.post("/buy/airtime", {**form, "step_up_challenge": challenge, "step_up_code": "000000"})
    assert wrong.status_code == 400 and b'data-testid="step-up"' in wrong.content  # the field stays
    done = browser.post("/buy/airtime", {**form, "step_up_challenge": challenge,
                                         "step_up_code": sms_code(risk_stack, user.phone)})
    assert done.status_code == 302 and "/orders/" in done["Location"], done.content[:300]
    [confirmed] = decisions(user=user, stepped_up="otp")
    assert confirmed.channel == "web" and confirmed.rule_name == "confirm purchases"
