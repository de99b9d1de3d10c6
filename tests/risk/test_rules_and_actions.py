"""Each rule type and each action (allow, step-up, hold, block) through the real entry points.

Purchases and P2P transfers go through the HTTP API (the idempotency runner, the gate, the ledger); the rules
that need other flows (scopes shared between users, money that just came in) are driven through the gate
itself, with the request signals a request would carry. Every test runs in a rolled-back transaction.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from django_tenants.utils import schema_context

from tests.orders.helpers import assert_books, submitted, wallet_balance
from tests.risk.helpers import buy, call, decisions, error, make_rule, person, send_p2p, sms_code

FUNDS = 500_000


def test_velocity_count_blocks_the_sixth_airtime_purchase_to_new_numbers_in_ten_minutes(db, risk_stack):
    """The issue's example: more than 5 airtime purchases to new numbers in 10 minutes is blocked."""
    rule = make_rule(name="airtime to new numbers", rule_type="velocity_count", flows=["purchase"],
                     product_type="airtime", scope="user", window_seconds=600, threshold_count=5,
                     new_recipients_only=True, action="block")
    user, token = person(balance=FUNDS)
    product = risk_stack.products["vt_airtime"]
    numbers = [risk_stack.phone() for _ in range(6)]
    for number in numbers[:5]:
        assert buy(token, product, number).status_code == 202
    refused = buy(token, product, numbers[5])
    assert refused.status_code == 403 and error(refused)["code"] == "risk_blocked", refused.content
    # Not a new number: the rule does not count it, the purchase goes through.
    assert buy(token, product, numbers[0], amount="60.00", again=True).status_code == 202
    # Data is another product type: not counted either.
    assert buy(token, risk_stack.products["vt_data"], numbers[5]).status_code == 202
    blocked = decisions(outcome="block", user=user)
    assert [(d.rule_id, d.flow, d.counted, d.recipient_new) for d in blocked] == [(rule.pk, "purchase", False, True)]
    assert error(refused)["decision"] == str(blocked[0].public_id)
    assert "6 movements" in blocked[0].reason and blocked[0].rule_name == "airtime to new numbers"
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        assert Order.objects.filter(user=user).count() == 7  # the blocked one left nothing behind
    assert len(decisions(user=user, outcome="allow", counted=True)) == 7


def test_amount_above_asks_for_an_sms_code_then_the_same_request_goes_through_once(db, risk_stack):
    make_rule(name="large purchase", rule_type="amount_above", threshold_amount="200.00", action="step_up_otp")
    user, token = person(balance=FUNDS)
    product = risk_stack.products["vt_airtime"]
    phone = risk_stack.phone()
    assert buy(token, product, phone, amount="150.00").status_code == 202  # under the limit
    asked = buy(token, product, phone, amount="300.00", key="large-1", again=True)
    assert asked.status_code == 428, asked.content
    body = error(asked)
    assert body["code"] == "step_up_required" and body["step_up"]["method"] == "otp"
    challenge = body["step_up"]["challenge"]
    assert body["step_up"]["verify"] == f"/api/risk/step-up/{challenge}/verify"
    assert body["step_up"]["sent_to"].endswith(user.phone[-3:]) and "X-Step-Up" in body["step_up"]["then"]
    balance = wallet_balance(user)
    # Without a verified answer the proof is refused: same 428 (a new challenge), nothing spent.
    again = buy(token, product, phone, amount="300.00", key="large-1", step_up=challenge, again=True)
    assert again.status_code == 428 and wallet_balance(user) == balance
    assert error(again)["step_up"]["challenge"] == challenge  # the same payment again: no second SMS
    assert len(requests.get(f"{risk_stack.sms.url}/outbox.json", params={"to": user.phone}, timeout=5)
               .json()["messages"]) == 1
    wrong = call("POST", f"/api/risk/step-up/{challenge}/verify", token, {"code": "000000"})
    assert wrong.status_code == 400 and error(wrong)["code"] == "invalid_step_up_code"
    code = sms_code(risk_stack, user.phone)
    verified = call("POST", f"/api/risk/step-up/{challenge}/verify", token, {"code": code})
    assert verified.status_code == 200 and verified.json()["verified"] is True
    # A login with the step-up code is refused: the purposes are kept apart.
    login = call("POST", "/api/auth/otp", "", {"phone": user.phone, "code": code})
    assert login.status_code == 400
    # Another amount is another movement: the challenge does not cover it.
    other = buy(token, product, phone, amount="310.00", step_up=challenge, again=True)
    assert other.status_code == 428
    passed = buy(token, product, phone, amount="300.00", key="large-1", step_up=challenge, again=True)
    assert passed.status_code == 202, passed.content
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        price = Order.objects.get(public_id=passed.json()["id"]).price_minor
    assert wallet_balance(user) == balance - price
    # Used once: the next large purchase needs a new confirmation.
    assert buy(token, product, phone, amount="300.00", step_up=challenge, again=True).status_code == 428
    [stepped] = decisions(user=user, stepped_up="otp")
    assert stepped.outcome == "allow" and stepped.rule_name == "large purchase" and stepped.counted
    assert len(decisions(user=user, outcome="step_up", counted=False)) == 4


