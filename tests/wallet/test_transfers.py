"""POST /api/transfers: P2P (every error) and bank payouts through the Paystack simulator (success, failure,
reversal after success); GET /api/transfers; name enquiry."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.core.locks import LockRank
from tenant_apps.ledger.models import AccountKind, Hold, JournalEntry
from tenant_apps.ledger.services import fund_wallet, system_account, wallet_for
from tenant_apps.wallet.models import Transfer
from tenant_apps.wallet.transfers import payout_submit
from tests.lock_order import assert_lock_order
from tests.outbound_guard import no_http_in_transaction
from tests.support.waiting import wait_for
from tests.wallet.helpers import assert_books_balance, balance_of, client_for, deliver, new_customer, post

pytestmark = pytest.mark.django_db

ADA = {"bank_code": "058", "account_number": "0123456789"}


def funded(amount: int = 1_000_000, schema: str = "ng"):
    user = new_customer(schema)
    with schema_context(schema):
        fund_wallet(wallet=wallet_for(user=user), amount=amount, reference=f"test-fund:{uuid.uuid4()}")
    return user


def code(response) -> str:
    return response.json()["error"]["code"]


# -- P2P -------------------------------------------------------------------------------------------

def test_p2p_by_phone_and_by_email(db):
    sender, receiver = funded(), new_customer()
    local_phone = "0" + receiver.phone[4:]  # the country adapter normalises 0803... to +234803...
    answer = post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": local_phone, "amount": "120.50"})
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "succeeded" and answer.json()["amount"] == "120.50"
    by_email = post(client_for(sender), "/api/transfers",
                    {"type": "p2p", "recipient": receiver.email.upper(), "amount": "9.50"})
    assert by_email.status_code == 201
    assert balance_of(sender) == 1_000_000 - 13_000 and balance_of(receiver) == 13_000
    listed = client_for(receiver).get("/api/transfers").json()["results"]
    assert [row["direction"] for row in listed] == ["in", "in"]
    detail = client_for(sender).get(f"/api/transfers/{answer.json()['id']}")
    assert detail.status_code == 200 and detail.json()["recipient"]["email"] == receiver.email
    assert client_for(new_customer()).get(f"/api/transfers/{answer.json()['id']}").status_code == 404
    assert_books_balance("ng")


def test_p2p_errors_each_have_a_code_and_write_nothing(db):
    sender, receiver = funded(amount=10_000), new_customer()
    client = client_for(sender)

    def send(recipient, amount="50.00", **extra):
        return post(client, "/api/transfers", {"type": "p2p", "recipient": recipient, "amount": amount}, **extra)

    poor = send(receiver.email, amount="150.00")
    assert (poor.status_code, code(poor)) == (422, "insufficient_funds")
    unknown = send("nobody@example.test")
    assert (unknown.status_code, code(unknown)) == (404, "unknown_recipient")
    unknown_phone = send("08030000000")
    assert unknown_phone.status_code == 404
    bad_phone = send("12")
    assert (bad_phone.status_code, code(bad_phone)) == (400, "validation_error")
    myself = send(sender.phone)
    assert (myself.status_code, code(myself)) == (400, "self_transfer")
    over = send(receiver.email, amount="5000.01")
    assert (over.status_code, code(over)) == (403, "kyc_limit_exceeded")
    zero = send(receiver.email, amount="0")
    assert (zero.status_code, code(zero)) == (400, "invalid_amount")
    no_key = send(receiver.email, key=None)
    assert (no_key.status_code, code(no_key)) == (400, "idempotency_key_required")
    staff = new_customer(role="operator_admin")
    assert code(send(staff.email)) == "unknown_recipient"
    unverified = post(client_for(new_customer(verified=False)), "/api/transfers",
                      {"type": "p2p", "recipient": receiver.email, "amount": "1.00"})
    assert code(unverified) == "phone_not_verified"
    with schema_context("ng"):
        assert not Transfer.objects.filter(sender=sender).exists()
    assert balance_of(sender) == 10_000 and balance_of(receiver) == 0
    assert_books_balance("ng")


def test_a_p2p_transfer_takes_its_locks_in_the_global_order(db):
    sender, receiver = funded(), new_customer()
    with CaptureQueriesContext(connection) as captured:
        answer = post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": receiver.email,
                                                             "amount": "10.00"})
    assert answer.status_code == 201, answer.content
    sequence = assert_lock_order([q["sql"] for q in captured.captured_queries],
                                 expect={LockRank.IDEMPOTENCY, LockRank.USER, LockRank.LEDGER_ACCOUNT})
    assert len([rank for rank, _ in sequence if rank == LockRank.LEDGER_ACCOUNT]) >= 2  # both wallets, ascending
    assert balance_of(receiver) == 1_000


def test_p2p_idempotency_key_replays_the_first_transfer(db):
    sender, receiver = funded(), new_customer()
    client = client_for(sender)
    data = {"type": "p2p", "recipient": receiver.email, "amount": "10.00"}
    first = post(client, "/api/transfers", data, key="p2p-key-1")
    replay = post(client, "/api/transfers", data, key="p2p-key-1")
    assert replay["Idempotency-Replayed"] == "true" and replay.json() == first.json()
    assert balance_of(receiver) == 1_000
    assert code(post(client, "/api/transfers", {**data, "amount": "11.00"}, key="p2p-key-1")) == \
        "idempotency_key_reused"


# -- bank payouts ----------------------------------------------------------------------------------

@pytest.fixture
def payouts(ng_gateways):
    return ng_gateways["paystack"]


def start_payout(user, amount: str = "200.00", recipient: dict | None = None):
    answer = post(client_for(user), "/api/transfers", {"type": "bank", "recipient": recipient or ADA,
                                                       "amount": amount})
    return answer


def transfer_row(answer) -> Transfer:
    with schema_context("ng"):
        return Transfer.objects.select_related("hold").get(public_id=answer.json()["id"])


def clearing_total() -> int:
    with schema_context("ng"):
        account = system_account(kind=AccountKind.GATEWAY_CLEARING, currency="NGN")
        return sum(account.postings.values_list("amount", flat=True))


def _deliveries(paystack, row, count: int) -> list[dict]:
    def mine():
        found = [d for d in paystack.deliveries if json.loads(d["body"])["data"].get("reference") == row.reference]
        return found[:count] if len(found) >= count else None

    return wait_for(mine)


def submit_and_deliver(paystack, host_client, row, events: int = 1, order=None):
    """Deliver the gateway's webhooks for ``row``: each as soon as it is sent, or all at once in ``order``.

    Webhooks are verified with the gateway before anything moves (issue 14), so an event delivered as it
    is sent meets the gateway in the state the event describes."""
    with schema_context("ng"):
        payout_submit(transfer_id=row.pk)
    if order is None:
        return [deliver(host_client("ng.localhost"), "/webhook/paystack", _deliveries(paystack, row, index + 1)[index])
                for index in range(events)]
    deliveries = _deliveries(paystack, row, events)
    return [deliver(host_client("ng.localhost"), "/webhook/paystack", deliveries[index]) for index in order]


def test_name_enquiry(payouts):
    user = new_customer()
    answer = post(client_for(user), "/api/transfers/name-enquiry", ADA)
    assert answer.status_code == 200 and answer.json()["account_name"] == "ADA OBI LOVELACE"
    missing = post(client_for(user), "/api/transfers/name-enquiry",
                   {"bank_code": "058", "account_number": "9912345678"})
    assert (missing.status_code, code(missing)) == (422, "invalid_account")


def test_bank_payout_success_settles_the_hold(payouts, host_client):
    user = funded()
    before = clearing_total()
    answer = start_payout(user)
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["recipient"]["account_name"] == "ADA OBI LOVELACE"
    row = transfer_row(answer)
    assert row.wallet_hold.status == "placed" and balance_of(user) == 1_000_000 - 20_000
    [webhook] = submit_and_deliver(payouts, host_client, row)
    assert webhook.status_code == 200 and webhook.json()["status"] == "succeeded", webhook.content
    row = transfer_row(answer)
    assert row.status == "succeeded" and row.wallet_hold.status == "settled"
    assert balance_of(user) == 980_000 and clearing_total() == before + 20_000
    assert client_for(user).get(f"/api/transfers/{body['id']}").json()["status"] == "succeeded"
    assert_books_balance("ng")


def test_a_bank_payout_and_its_settlement_take_their_locks_in_the_global_order(payouts, host_client):
    user = funded()
    with CaptureQueriesContext(connection) as started:
        answer = start_payout(user)
    assert answer.status_code == 202, answer.content
    assert_lock_order([q["sql"] for q in started.captured_queries],
                      expect={LockRank.IDEMPOTENCY, LockRank.USER, LockRank.LEDGER_ACCOUNT})
    row = transfer_row(answer)
    with CaptureQueriesContext(connection) as settled:
        [webhook] = submit_and_deliver(payouts, host_client, row)
    assert webhook.status_code == 200 and webhook.json()["status"] == "succeeded", webhook.content
    assert_lock_order([q["sql"] for q in settled.captured_queries], expect={LockRank.SUBJECT, LockRank.HOLD})
    assert transfer_row(answer).wallet_hold.status == "settled" and balance_of(user) == 980_000


def test_transfers_and_payouts_call_no_gateway_inside_a_transaction(payouts, host_client):
    """Issue 20: the bank's name enquiry runs before the idempotency transaction, the payout after commit."""
    user, receiver = funded(), new_customer()
    with no_http_in_transaction() as outbound:
        p2p = post(client_for(user), "/api/transfers", {"type": "p2p", "recipient": receiver.email, "amount": "10.00"})
        missing = start_payout(user, recipient={"bank_code": "058", "account_number": "9912345678"})
        answer = start_payout(user)
        [webhook] = submit_and_deliver(payouts, host_client, transfer_row(answer))
    assert p2p.status_code == 201 and (missing.status_code, code(missing)) == (422, "invalid_account")
    assert answer.status_code == 202 and answer.json()["recipient"]["account_name"] == "ADA OBI LOVELACE"
    assert webhook.status_code == 200 and webhook.json()["status"] == "succeeded"
    assert len(outbound.calls) >= 4  # two name enquiries, the payout, the webhook's verification
    assert balance_of(user) == 1_000_000 - 1_000 - 20_000 and balance_of(receiver) == 1_000


