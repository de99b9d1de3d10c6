"""One hook, every entry point: a flow that moves a customer's money cannot skip the risk gate.

* Statically: the KYC reservation every money flow needs (and the buyer's row lock the rules are judged under)
  is reachable only through ``tenant_apps.risk.gate.screen``; a module calling ``kyc_reserve`` itself fails here.
* At run time: with a rule that blocks everything, each entry point refuses with 403 ``risk_blocked``, writes
  nothing but the decision, and the decision names its flow (API, pages and the subscription runner).
"""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

from django_tenants.utils import schema_context

from tests.risk.helpers import buy, call, decisions, error, make_rule, person, send_p2p

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"tenant_apps/kyc", "tenant_apps/risk"}


def test_only_the_gate_reserves_kyc_limits():
    offenders = []
    for folder in ("tenant_apps", "shared_apps", "tenants", "countries"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if any(relative.startswith(prefix + "/") for prefix in ALLOWED):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Name):
                    name = node.id
                elif isinstance(node, ast.Attribute):
                    name = node.attr
                else:
                    continue
                if name == "kyc_reserve":
                    offenders.append(f"{relative}:{node.lineno}")
    assert offenders == [], f"money flows must call tenant_apps.risk.gate.screen, not kyc_reserve: {offenders}"


def test_every_entry_point_is_screened(db, risk_stack):
    from tenant_apps.orders.models import Order
    from tenant_apps.subscriptions.models import Subscription
    from tenant_apps.subscriptions.services import subscriptions_run_due
    from tenant_apps.wallet.models import Transfer

    make_rule(name="block everything", rule_type="amount_above", threshold_amount="0",
              flows=["purchase", "p2p", "cash_out", "cash_in", "funding", "bank_payout", "wallet_payout"],
              action="block")
    customer, token = person(balance=500_000)
    receiver, _ = person()
    _agent, agent_token = person("agent", balance=500_000)
    product = risk_stack.products["vt_airtime"]
    refused = {
        "purchase": buy(token, product, risk_stack.phone()),
        "p2p": send_p2p(token, receiver.phone, "10.00"),
        "cash_out": call("POST", "/api/cash/withdrawal-codes", token, {"amount": "10.00"}),
        "cash_in": call("POST", "/api/cash/in", agent_token, {"customer": customer.phone, "amount": "10.00"}),
    }
    for flow, response in refused.items():
        assert response.status_code == 403 and error(response)["code"] == "risk_blocked", (flow, response.content)

    # The page: the same gate behind the portal's form, its message on the form.
    from tests.risk.helpers import page_client

    browser = page_client(customer)
    page = browser.post("/buy/airtime", {"recipient_phone": risk_stack.phone(), "product_id": product.pk,
                                         "amount": "50.00", "idempotency_key": f"page-{uuid.uuid4().hex}"})
    assert page.status_code == 400 and b"declined by our security checks" in page.content

    # The subscription runner (no request): the run is refused, the subscription paused with the code.
    with schema_context("ng"):
        from django.utils import timezone

        sub = Subscription.objects.create(user=customer, product_id=product.pk, product_name=product.name,
                                          frequency="daily", recipient_phone=risk_stack.phone(), amount_minor=5_000,
                                          anchor_day=1, next_run_at=timezone.now())
        assert subscriptions_run_due().get("paused") == 1
        sub.refresh_from_db()
        assert (sub.status, sub.paused_reason) == ("paused", "risk_blocked")
        assert not Order.objects.filter(user=customer).exists() and not Transfer.objects.filter(sender=customer)
    blocked = {(d.flow, d.channel) for d in decisions(outcome="block", user__in=[customer])}
    assert blocked == {("purchase", "api"), ("p2p", "api"), ("cash_out", "api"), ("cash_in", "api"),
                       ("purchase", "web"), ("purchase", "system")}, blocked
