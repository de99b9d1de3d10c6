"""Merchant payments end to end on real tenant schemas: business KYC review, paying by QR (static and
dynamic) and by code, refunds (partial, full, once, never more than paid), fees per category, dashboard
and CSV, tenant isolation. Books balance after every test."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.audit.models import AuditEvent
from tenant_apps.merchants import emvqr
from tenant_apps.merchants.models import MerchantPayment, MerchantRefund, PaymentRequest
from tenant_apps.merchants.selectors import merchant_discrepancies
from tests.merchants.helpers import balances, funded, open_business, revenue, staff, takings
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import assert_books_balance, client_for, new_customer, post

pytestmark = pytest.mark.django_db


def vat_payable(schema: str = "ng") -> int:
    from tenant_apps.ledger.selectors import system_balance

    with schema_context(schema):
        return system_balance(kind="tax_payable_vat", currency={"ng": "NGN", "gh": "GHS", "sn": "XOF"}[schema])


def code(response) -> str:
    return response.json()["error"]["code"]


def test_qr_payment_and_partial_refunds(db):
    """The issue's case: a customer scans the merchant's printed EMVCo code and pays; the merchant refunds
    part, then the rest; a further refund is refused; each ledger step is one balanced entry."""
    merchant = open_business()
    owner, payer = merchant.owner, funded()
    revenue_before, vat_before = revenue(), vat_payable()
    printed = client_for(owner).get(f"/api/merchants/{merchant.public_id}/qr").json()["payload"]
    scanned = emvqr.decode(printed)  # a real MPM payload: static, our GUI, NGN 566, NG, the category's MCC
    assert not scanned.is_dynamic and scanned.currency == "566" and scanned.country == "NG" and scanned.mcc == "5411"
    ours = scanned.account_with_gui("com.nexustop")
    assert ours is not None and ours.field("01") == merchant.code
    preview = post(client_for(payer), "/api/merchants/qr/resolve", {"qr": printed})
    assert preview.json()["merchant"]["business_name"] == "Mama Put Kitchen" and preview.json()["amount"] is None

    paid = post(client_for(payer), "/api/merchant-payments", {"qr": printed, "amount": "2500.00"})
    assert paid.status_code == 201, paid.content
    assert paid.json()["channel"] == "qr_static" and paid.json()["amount"] == "2500.00"
    # groceries: 1 % fee (25.00), out of the merchant's side, in the same entry: Nigeria's 7.5 % VAT is carved
    # out of that fee income (25.00 x 7.5 / 107.5 = 1.744 -> 1.74 to VAT payable, 23.26 to revenue).
    assert balances(payer) == [1_000_000 - 250_000]
    assert takings(merchant) == 247_500 and revenue() == revenue_before + 2_326
    assert vat_payable() == vat_before + 174
    with schema_context("ng"):
        payment = MerchantPayment.objects.get(public_id=paid.json()["id"])
        assert sorted(payment.entry.postings.values_list("amount", flat=True)) == [-250_000, 174, 2_326, 247_500]
        assert payment.entry.metadata["tax_bases"] == {"tax_payable_vat": 2_326}

    refunds_url = f"/api/merchants/{merchant.public_id}/payments/{payment.public_id}/refunds"
    first = post(client_for(owner), refunds_url, {"amount": "1000.00", "reason": "one plate returned"}, key="ref-1")
    assert first.status_code == 201, first.content
    assert first.json()["fee_returned"] == "10.00" and first.json()["payment"]["status"] == "partially_refunded"
    # 1000/2500 of the fee comes back, and the same share of its VAT: 1.74 x 0.4 = 0.696 -> 0.69 (cumulative floor)
    assert vat_payable() == vat_before + 174 - 69 and revenue() == revenue_before + 2_326 - (1_000 - 69)
    replay = post(client_for(owner), refunds_url, {"amount": "1000.00", "reason": "one plate returned"}, key="ref-1")
    assert replay["Idempotency-Replayed"] == "true"  # the same refund request is applied once
    too_much = post(client_for(owner), refunds_url, {"amount": "1500.01"})
    assert (too_much.status_code, code(too_much)) == (422, "refund_exceeds_payment")
    rest = post(client_for(owner), refunds_url, {})  # no amount: everything left
    assert rest.status_code == 201 and rest.json()["amount"] == "1500.00"
    again = post(client_for(owner), refunds_url, {"amount": "1.00"})
    assert (again.status_code, code(again)) == (409, "already_refunded")
    the_rest_again = post(client_for(owner), refunds_url, {})  # "refund the rest" of a refunded payment: 409 too
    assert (the_rest_again.status_code, code(the_rest_again)) == (409, "already_refunded")  # was 400 invalid_amount

    assert balances(payer) == [1_000_000] and takings(merchant) == 0 and revenue() == revenue_before
    assert vat_payable() == vat_before  # a full refund gives every tax back exactly
    with schema_context("ng"):
        payment.refresh_from_db()
        assert (payment.status, payment.refunded_minor) == ("refunded", 250_000)
        assert sum(MerchantRefund.objects.filter(payment=payment).values_list("fee_returned_minor", flat=True)) == 2_500
        assert AuditEvent.objects.filter(action="merchant_refund", subject_id=str(payment.public_id)).count() == 2
        assert merchant_discrepancies() == []
    # The payer sees the payment and its refunds; another customer does not.
    mine = client_for(payer).get(f"/api/merchant-payments/{payment.public_id}")
    assert mine.json()["refunded"] == "2500.00"
    assert client_for(new_customer()).get(f"/api/merchant-payments/{payment.public_id}").status_code == 404
    assert_books_balance("ng")


def test_dynamic_qr_is_paid_once_for_its_amount(db):
    merchant = open_business(category="restaurants")  # 1.5 %
    owner, payer = merchant.owner, funded()
    request = post(client_for(owner), f"/api/merchants/{merchant.public_id}/payment-requests",
                   {"amount": "750.00", "bill_number": "TABLE-7"})
    assert request.status_code == 201, request.content
    payload = request.json()["payload"]
    qr = emvqr.decode(payload)
    assert qr.is_dynamic and qr.amount == "750.00" and qr.additional(emvqr.BILL_NUMBER) == "TABLE-7"
    assert qr.mcc == "5812"

    # Someone re-encodes the code with a smaller amount (and a valid CRC): refused, the stored amount rules.
    forged = emvqr.encode(emvqr.MerchantPresentedQr(**{**qr.__dict__, "amount": "1.00"}))
    assert code(post(client_for(payer), "/api/merchant-payments", {"qr": forged})) == "qr_unknown_request"
    other_amount = post(client_for(payer), "/api/merchant-payments", {"qr": payload, "amount": "700.00"})
    assert code(other_amount) == "amount_mismatch"
    tampered = payload[:-6] + ("00" if payload[-6:-4] != "00" else "11") + payload[-4:]
    assert code(post(client_for(payer), "/api/merchant-payments", {"qr": tampered})) in ("qr_bad_crc",
                                                                                           "qr_malformed")

    paid = post(client_for(payer), "/api/merchant-payments", {"qr": payload})
    assert paid.status_code == 201 and paid.json()["channel"] == "qr_dynamic" and paid.json()["amount"] == "750.00"
    twice = post(client_for(funded()), "/api/merchant-payments", {"qr": payload})
    assert (twice.status_code, code(twice)) == (409, "qr_already_paid")
    assert takings(merchant) == 75_000 - 1_125

    late = post(client_for(owner), f"/api/merchants/{merchant.public_id}/payment-requests", {"amount": "10.00"})
    with schema_context("ng"):
        PaymentRequest.objects.filter(public_id=late.json()["id"]).update(expires_at=timezone.now())
    assert code(post(client_for(payer), "/api/merchant-payments", {"qr": late.json()["payload"]})) == "qr_expired"
    assert balances(payer) == [1_000_000 - 75_000]
    assert_books_balance("ng")


def test_paying_by_code_and_every_refusal_writes_nothing(db):
    pending = open_business(approve=False, name="Not Yet Open")
    merchant = open_business()
    payer = funded(amount=50_000)

    def pay(data, user=payer):
        return post(client_for(user), "/api/merchant-payments", data)

    lookup = client_for(payer).get(f"/api/merchants/lookup?code={merchant.code}")
    assert lookup.json() == {"code": merchant.code, "business_name": "Mama Put Kitchen", "city": "Lagos",
                             "category": "Groceries and supermarkets"}
    typo = merchant.code[:7] + str((int(merchant.code[7]) + 1) % 10)  # the Luhn digit catches it
    assert (pay({"merchant_code": typo, "amount": "10.00"}).status_code, code(pay({"merchant_code": typo,
                                                                                   "amount": "10.00"}))) == \
        (404, "unknown_merchant")
    assert code(pay({"merchant_code": pending.code, "amount": "10.00"})) == "merchant_not_active"
    assert code(pay({"merchant_code": merchant.code, "amount": "600.00"})) == "insufficient_funds"
    assert code(pay({"merchant_code": merchant.code, "amount": "1e3"})) == "invalid_amount"
    assert code(pay({"merchant_code": merchant.code, "amount": "-5"})) == "invalid_amount"
    assert code(pay({"merchant_code": merchant.code})) == "invalid_amount"
    assert code(pay({"merchant_code": merchant.code, "amount": "10.001"})) == "invalid_amount"
    assert code(pay({"merchant_code": merchant.code, "qr": "x", "amount": "1"})) == "validation_error"
    assert code(pay({"merchant_code": merchant.code, "amount": "10.00"}, user=merchant.owner)) in (
        "self_payment", "insufficient_funds")
    no_key = post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "1"},
                  key=None)
    assert code(no_key) == "idempotency_key_required"
    unverified = pay({"merchant_code": merchant.code, "amount": "1.00"}, user=new_customer(verified=False))
    assert code(unverified) == "phone_not_verified"
    with schema_context("ng"):
        assert not MerchantPayment.objects.filter(payer=payer).exists()
    ok = pay({"merchant_code": merchant.code, "amount": "100.00", "note": "=HYPERLINK(\"x\")"})
    assert ok.status_code == 201 and ok.json()["channel"] == "code"
    assert balances(payer) == [40_000] and takings(merchant) == 9_900
    assert_books_balance("ng")


def test_operator_finance_refunds_a_disputed_payment(db):
    merchant = open_business()
    payer = funded()
    paid = post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "80.00"})
    url = f"/api/staff/merchant-payments/{paid.json()['id']}/refunds"
    support, finance = client_for(staff()), client_for(staff(role="operator_finance"))
    with nothing_changes("ng"):
        assert post(support, url, {"reason": "dispute"}).status_code == 403  # support: no money
        assert code(post(finance, url, {})) == "validation_error"  # a reason
    refunded = post(client_for(staff(role="operator_finance")), url, {"amount": "30.00", "reason": "dispute #12"})
    assert refunded.status_code == 201 and refunded.json()["payment"]["refunded"] == "30.00"
    assert balances(payer) == [1_000_000 - 8_000 + 3_000]
    assert_books_balance("ng")


def test_owner_cannot_pay_their_own_business(db):
    owner = funded()
    merchant = open_business(owner=owner)
    answer = post(client_for(owner), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "10.00"})
    assert (answer.status_code, code(answer)) == (400, "self_payment")
    assert balances(owner) == [1_000_000]


def test_business_kyc_review_and_category_fees(db):
    owner = new_customer()
    registered = post(client_for(owner), "/api/merchants", {
        "business_name": "Chez Ada Pharmacy", "category": "pharmacy", "city": "Abuja",
        "address": "4 Aminu Kano Crescent", "registration_number": "RC-123456"})
    assert registered.status_code == 201 and registered.json()["status"] == "pending"
    assert code(post(client_for(owner), "/api/merchants", {"business_name": "Chez Ada Pharmacy", "category": "pharmacy",
                                                           "city": "Abuja", "address": "4 Aminu Kano"})) == \
        "merchant_name_taken"
    merchant_id = registered.json()["id"]
    support, admin = staff(), staff(role="operator_admin")
    queue = client_for(support).get("/api/staff/merchants?status=pending").json()["results"]
    assert merchant_id in [row["id"] for row in queue]
    with nothing_changes("ng"):
        assert client_for(owner).get("/api/staff/merchants").status_code == 403
        assert post(client_for(owner), f"/api/staff/merchants/{merchant_id}/approve", {}).status_code == 403
    approved = post(client_for(support), f"/api/staff/merchants/{merchant_id}/approve", {"note": "RC checked"})
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert code(post(client_for(support), f"/api/staff/merchants/{merchant_id}/approve", {})) == \
        "merchant_state_conflict"

    # Fees: admin only, audited, applied to the next payment (with the cap).
    with nothing_changes("ng"):
        assert post(client_for(support), "/api/staff/merchant-categories/pharmacy", {}).status_code == 403
    changed = client_for(admin).put("/api/staff/merchant-categories/pharmacy",
                                    json.dumps({"rate_bps": 250, "fee_cap": "50.00"}), content_type="application/json")
    assert changed.status_code == 200 and changed.json()["fee_cap"] == "50.00"
    payer = funded()
    with schema_context("ng"):
        merchant_code = MerchantPayment._meta.apps.get_model("merchants", "Merchant").objects.get(
            public_id=merchant_id).code
        assert AuditEvent.objects.filter(action="merchant_fees_changed", subject_id="pharmacy").exists()
    revenue_before, vat_before = revenue(), vat_payable()
    post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant_code, "amount": "4000.00"})
    post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant_code, "amount": "100.00"})
    # 2.5 % of 4000.00 capped at 50.00, then 2.5 % of 100.00; 7.5 % VAT carved out of each fee (3.49 and 0.17)
    assert revenue() + vat_payable() == revenue_before + vat_before + 5_000 + 250
    assert vat_payable() == vat_before + 349 + 17

    # Suspended: no payments, refunds still possible.
    suspended = post(client_for(support), f"/api/staff/merchants/{merchant_id}/suspend", {"note": "complaints"})
    assert suspended.json()["status"] == "suspended"
    assert code(post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant_code,
                                                                   "amount": "5.00"})) == "merchant_not_active"
    payment = client_for(payer).get("/api/merchant-payments").json()["results"][0]
    refund = post(client_for(owner), f"/api/merchants/{merchant_id}/payments/{payment['id']}/refunds", {})
    assert refund.status_code == 201
    assert_books_balance("ng")


def test_dashboard_history_and_csv(db):
    merchant = open_business()
    owner, payer = merchant.owner, funded()
    for amount, note in (("100.00", ""), ("250.50", "=cmd|' /C calc'!A0")):
        post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": amount,
                                                           "note": note})
    first = client_for(payer).get("/api/merchant-payments").json()["results"][-1]
    post(client_for(owner), f"/api/merchants/{merchant.public_id}/payments/{first['id']}/refunds", {"amount": "40.00"})
    board = client_for(owner).get(f"/api/merchants/{merchant.public_id}/dashboard").json()
    assert (board["payments"], board["gross"], board["fees"], board["refunds"], board["refunded"]) == \
        (2, "350.50", "3.51", 1, "40.00")
    assert board["net"] == board["unsettled"] == "307.39"  # 350.50 - 3.51 - (40.00 - 0.40)
    history = client_for(owner).get(f"/api/merchants/{merchant.public_id}/payments").json()["results"]
    assert [row["amount"] for row in history] == ["250.50", "100.00"] and history[1]["refunded"] == "40.00"
    assert "•••" in history[0]["payer"] and payer.phone not in json.dumps(history)
    exported = client_for(owner).get(f"/api/merchants/{merchant.public_id}/payments?format=csv")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.getvalue().decode())))
    assert rows[0][:5] == ["date", "reference", "channel", "payer", "amount"] and len(rows) == 3
    assert rows[1][4:8] == ["250.50", "2.51", "247.99", "0.00"] and rows[1][10].startswith("'=")
    # Somebody else's business: not found, whatever the endpoint.
    stranger = client_for(new_customer())
    for path in ("dashboard", "payments", "qr", "settlements"):
        assert stranger.get(f"/api/merchants/{merchant.public_id}/{path}").status_code == 404
    assert_books_balance("ng")


def test_codes_and_qr_of_one_tenant_are_refused_in_another(db):
    merchant = open_business("ng")
    printed = client_for(merchant.owner).get(f"/api/merchants/{merchant.public_id}/qr").json()["payload"]
    gh_payer = funded(schema="gh")
    by_qr = post(client_for(gh_payer, "gh"), "/api/merchant-payments", {"qr": printed, "amount": "1.00"})
    assert (by_qr.status_code, code(by_qr)) == (400, "qr_other_service")
    by_code = post(client_for(gh_payer, "gh"), "/api/merchant-payments", {"merchant_code": merchant.code,
                                                                          "amount": "1.00"})
    assert by_code.status_code == 404
    assert client_for(gh_payer, "gh").get(f"/api/merchants/{merchant.public_id}/dashboard").status_code == 404
    assert balances(gh_payer, schema="gh") == [1_000_000]


def test_reconcile_ledger_covers_merchant_accounts(db, capsys):
    merchant = open_business()
    payer = funded()
    paid = post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "20.00"})
    with schema_context("ng"):
        assert merchant_discrepancies() == []
        # Someone edits a business row behind the ledger's back: reconciliation reports it.
        MerchantPayment.objects.filter(public_id=paid.json()["id"]).update(refunded_minor=100)
        found = merchant_discrepancies()
    assert [item.kind for item in found] == ["merchant_refund_total_mismatch"]
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--schema", "ng")
    assert "merchant_refund_total_mismatch" in capsys.readouterr().out


def test_operator_finance_cannot_refund_their_own_payment(db):
    """Attack: an operator-finance user paid a shop, then refunded the payment to themselves through the dispute
    endpoint (POST /api/staff/merchant-payments/<id>/refunds): goods kept, money back from the merchant's takings.
    A dispute refund is never decided by the payer (403 ``own_submission``); a colleague can."""
    merchant = open_business()
    insider = funded(role="operator_finance")
    paid = post(client_for(insider), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": "2500.00"})
    assert paid.status_code == 201, paid.content
    url = f"/api/staff/merchant-payments/{paid.json()['id']}/refunds"
    mine = post(client_for(insider), url, {"reason": "dispute"})
    assert mine.status_code == 403, mine.content  # was 201: refunded to themselves
    assert code(mine) == "own_submission"
    assert balances(insider) == [1_000_000 - 250_000] and takings(merchant) == 247_500
    colleague = staff(role="operator_finance")
    refunded = post(client_for(colleague), url, {"reason": "dispute: goods not delivered"})
    assert refunded.status_code == 201 and refunded.json()["amount"] == "2500.00"
    assert balances(insider) == [1_000_000] and takings(merchant) == 0
    assert_books_balance("ng")
