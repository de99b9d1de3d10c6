"""Fidelity: the community SDK ``wave-business-api`` (1.0.0, the one Wave Business API client on PyPI; Wave
publishes none for Python), pointed at the Wave simulator by its ``base_url`` argument only, parses every answer
of checkout, payout and balance unmodified, maps the simulator's errors to its typed exceptions by status and
``code``, and verifies the simulator's signed webhook with its own ``WebhookVerifier``.

The SDK's reconciliation calls (``balance.get_transactions``/``get_all_transactions``: the wallet's statement for
a day, cursor-paged; ``balance.refund_transaction``) read the simulator's statement: before, both answered 404.

Left out: what the simulator does not model (payout batches, aggregated merchants, ``verify_recipient``) and the
SDK's optional request signing (it signs compact JSON but sends ``requests``' spaced JSON, so no server could check
it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from wave_business_api import WaveClient, WebhookVerifier
from wave_business_api.exceptions import WaveAuthError, WaveIdempotencyError, WaveNotFoundError

from provider_plugins.simkit.gateway_sim import WebhookSink
from provider_plugins.wave.simulator import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET, WaveSimulator
from tests.support.waiting import wait_for

MOBILE = "+221771234567"


@pytest.fixture(scope="module")
def sim(hook: WebhookSink) -> Iterator[WaveSimulator]:
    with WaveSimulator(payout_delay=0.01, webhook_url=hook.url) as server:
        yield server


@pytest.fixture
def wave(sim: WaveSimulator) -> WaveClient:
    return WaveClient(api_key=DEFAULT_API_KEY, base_url=sim.url, timeout=5)  # base_url: the only change


def test_checkout_create_read_search_pay_refund_and_the_signed_webhook(sim, hook, wave):
    reference = f"sdk-{uuid.uuid4().hex[:10]}"
    session = wave.checkout.create_session(amount="2500", currency="XOF", success_url="https://shop.test/ok",
                                           error_url="https://shop.test/ko", client_reference=reference)
    assert session["id"].startswith("cos-") and session["wave_launch_url"].endswith(session["id"])
    assert (session["amount"], session["checkout_status"], session["payment_status"]) == ("2500", "open",
                                                                                          "processing")
    assert wave.checkout.get_session(session["id"])["client_reference"] == reference
    assert [s["id"] for s in wave.checkout.search_sessions(reference)] == [session["id"]]

    sim.complete(session["id"])
    paid = wave.checkout.get_session(session["id"])
    assert (paid["checkout_status"], paid["payment_status"]) == ("complete", "succeeded")
    assert paid["transaction_id"] and paid["when_completed"]
    by_transaction = wave.checkout.get_session_by_transaction(paid["transaction_id"])
    assert by_transaction["id"] == session["id"] and by_transaction["amount"] == "2500"
    assert wave.checkout.refund_session(session["id"]) is None  # 200 with an empty body

    delivery = wait_for(lambda: next((r for r in hook.received if reference.encode() in r["body"]), None))
    verifier = WebhookVerifier(signing_secret=DEFAULT_WEBHOOK_SECRET)
    event = verifier.verify_and_parse(raw_body=delivery["body"].decode(),
                                      wave_signature=delivery["headers"]["Wave-Signature"])
    assert event["type"] == "checkout.session.completed" and event["id"].startswith("EV_")
    assert event["data"]["id"] == session["id"] and event["data"]["transaction_id"] == paid["transaction_id"]


def test_an_open_session_expires(wave):
    session = wave.checkout.create_session(amount="100", currency="XOF", success_url="https://shop.test/ok",
                                           error_url="https://shop.test/ko")
    assert wave.checkout.expire_session(session["id"]) is None
    expired = wave.checkout.get_session(session["id"])
    assert expired["checkout_status"] == "expired" and expired["when_completed"]


def test_payout_create_poll_search_reverse_and_balance(wave):
    before = Decimal(wave.balance.get()["amount"])
    reference = f"po-{uuid.uuid4().hex[:10]}"
    payout = wave.payout.create(currency="XOF", receive_amount="1000", mobile=MOBILE, name="Awa Diop",
                                client_reference=reference, payment_reason="Salaire")
    assert payout["id"].startswith("pt-") and payout["status"] == "processing"
    assert (payout["receive_amount"], payout["fee"], payout["mobile"]) == ("1000", "10", MOBILE)
    done = wait_for(lambda: (p := wave.payout.get(payout["id"]))["status"] != "processing" and p)
    assert done["status"] == "succeeded" and "payout_error" not in done
    assert [p["id"] for p in wave.payout.search(reference)] == [payout["id"]]
    assert Decimal(wave.balance.get()["amount"]) == before - 1010

    assert wave.payout.reverse(payout["id"]) is None
    assert wave.payout.get(payout["id"])["status"] == "reversed"
    balance = wave.balance.get()
    assert balance["currency"] == "XOF" and Decimal(balance["amount"]) == before - 10  # the fee is kept


def test_a_failed_payout_carries_its_payout_error(wave):
    payout = wave.payout.create(currency="XOF", receive_amount="500", mobile="+221770000000")
    failed = wait_for(lambda: (p := wave.payout.get(payout["id"]))["status"] != "processing" and p)
    assert failed["status"] == "failed"
    assert failed["payout_error"]["error_code"] == "recipient-not-found" and failed["payout_error"]["error_message"]


def test_errors_reach_the_sdk_as_its_typed_exceptions(sim, wave):
    with pytest.raises(WaveNotFoundError) as missing:
        wave.checkout.get_session("cos-doesnotexist")
    assert (missing.value.status_code, missing.value.error_code) == (404, "checkout-session-not-found")
    with pytest.raises(WaveNotFoundError):
        wave.checkout.get_session_by_transaction("T_NOSUCHTXN")
    with pytest.raises(WaveAuthError) as denied:
        WaveClient(api_key="wave_sn_prod_not-a-key", base_url=sim.url, timeout=5).balance.get()
    assert denied.value.error_code == "no-matching-api-key"
    key = str(uuid.uuid4())
    wave.payout.create(currency="XOF", receive_amount="100", mobile=MOBILE, idempotency_key=key)
    with pytest.raises(WaveIdempotencyError) as reused:
        wave.payout.create(currency="XOF", receive_amount="200", mobile=MOBILE, idempotency_key=key)
    assert reused.value.error_code == "idempotency-mismatch"


def test_the_statement_pages_every_movement_and_a_received_payment_refunds_once(sim, wave):
    """Balance & Reconciliation API (https://docs.wave.com/balance-api): each line's ``amount`` is the signed change
    of the wallet, fee included, and ``balance`` the wallet after it; the lines add up to the balance's move."""
    today = wave.balance.get_transactions(first=1)["date"]
    seen = {line["transaction_id"] for line in wave.balance.get_all_transactions(date=today)}
    before = Decimal(wave.balance.get()["amount"])
    reference = f"rec-{uuid.uuid4().hex[:10]}"
    session = wave.checkout.create_session(amount="3000", currency="XOF", success_url="https://shop.test/ok",
                                           error_url="https://shop.test/ko", client_reference=reference)
    paid = sim.complete(session["id"])
    payout = wave.payout.create(currency="XOF", receive_amount="1000", mobile=MOBILE, name="Awa Diop",
                                client_reference=f"{reference}-po")
    wait_for(lambda: wave.payout.get(payout["id"])["status"] != "processing")
    failed = wave.payout.create(currency="XOF", receive_amount="500", mobile="+221770000000")
    wait_for(lambda: wave.payout.get(failed["id"])["status"] != "processing")
    assert wave.balance.refund_transaction(paid["transaction_id"]) is None
    assert wave.balance.refund_transaction(paid["transaction_id"]) is None  # idempotent: refunded once

    first_page = wave.balance.get_transactions(date=today, first=2)
    assert first_page["page_info"]["has_next_page"] is True and len(first_page["items"]) == 2
    new = [line for line in wave.balance.get_all_transactions(date=today) if line["transaction_id"] not in seen]
    assert [(line["amount"], line["fee"], bool(line.get("is_reversal"))) for line in new] == [
        ("3000", "0", False), ("-1010", "10", False), ("-505", "5", False), ("505", "0", True),
        ("-3000", "0", True)]
    assert new[0]["transaction_id"] == paid["transaction_id"] and new[0]["checkout_api_session_id"] == session["id"]
    assert new[1]["counterparty_mobile"] == MOBILE and new[1]["counterparty_name"] == "Awa Diop"
    assert all(line["currency"] == "XOF" and line["timestamp"].startswith(today) for line in new)
    after = Decimal(wave.balance.get()["amount"])
    assert after - before == sum(Decimal(line["amount"]) for line in new) == -1010
    assert Decimal(new[-1]["balance"]) == after
    with pytest.raises(WaveNotFoundError):
        wave.balance.refund_transaction("T_NOSUCHTXN")