def test_hold_keeps_the_money_on_hold_unsent_until_released_or_rejected(db, risk_stack):
    from tenant_apps.orders.models import Order, OrderOutbox

    make_rule(name="large to one number", rule_type="velocity_amount", scope="recipient", window_seconds=3600,
              threshold_amount="500.00", action="hold")
    _first, first_token = person(balance=FUNDS)
    second, second_token = person(balance=FUNDS)
    product = risk_stack.products["vt_airtime"]
    phone = risk_stack.phone()
    assert buy(first_token, product, phone, amount="300.00").status_code == 202
    held = [buy(second_token, product, phone, amount="300.00"),
            buy(second_token, product, phone, amount="250.00", again=True)]
    assert [r.status_code for r in held] == [202, 202]  # accepted: money on hold, waiting for an operator
    with schema_context("ng"):
        orders = [Order.objects.select_related("hold").get(public_id=r.json()["id"]) for r in held]
        assert [(o.status, o.needs_review, o.hold.status if o.hold else None) for o in orders] == [
            ("held", True, "placed")] * 2
        assert not OrderOutbox.objects.filter(order__in=orders).exists()
        assert submitted(orders[0].pk).attempt_count == 0  # a stray submit sends nothing
    queue = decisions(user=second, review_status="pending")
    assert [d.subject_id for d in queue] == [str(o.public_id) for o in orders]
    spent = sum(o.price_minor for o in orders)
    assert wallet_balance(second) == FUNDS - spent

    _finance, finance_token = person("operator_finance")
    _support, support_token = person("operator_support")
    listed = call("GET", "/api/risk/decisions", support_token, {"review": "pending", "q": second.email})
    assert listed.status_code == 200 and {row["id"] for row in listed.json()["results"]} == {
        str(d.public_id) for d in queue}
    assert call("POST", f"/api/risk/decisions/{queue[0].public_id}/release", support_token).status_code == 403
    released = call("POST", f"/api/risk/decisions/{queue[0].public_id}/release", finance_token, {"note": "known"})
    assert released.status_code == 200 and released.json()["review"]["status"] == "released", released.content
    rejected = call("POST", f"/api/risk/decisions/{queue[1].public_id}/reject", finance_token, {"note": "fraud"})
    assert rejected.status_code == 200 and rejected.json()["review"]["status"] == "rejected"
    twice = call("POST", f"/api/risk/decisions/{queue[1].public_id}/release", finance_token)
    assert twice.status_code == 409 and error(twice)["code"] == "review_closed"
    with schema_context("ng"):
        sent, refunded = (Order.objects.select_related("hold").get(pk=o.pk) for o in orders)
        assert (sent.status, sent.needs_review) == ("held", False) and OrderOutbox.objects.filter(order=sent).exists()
        assert submitted(sent.pk).status == "settled"  # released: it reaches the provider now
        assert refunded.hold is not None
        assert (refunded.status, refunded.hold.status, refunded.failure_reason) == ("released", "released",
                                                                                  "risk_rejected: fraud")
        from tenant_apps.audit.models import AuditEvent

        actions = set(AuditEvent.objects.filter(subject_id__in=[str(o.public_id) for o in orders])
                      .values_list("action", flat=True))
        assert {"risk_review_released", "risk_review_rejected"} <= actions
    assert_books(second, FUNDS - sent.price_minor)