def test_bank_payout_failure_releases_the_hold(payouts, host_client):
    payouts.set_fault("failure")
    user = funded()
    answer = start_payout(user)
    row = transfer_row(answer)
    [webhook] = submit_and_deliver(payouts, host_client, row)
    assert webhook.json()["status"] == "failed"
    row = transfer_row(answer)
    assert row.wallet_hold.status == "released" and balance_of(user) == 1_000_000
    assert_books_balance("ng")


def test_reversal_after_success_is_refunded_once(payouts, host_client):
    payouts.set_fault("reversed")
    payouts.reversal_delay = 2.0  # the success is delivered (and verified) before the bank reverses it
    user = funded()
    answer = start_payout(user)
    row = transfer_row(answer)
    success, reversal = submit_and_deliver(payouts, host_client, row, events=2)
    assert success.json()["status"] == "succeeded" and reversal.json()["status"] == "reversed"
    assert balance_of(user) == 1_000_000
    with schema_context("ng"):
        assert JournalEntry.objects.filter(entry_type="payout_refund", reference=f"payout-refund:{row.reference}") \
            .count() == 1
        assert row.hold_id is not None and Hold.objects.get(pk=row.hold_id).status == "settled"
    # Redeliveries change nothing.
    again = [d for d in payouts.deliveries if json.loads(d["body"])["data"]["reference"] == row.reference]
    assert {deliver(host_client("ng.localhost"), "/webhook/paystack", d).json()["status"] for d in again} == \
        {"duplicate"}
    assert balance_of(user) == 1_000_000
    assert_books_balance("ng")


