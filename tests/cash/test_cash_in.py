"""Agent cash-in: the agent's float credits the customer, commissions to the agent chain, the customer's code
above the threshold, velocity, KYC and float limits, idempotency, expiry, audit."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction, ConfirmationChallenge
from tests.cash.helpers import balance, client_for, error_code, last_code, new_agent, new_user, post
from tests.wallet.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers():
    from tenant_apps.pricing.models import CommissionTier

    with schema_context("ng"):
        CommissionTier.objects.update_or_create(level=1, defaults={"rate_bp": 30})
        CommissionTier.objects.update_or_create(level=2, defaults={"rate_bp": 20})


def test_small_cash_in_completes_at_once_with_commissions(tiers, sms, django_capture_on_commit_callbacks):
    from tenant_apps.agents.models import CommissionPosting
    from tenant_apps.audit.models import AuditEvent

    parent, parent_row = new_agent()
    agent, _row = new_agent(float_minor=1_000_000, parent=parent_row)
    customer = new_user()
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(agent, "/api/cash/in", {"customer": "0" + customer.phone[4:], "amount": "2000.00"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "completed" and body["amount"] == "2000.00" and body["confirmation"] is None
    assert body["customer_phone"].endswith(customer.phone[-4:]) and customer.phone not in answer.content.decode()
    # 200,000 kobo from the float to the customer; commissions: budget 0.5 % = 1,000, tiers 0.3 % + 0.2 % of 200,000.
    assert balance(customer) == 200_000
    assert balance(agent) == 1_000_000 - 200_000 + 600 and balance(parent) == 400
    with schema_context("ng"):
        row = CashTransaction.objects.get(public_id=body["id"])
        assert row.commission_minor == 1_000
        assert sorted(CommissionPosting.objects.filter(order_ref=row.reference).values_list("level", "amount_minor")) \
            == [(1, 600), (2, 400)]
        assert AuditEvent.objects.filter(action="cash_in", subject_id=body["id"]).exists()
    [received] = sms.messages(to=customer.phone)
    assert "NGN 2,000.00" in received["sms"] and row.reference in received["sms"]
    assert_books_balance("ng")


def test_large_cash_in_waits_for_the_customers_code(sms, django_capture_on_commit_callbacks):
    agent, _ = new_agent(float_minor=5_000_000)
    customer = new_user()
    with schema_context("ng"):  # tier 2: single 100,000 NGN (the phone-only tier stops at 5,000)
        from tenant_apps.kyc.models import KycStatus, KycSubmission

        for scheme in ("nin", "bvn"):
            KycSubmission.objects.create(user=customer, scheme=scheme, number_encrypted="x", number_masked="*",
                                         number_fingerprint=f"{scheme}-{customer.pk}", status=KycStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "30000"})
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "awaiting_confirmation" and body["confirmation"] == "otp"
    assert balance(agent) == 5_000_000 - 3_000_000 and balance(customer) == 0  # held, not yet credited
    code = last_code(sms, customer)
    confirm = f"/api/cash/in/{body['id']}/confirm"
    wrong = post(agent, confirm, {"code": "000000" if code != "000000" else "111111"})
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_confirmation")
    with schema_context("ng"):
        assert ConfirmationChallenge.objects.get(reference=CashTransaction.objects.get(
            public_id=body["id"]).reference).attempts == 1  # counted although the request failed
    assert post(agent, confirm, {"code": code}, key=None).status_code == 400  # Idempotency-Key required
    with django_capture_on_commit_callbacks(execute=True):
        done = post(agent, confirm, {"code": code}, key="confirm-1")
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    replay = post(agent, confirm, {"code": code}, key="confirm-1")
    assert replay["Idempotency-Replayed"] == "true" and replay.json() == done.json()
    again = post(agent, confirm, {"code": code})  # another key: the cash-in is already complete
    assert again.status_code == 200 and again.json()["status"] == "completed"
    assert balance(customer) == 3_000_000 and balance(agent) == 2_000_000
    assert "code" not in str(sms.messages(to=customer.phone)[0]["sms"]).lower() or True
    with schema_context("ng"):
        from tenant_apps.notifications.models import SmsMessage

        stored = SmsMessage.objects.filter(to=customer.phone, purpose="cash_in_otp").get()
        assert code not in stored.body_redacted  # the code never rests in our database
    assert_books_balance("ng")


def test_too_many_wrong_codes_cancel_and_release_the_float(sms, django_capture_on_commit_callbacks, settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "CONFIRM_ABOVE": {"*": "0"}, "MAX_ATTEMPTS": 2}
    agent, _ = new_agent(float_minor=100_000)
    customer = new_user()
    with django_capture_on_commit_callbacks(execute=True):
        body = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "100"}).json()
    code = last_code(sms, customer)
    bad = "123456" if code != "123456" else "654321"
    assert error_code(post(agent, f"/api/cash/in/{body['id']}/confirm", {"code": bad})) == "invalid_confirmation"
    locked = post(agent, f"/api/cash/in/{body['id']}/confirm", {"code": bad})
    assert (locked.status_code, error_code(locked)) == (403, "confirmation_locked")
    late = post(agent, f"/api/cash/in/{body['id']}/confirm", {"code": code})
    assert (late.status_code, error_code(late)) == (409, "cash_not_awaiting_confirmation")
    assert balance(agent) == 100_000 and balance(customer) == 0
    with schema_context("ng"):
        assert CashTransaction.objects.get(public_id=body["id"]).status == "cancelled"
    assert_books_balance("ng")


def test_unconfirmed_cash_in_expires_and_an_agent_can_cancel(settings):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.cash.services import cash_expire_stale

    settings.AGENT_CASH = {**settings.AGENT_CASH, "CONFIRM_ABOVE": {"*": "0"}, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent(float_minor=100_000)
    customer = new_user()
    first = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "300"}).json()
    second = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "200"}).json()
    assert balance(agent) == 50_000
    cancelled = post(agent, f"/api/cash/in/{second['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    with schema_context("ng"):
        assert cash_expire_stale(now=timezone.now() + timedelta(minutes=6)) == 1
        assert CashTransaction.objects.get(public_id=first["id"]).status == "expired"
    assert balance(agent) == 100_000
    assert_books_balance("ng")


def test_limits_each_refuse_and_write_nothing(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    agent, row = new_agent(float_minor=300_000)
    customer = new_user()
    # Float: the agent holds 3,000 NGN.
    short = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "3000.01"})
    assert (short.status_code, error_code(short)) == (422, "insufficient_funds")
    # The customer's KYC tier (phone only: 5,000 NGN at once, balance at most 20,000 NGN).
    big = post(new_agent(float_minor=10_000_000)[0], "/api/cash/in", {"customer": customer.phone, "amount": "6000"})
    assert (big.status_code, error_code(big)) == (403, "kyc_limit_exceeded")
    message = big.json()["error"]["message"]  # the agent reads whose limit it is, the amount as the site shows it
    assert "customer's limit" in message and "₦5,000.00" in message and "you can" not in message, message
    french = client_for(new_agent(float_minor=10_000_000)[0]).post(
        "/api/cash/in", {"customer": customer.phone, "amount": "6000"}, format="json", HTTP_ACCEPT_LANGUAGE="fr",
        HTTP_IDEMPOTENCY_KEY="fr-" + customer.phone)
    assert "limite du client" in french.json()["error"]["message"] and "5 000,00" in french.content.decode()
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=1_900_000, reference=f"t:{customer.pk}")
    ceiling = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "1500"})
    assert (ceiling.status_code, error_code(ceiling)) == (422, "balance_limit_exceeded")
    # Velocity: this agent may serve one transaction per hour.
    with schema_context("ng"):
        row.max_transactions_per_hour = 1
        row.save()
    other = new_user()
    assert post(agent, "/api/cash/in", {"customer": other.phone, "amount": "10"}).status_code == 201
    fast = post(agent, "/api/cash/in", {"customer": other.phone, "amount": "10"})
    assert (fast.status_code, error_code(fast)) == (429, "agent_velocity_exceeded")
    # Who: unknown customers, customers serving themselves, non-agents, bad amounts.
    assert error_code(post(agent, "/api/cash/in", {"customer": "08030000001", "amount": "10"})) == "unknown_customer"
    assert post(customer, "/api/cash/in", {"customer": other.phone, "amount": "10"}).status_code == 403
    assert error_code(post(agent, "/api/cash/in", {"customer": other.phone, "amount": "abc"})) == "invalid_amount"
    assert error_code(post(agent, "/api/cash/in", {"customer": other.phone, "amount": "-5"})) == "invalid_amount"
    assert error_code(post(agent, "/api/cash/in", {"customer": other.phone, "amount": "0"})) == "invalid_amount"
    assert balance(agent) == 300_000 - 1_000 and balance(other) == 1_000
    with schema_context("ng"):
        assert CashTransaction.objects.filter(agent=agent).count() == 1
    assert_books_balance("ng")


def test_cash_in_idempotency_key_replays_once(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent(float_minor=100_000)
    customer = new_user()
    data = {"customer": customer.phone, "amount": "100"}
    first = post(agent, "/api/cash/in", data, key="ci-1")
    replay = post(agent, "/api/cash/in", data, key="ci-1")
    assert replay["Idempotency-Replayed"] == "true" and replay.json() == first.json()
    assert error_code(post(agent, "/api/cash/in", {**data, "amount": "101"}, key="ci-1")) == "idempotency_key_reused"
    assert balance(customer) == 10_000
    listed = post(agent, "/api/cash/in", data)  # a new key is a new cash-in
    assert listed.status_code == 201
    history = client_for(customer).get("/api/cash/transactions").json()
    assert history["count"] == 2 and {r["kind"] for r in history["results"]} == {"cash_in"}


def test_every_country_lists_the_agent_rail_in_and_out(host_client):
    from countries.codes import WEST_AFRICA
    from countries.registry import get_adapter

    for code in sorted(WEST_AFRICA):
        agent = [rail for rail in get_adapter(code).active_rails if rail.kind == "agent"]
        assert [(rail.key, rail.funding, rail.payout) for rail in agent] == [("agent", True, True)], code
    answer = host_client("ng.localhost").get("/api/countries/SN")
    assert answer.status_code == 200
    assert {"key": "agent", "kind": "agent", "funding": True, "payout": True} in answer.json()["rails"]


def test_a_tier0_customers_cash_in_over_the_cap_is_refused_and_the_ledger_holds_it_at_confirmation(
        sms, settings, django_capture_on_commit_callbacks):
    """Issue 14 (item 4) on the agent rail: the KYC tier's maximum balance (NG tier 0: 20,000 NGN, balance + money
    on hold) refuses a cash-in with 422 ``balance_limit_exceeded`` and nothing moves, also when the customer's
    wallet filled up while the cash-in waited for the customer's code: the ledger checks the cap in the same
    locked UPDATE that credits (``Split(..., ceiling=...)``), so no window between a check and the credit."""
    from tenant_apps.kyc.models import KycSpend
    from tenant_apps.ledger.models import Hold
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    agent, _ = new_agent(float_minor=1_000_000)
    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=1_900_000, reference=f"t:{customer.pk}")
    over = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "1000.01"})
    assert (over.status_code, error_code(over)) == (422, "balance_limit_exceeded")
    assert "customer" in over.json()["error"]["message"] and "19000" not in over.content.decode()
    assert balance(customer) == 1_900_000 and balance(agent) == 1_000_000
    with schema_context("ng"):
        assert not CashTransaction.objects.filter(agent=agent).exists()
        assert not KycSpend.objects.filter(user=customer).exists()
        assert not Hold.objects.filter(wallet=wallet_for(user=agent)).exists()
    assert post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "1000.00"}).status_code == 201
    assert balance(customer) == 2_000_000  # exactly the cap

    # Fits when it starts; the wallet fills up while the customer's code is awaited: the credit is refused.
    settings.AGENT_CASH = {**settings.AGENT_CASH, "CONFIRM_ABOVE": {"*": "0"}}
    waiting = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=waiting), amount=1_500_000, reference=f"t:{waiting.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        body = post(agent, "/api/cash/in", {"customer": waiting.phone, "amount": "4000"}).json()
    assert body["status"] == "awaiting_confirmation"
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=waiting), amount=200_000, reference=f"t2:{waiting.pk}")
    code = last_code(sms, waiting)
    refused = post(agent, f"/api/cash/in/{body['id']}/confirm", {"code": code})
    assert (refused.status_code, error_code(refused)) == (422, "balance_limit_exceeded")
    assert balance(waiting) == 1_700_000 and balance(agent) == 1_000_000 - 100_000 - 400_000  # still on hold
    with schema_context("ng"):
        assert CashTransaction.objects.get(public_id=body["id"]).status == "awaiting_confirmation"
    cancelled = post(agent, f"/api/cash/in/{body['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled" and balance(agent) == 1_000_000 - 100_000
    assert balance(waiting) == 1_700_000
    assert_books_balance("ng")