def test_an_allow_rule_exempts_what_it_matches_from_the_rules_after_it(db, risk_stack):
    make_rule(name="data is fine", rule_type="amount_above", threshold_amount="0", flows=["purchase"],
              product_type="data", action="allow", priority=1)
    make_rule(name="no purchase at all", rule_type="amount_above", threshold_amount="0", flows=["purchase"],
              action="block", priority=2)
    user, token = person(balance=FUNDS)
    phone = risk_stack.phone()
    assert buy(token, risk_stack.products["vt_data"], phone).status_code == 202
    assert buy(token, risk_stack.products["vt_airtime"], phone).status_code == 403
    [allowed] = decisions(user=user, outcome="allow")
    assert allowed.rule_name == "data is fine"


def test_first_transfer_to_a_new_recipient_above_the_limit_is_blocked(db, risk_stack):
    make_rule(name="new recipient", rule_type="new_recipient", flows=["p2p"], threshold_amount="500.00",
              action="block")
    sender, token = person(balance=FUNDS)
    receiver, _ = person()
    refused = send_p2p(token, receiver.phone, "600.00")
    assert refused.status_code == 403 and error(refused)["code"] == "risk_blocked"
    assert send_p2p(token, receiver.phone, "400.00").status_code == 201  # small: fine, and now known
    assert send_p2p(token, receiver.phone, "600.00").status_code == 201  # no longer new
    assert wallet_balance(receiver) == 100_000
    [blocked] = decisions(user=sender, outcome="block")
    assert blocked.flow == "p2p" and blocked.recipient_new and blocked.amount_minor == 60_000


