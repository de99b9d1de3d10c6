"""``purchase_accept`` itself (migration orders 0005): each rule, refusals that write nothing, races, amounts.

The function is called the way ``orders.acceptance`` calls it (``acceptance.call``), in autocommit on committed
data (``live_db``): one call is one transaction, as on the API's path.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_apps.core.errors import ApiError
from tenant_apps.idempotency.errors import IdempotencyInFlight, IdempotencyKeyReused
from tenant_apps.idempotency.models import IdempotencyKey
from tenant_apps.kyc.models import KycSpend
from tenant_apps.kyc.services import KycLimitExceeded
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import AccountKind, Hold, JournalEntry, Posting
from tenant_apps.orders import acceptance
from tenant_apps.orders.errors import DuplicatePurchase
from tenant_apps.orders.models import Order, OrderOutbox, OrderTransition
from tenant_apps.risk.models import RiskDecision
from tenants.connection import tenant_connection
from tests.support.concurrency import run_concurrently

# One tier: 10 000 at once, 25 000 a day, for a verified phone (the function reads the tiers it is given).
# A product id no other test uses: the decisions this module commits must not count in other tests' windows.
PRODUCT = 987_654_321
RULES = {"tiers": [{"level": 1, "single": 10_000, "daily": 25_000, "requires": ["phone"]}],
         "documents": {"selfie": "selfie", "proof_of_address": "address"}}


@pytest.fixture
def ng_live(live_db):
    """Inside the ng schema with real commits; the outbox rows of this module's orders (of a product nobody
    sells) are taken away after each test, so no sweeper of a later test sends them to a worker."""
    with schema_context("ng"):
        yield
        _forget_outbox()


def _forget_outbox() -> None:
    OrderOutbox.objects.filter(order__product_id=PRODUCT).delete()


def _buyer(balance: int, *, verified: bool = True, active: bool = True):
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = User.objects.create_user(email=f"accept-{uuid.uuid4().hex[:12]}@example.test", role="customer",
                                    phone_verified_at=timezone.now() if verified else None, is_active=active)
    wallet = wallet_for(user=user, currency="NGN")
    if balance:
        fund_wallet(wallet=wallet, amount=balance, reference=f"accept-fund-{uuid.uuid4().hex}")
    return user


def _holds():
    from tenant_apps.ledger.services import system_account

    return system_account(kind=AccountKind.HOLDS, currency="NGN")


def _payload(user, *, price: int = 500, phone: str | None = None, key: dict | None = None,
             confirm_duplicate: bool = False, dedupe_key: str | None = None, rules: dict | None = None) -> dict:
    now = timezone.now()
    public_id = uuid.uuid4()
    phone = phone or f"+234803{uuid.uuid4().int % 10**7:07d}"
    return {
        "now": now.isoformat(), "user": user.pk, "dedupe_key": dedupe_key,
        "order": {"public_id": str(public_id), "product_id": PRODUCT, "product_type": "airtime",
                  "product_name": "MTN Airtime", "operator": "mtn", "recipient_phone": phone, "customer_number": "",
                  "customer_name": "", "currency": "NGN", "face_value_minor": price, "price_minor": price,
                  "quote": {"price_minor": price}, "receipt_details": {}, "tax_lines": [], "subscription_id": None,
                  "needs_review": False},
        "duplicate": None if confirm_duplicate else {"product": PRODUCT, "phone": phone, "customer_number": "",
                                                     "since": (now - timedelta(minutes=5)).isoformat()},
        "kyc": {"rules": rules or RULES, "day_start": now.replace(hour=0, minute=0, second=0, microsecond=0)
                .isoformat()},
        "decision": {"user": user.pk, "now": now.isoformat(), "flow": "purchase", "product_type": "airtime",
                     "product": PRODUCT, "amount": price, "currency": "NGN", "recipient": "", "label": "",
                     "reference": f"ord-{public_id.hex}", "subject_type": "order", "subject_id": str(public_id),
                     "outcome": "allow", "channel": "api", "record_device": False},
        "wallet_kind": "user_wallet", "holds": _holds().pk, "source": "api", "hold_public_id": str(uuid.uuid4()),
        "held_reason": f"hold {price} NGN", "outbox": True, "idempotency": key,
    }


def _key(user, key: str, *, body_hash: str = "h1") -> dict:
    from tenant_apps.idempotency.services import _lock_id

    return {"lock": _lock_id(user.pk, key), "key": key, "method": "POST", "path": "/api/purchase",
            "body_hash": body_hash, "status": 202, "body": {"answer": key}, "headers": {"Location": "/x"}}


def _balance(user) -> int:
    from tenant_apps.ledger.services import wallet_for

    return wallet_for(user=user, currency="NGN").wallet_balance


def _reference(payload: dict) -> str:
    return "ord-" + uuid.UUID(payload["order"]["public_id"]).hex


def _nothing_written(payload: dict) -> None:
    reference = _reference(payload)
    assert not Order.objects.filter(public_id=payload["order"]["public_id"]).exists()
    assert not KycSpend.objects.filter(reference=reference).exists()
    assert not RiskDecision.objects.filter(reference=reference).exists()
    assert not JournalEntry.objects.filter(reference=reference).exists()
    assert not Hold.objects.filter(reference=reference).exists()


def test_an_accepted_purchase_writes_every_row_of_the_acceptance(ng_live):
    user = _buyer(2_000)
    payload = _payload(user, price=700, key=_key(user, f"k-{uuid.uuid4().hex}"))
    result = acceptance.call(payload)
    order = Order.objects.get(pk=result["order"])
    assert (order.status, order.price_minor, order.hold_id, order.user_id) == ("held", 700, result["hold"], user.pk)
    assert [(t.from_status, t.to_status, t.reason, t.source) for t in OrderTransition.objects.filter(order=order)] \
        == [("", "created", "", "api"), ("created", "held", "hold 700 NGN", "api")]
    assert OrderOutbox.objects.filter(order=order, enqueue_count=1).count() == 1  # the dispatcher's row, unchanged
    hold = Hold.objects.get(pk=result["hold"])
    assert (hold.status, hold.amount, hold.reference, str(hold.public_id)) == (
        "placed", 700, order.reference, payload["hold_public_id"])
    entry = JournalEntry.objects.get(entry_type="hold_place", reference=order.reference)
    postings = sorted(Posting.objects.filter(entry=entry).values_list("account_id", "amount"))
    assert sorted(amount for _, amount in postings) == [-700, 700]
    assert {account for account, _ in postings} == {result["wallet"], payload["holds"]}
    assert _balance(user) == 1_300
    assert KycSpend.objects.get(reference=order.reference).amount_minor == 700
    decision = RiskDecision.objects.get(reference=order.reference)
    assert (decision.outcome, decision.counted, decision.subject_id) == ("allow", True, str(order.public_id))
    stored = IdempotencyKey.objects.get(user=user, key=payload["idempotency"]["key"])
    assert (stored.state, stored.response_status, stored.response_body, stored.response_headers) == (
        "completed", 202, {"answer": payload["idempotency"]["key"]}, {"Location": "/x"})


def test_a_stored_answer_is_replayed_and_another_body_is_refused(ng_live):
    user = _buyer(5_000)
    name = f"k-{uuid.uuid4().hex}"
    first = acceptance.call(_payload(user, key=_key(user, name)))
    again = _payload(user, key=_key(user, name))
    replayed = {"status": 202, "body": {"answer": name}, "headers": {"Location": "/x"}}
    assert acceptance.call(again) == {"replay": replayed}
    _nothing_written(again)
    other = _payload(user, key=_key(user, name, body_hash="h2"))
    with pytest.raises(IdempotencyKeyReused) as refused:
        acceptance.call(other)
    assert refused.value.status_code == 422
    _nothing_written(other)
    assert Order.objects.filter(user=user).count() == 1 and _balance(user) == 4_500
    assert first["order"]


def test_the_dedupe_key_answers_the_order_made_before(ng_live):
    user = _buyer(5_000)
    dedupe = f"sub-{uuid.uuid4().hex}"
    first = acceptance.call(_payload(user, dedupe_key=dedupe))
    assert acceptance.call(_payload(user, dedupe_key=dedupe)) == {"existing_order": first["order"]}
    assert _balance(user) == 4_500


def test_the_duplicate_guard_refuses_a_repeat_unless_confirmed_or_refunded(ng_live):
    user = _buyer(5_000)
    phone = "+2348031234567"
    acceptance.call(_payload(user, phone=phone))
    repeat = _payload(user, phone=phone)
    with pytest.raises(DuplicatePurchase) as refused:
        acceptance.call(repeat)
    assert (refused.value.status_code, refused.value.code) == (409, "duplicate_purchase")
    _nothing_written(repeat)
    acceptance.call(_payload(user, phone=phone, confirm_duplicate=True))
    other_product = _payload(user, phone=phone)
    other_product["duplicate"]["product"] = PRODUCT + 1
    acceptance.call(other_product)  # another product to the same number is not a duplicate
    assert _balance(user) == 3_500


def test_kyc_single_and_daily_limits_and_no_tier(ng_live):
    user = _buyer(100_000)
    too_big = _payload(user, price=10_001)
    with pytest.raises(KycLimitExceeded) as single:
        acceptance.call(too_big)
    assert (single.value.status_code, single.value.code) == (403, "kyc_limit_exceeded")
    _nothing_written(too_big)
    for _ in range(2):
        acceptance.call(_payload(user, price=10_000))
    past_daily = _payload(user, price=5_001)
    with pytest.raises(KycLimitExceeded):
        acceptance.call(past_daily)
    _nothing_written(past_daily)
    acceptance.call(_payload(user, price=5_000))  # exactly the daily limit
    unverified = _buyer(5_000, verified=False)
    with pytest.raises(KycLimitExceeded):
        acceptance.call(_payload(unverified))
    assert _balance(user) == 75_000 and _balance(unverified) == 5_000


def test_insufficient_funds_and_no_wallet_write_nothing(ng_live):
    user = _buyer(499)
    short = _payload(user, price=500)
    with pytest.raises(InsufficientFunds) as refused:
        acceptance.call(short)
    assert (refused.value.status_code, refused.value.code) == (422, "insufficient_funds")
    _nothing_written(short)
    assert _balance(user) == 499
    nothing = _payload(user)
    nothing["wallet_kind"] = "agent_wallet"  # no such wallet: nothing to debit
    with pytest.raises(InsufficientFunds):
        acceptance.call(nothing)
    acceptance.call(_payload(user, price=499))
    assert _balance(user) == 0


def test_an_inactive_account_is_refused(ng_live):
    user = _buyer(5_000, active=False)
    payload = _payload(user)
    with pytest.raises(ApiError) as refused:
        acceptance.call(payload)
    assert (refused.value.status_code, refused.value.code) == (403, "account_inactive")
    _nothing_written(payload)


def test_a_refused_call_does_not_store_its_key(ng_live):
    user = _buyer(100)
    name = f"k-{uuid.uuid4().hex}"
    with pytest.raises(InsufficientFunds):
        acceptance.call(_payload(user, key=_key(user, name)))
    assert not IdempotencyKey.objects.filter(user=user, key=name).exists()
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    fund_wallet(wallet=wallet_for(user=user, currency="NGN"), amount=1_000, reference=f"top-{uuid.uuid4().hex}")
    assert "order" in acceptance.call(_payload(user, key=_key(user, name)))  # fixed the cause, same key: accepted


def test_racing_purchases_accept_exactly_what_the_wallet_covers(ng_live):
    """20 purchases of 700 at once against 5 000: exactly 7 accepted, 13 insufficient_funds, 100 left."""
    user = _buyer(5_000)
    payloads = [_payload(user, price=700) for _ in range(20)]
    results = run_concurrently(20, lambda i: acceptance.call(payloads[i]))
    accepted = [r for r in results if isinstance(r, dict) and "order" in r]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(accepted), len(refused)) == (7, 13), results
    assert _balance(user) == 100
    assert Order.objects.filter(user=user).count() == 7
    assert sum(Hold.objects.filter(wallet__owner=user).values_list("amount", flat=True)) == 4_900


def test_racing_purchases_accept_exactly_what_the_daily_limit_covers(ng_live):
    """Plenty of money, 12 purchases of 3 000 at once against a 25 000 daily limit: exactly 8 accepted."""
    user = _buyer(100_000)
    payloads = [_payload(user, price=3_000) for _ in range(12)]
    results = run_concurrently(12, lambda i: acceptance.call(payloads[i]))
    assert sum(isinstance(r, dict) for r in results) == 8, results
    assert sum(isinstance(r, KycLimitExceeded) for r in results) == 4, results
    assert KycSpend.objects.filter(user=user).count() == 8 and _balance(user) == 76_000


def test_racing_twins_of_one_key_make_one_order(ng_live):
    user = _buyer(50_000)
    name = f"k-{uuid.uuid4().hex}"
    payloads = [_payload(user, key=_key(user, name), confirm_duplicate=True) for _ in range(8)]
    results = run_concurrently(8, lambda i: acceptance.call(payloads[i]))
    assert sum(isinstance(r, dict) and "order" in r for r in results) == 1, results
    assert all((isinstance(r, dict) and ("order" in r or "replay" in r)) or isinstance(r, IdempotencyInFlight)
               for r in results), results
    assert Order.objects.filter(user=user).count() == 1 and _balance(user) == 49_500


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(balance=st.integers(min_value=0, max_value=60_000),
       prices=st.lists(st.integers(min_value=1, max_value=12_000), min_size=1, max_size=6))
def test_any_amounts_accept_exactly_what_a_running_balance_allows(live_db, balance, prices):
    """Sequential purchases of any amounts: accepted iff the wallet covers it (and the tier allows it); the
    wallet ends at the balance minus what was held, never below zero; every hold entry balances."""
    with schema_context("ng"):
        user = _buyer(balance)
        left, spent_today = balance, 0
        for price in prices:
            payload = _payload(user, price=price, confirm_duplicate=True)
            allowed = price <= 10_000 and spent_today + price <= 25_000
            try:
                acceptance.call(payload)
            except KycLimitExceeded:
                assert not allowed
                continue
            except InsufficientFunds:
                assert allowed and price > left
                continue
            assert allowed and price <= left
            left -= price
            spent_today += price
        assert _balance(user) == left >= 0
        holds = list(Hold.objects.filter(wallet__owner=user).values_list("reference", "amount"))
        assert sum(amount for _, amount in holds) == balance - left
        for reference, _amount in holds:
            assert sum(Posting.objects.filter(entry__entry_type="hold_place", entry__reference=reference)
                       .values_list("amount", flat=True)) == 0
        _forget_outbox()
    tenant_connection().set_schema_to_public()