def test_reversal_arriving_before_success_releases_and_ignores_the_late_success(payouts, host_client):
    payouts.set_fault("reversed")
    user = funded()
    answer = start_payout(user)
    row = transfer_row(answer)
    reversal, success = submit_and_deliver(payouts, host_client, row, events=2, order=[1, 0])
    assert reversal.json()["status"] == "reversed" and success.json()["status"] == "reversed"
    assert transfer_row(answer).wallet_hold.status == "released" and balance_of(user) == 1_000_000
    assert_books_balance("ng")


def test_bank_payout_errors(payouts):
    user = funded(amount=5_000)
    poor = start_payout(user, amount="200.00")
    assert (poor.status_code, code(poor)) == (422, "insufficient_funds")
    unknown = start_payout(funded(), recipient={"bank_code": "058", "account_number": "9900000000"})
    assert (unknown.status_code, code(unknown)) == (422, "invalid_account")
    shape = start_payout(funded(), recipient={"bank": "058"})
    assert (shape.status_code, code(shape)) == (400, "validation_error")
    with schema_context("ng"):
        assert not Transfer.objects.filter(sender=user).exists()
        assert not Hold.objects.filter(wallet__owner=user).exists()


def test_payout_refused_by_the_gateway_gives_the_money_back(payouts):
    payouts.min_transfer = 10**9  # the gateway refuses the amount: nothing was sent
    user = funded()
    row = transfer_row(start_payout(user))
    with schema_context("ng"):
        result = payout_submit(transfer_id=row.pk)
    assert result.status == "failed" and balance_of(user) == 1_000_000
    assert_books_balance("ng")


def test_flutterwave_payout_and_its_transfer_webhook(ng_gateways, host_client, settings):
    settings.WALLET_PAYOUT_GATEWAYS = ["flutterwave"]
    flutterwave = ng_gateways["flutterwave"]
    user = funded()
    answer = start_payout(user, recipient={"bank_code": "044", "account_number": "0690000031"})
    assert answer.status_code == 202, answer.content
    row = transfer_row(answer)
    assert row.gateway == "flutterwave"
    with schema_context("ng"):
        payout_submit(transfer_id=row.pk)
    delivery = wait_for(lambda: next((d for d in flutterwave.deliveries
                                      if json.loads(d["body"])["data"].get("reference") == row.reference), None))
    result = deliver(host_client("ng.localhost"), "/webhook/flutterwave", delivery)
    assert result.status_code == 200 and result.json()["status"] == "succeeded", result.content
    assert transfer_row(answer).wallet_hold.status == "settled" and balance_of(user) == 1_000_000 - 20_000
    assert_books_balance("ng")