def test_a_held_p2p_transfer_waits_then_reaches_the_receiver_or_comes_back(db, risk_stack):
    from tenant_apps.wallet.models import Transfer

    make_rule(name="hold p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="1000.00", action="hold")
    sender, token = person(balance=FUNDS)
    receiver, _ = person()
    _finance, finance_token = person("operator_finance")
    responses = [send_p2p(token, receiver.phone, "1500.00"), send_p2p(token, receiver.phone, "1200.00")]
    assert [(r.status_code, r.json()["status"]) for r in responses] == [(202, "held")] * 2, responses[0].content
    assert wallet_balance(receiver) == 0 and wallet_balance(sender) == FUNDS - 270_000
    first, second = decisions(user=sender, review_status="pending")
    assert call("POST", f"/api/risk/decisions/{first.public_id}/release", finance_token).status_code == 200
    assert call("POST", f"/api/risk/decisions/{second.public_id}/reject", finance_token).status_code == 200
    with schema_context("ng"):
        rows = {t.amount_minor: t.status for t in Transfer.objects.filter(sender=sender)}
    assert rows == {150_000: "succeeded", 120_000: "failed"}
    assert wallet_balance(receiver) == 150_000
    assert_books(sender, FUNDS - 150_000)


@pytest.mark.parametrize("scope", ["user", "recipient", "device", "ip", "product"])
def test_velocity_windows_count_per_scope_and_only_within_the_window(db, scope):
    """Two movements pass, the third in the window is blocked; another key, or an older movement, does not count."""
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.risk.errors import RiskBlocked
    from tenant_apps.risk.models import RiskDecision

    make_rule(name=f"per {scope}", rule_type="velocity_count", scope=scope, window_seconds=600, threshold_count=2,
              action="block")
    users = [person(balance=FUNDS)[0] for _ in range(4)]
    same = {"user": lambda n: dict(user=users[0], recipient=f"+23480300000{n:02d}"),
            "recipient": lambda n: dict(user=users[n], recipient="+2348030009999"),
            "device": lambda n: dict(user=users[n], device="d" * 20),
            "ip": lambda n: dict(user=users[n], ip="10.1.2.3"),
            "product": lambda n: dict(user=users[n], product_id=4242)}[scope]
    with schema_context("ng"):
        assert _screen(**same(0)).outcome == "allow"
        RiskDecision.objects.filter(user=users[0]).update(created_at=timezone.now() - timedelta(minutes=11))
        for n in range(1, 3):  # the old one is outside the window: these two are the first two
            assert _screen(**same(n)).outcome == "allow"
        with pytest.raises(RiskBlocked):
            _screen(**same(3))
        other = {"user": dict(user=users[1], recipient="+2348030000001"),
                 "recipient": dict(user=users[3], recipient="+2348030008888"),
                 "device": dict(user=users[3], device="e" * 20), "ip": dict(user=users[3], ip="10.9.9.9"),
                 "product": dict(user=users[3], product_id=4343)}[scope]
        assert _screen(**other).outcome == "allow"


def test_a_payout_within_an_hour_of_money_coming_in_is_held(db):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.risk.gate import inflow_completed
    from tenant_apps.risk.models import RiskDecision

    make_rule(name="payout after funding", rule_type="after_funding", flows=["bank_payout", "wallet_payout"],
              window_seconds=3600, threshold_amount="100.00", action="hold")
    user, _ = person(balance=FUNDS)
    with schema_context("ng"):
        assert not _screen(user=user, flow="bank_payout").held  # nothing came in
        _screen(user=user, flow="funding", reference="funding:fund_started")  # started, not paid yet
        assert not _screen(user=user, flow="bank_payout").held
        assert inflow_completed(reference="funding:fund_started") == 1  # the gateway credited it
        assert _screen(user=user, flow="bank_payout").held
        assert not _screen(user=user, flow="bank_payout", amount=5_000).held  # under the rule's amount
        assert not _screen(user=user, flow="purchase").held  # not a payout
        RiskDecision.objects.filter(user=user, flow="funding").update(
            completed_at=timezone.now() - timedelta(minutes=61))
        assert not _screen(user=user, flow="bank_payout").held


def test_a_step_up_without_anyone_to_answer_holds_and_a_hold_that_cannot_wait_blocks(db):
    from tenant_apps.risk.errors import RiskBlocked

    make_rule(name="big", rule_type="amount_above", threshold_amount="100.00", action="step_up_otp")
    user, _ = person(balance=FUNDS)
    with schema_context("ng"):
        assert _screen(user=user, flow="purchase", channel="system").held  # a subscription run: held
        with pytest.raises(RiskBlocked):
            _screen(user=user, flow="cash_out", channel="system")  # a cash-out cannot wait: blocked


def _screen(*, user, flow: str = "purchase", recipient: str = "", device: str = "", ip: str | None = "10.0.0.1",
            product_id: int | None = None, amount: int = 20_000, reference: str = "", channel: str = "api"):
    """The gate as a request would call it (its signals set), KYC off: these tests are about the rules."""
    from tenant_apps.risk.gate import MoneyMove, screen
    from tenant_apps.risk.request_signals import RequestSignals, keyed_hash, reset_signals, set_signals

    token = set_signals(RequestSignals(channel=channel, device_hash=keyed_hash(device), ip=ip))
    try:
        return screen(MoneyMove(flow=flow, user=user, amount_minor=amount, currency="NGN",
                                reference=reference or f"test:{uuid.uuid4().hex}", recipient=recipient,
                                product_id=product_id, kyc=False, completed=flow == "funding" and not reference))
    finally:
        reset_signals(token)


def test_staff_cannot_release_their_own_held_payment(db, risk_stack):
    """Attack: an operator-finance user's own P2P transfer, held by a risk rule, was released by themselves
    (POST /api/risk/decisions/<id>/release): the hold meant for a second pair of eyes had none. 403
    ``own_submission`` for one's own held payment, the money stays held; a colleague decides."""
    make_rule(name="large p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="200.00", action="hold")
    insider, insider_token = person("operator_finance", balance=FUNDS)
    friend, _friend_token = person()
    held = send_p2p(insider_token, friend.phone, "300.00", key="insider-1")
    assert held.status_code in (200, 201, 202), held.content
    queue = decisions(user=insider, review_status="pending")
    assert len(queue) == 1
    for verdict in ("release", "reject"):
        mine = call("POST", f"/api/risk/decisions/{queue[0].public_id}/{verdict}", insider_token, {"note": "ok"})
        assert mine.status_code == 403, mine.content  # was 200: released to themselves
        assert error(mine)["code"] == "own_submission"
    assert wallet_balance(friend) == 0 and decisions(user=insider, review_status="pending") == queue
    _colleague, colleague_token = person("operator_finance")
    released = call("POST", f"/api/risk/decisions/{queue[0].public_id}/release", colleague_token, {"note": "known"})
    assert released.status_code == 200 and released.json()["review"]["status"] == "released", released.content
    assert wallet_balance(friend) == 30_000
