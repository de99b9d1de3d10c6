"""Merchant pages through the Django test client (rolled back): a customer pays by code (confirm step, one
payment per form), a merchant registers, shows its QR codes, exports CSV and refunds once; the operator
reviews and sets fees. English on ng, French on sn, Portuguese for a user who chose it."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tenant_apps.merchants.models import Merchant, MerchantPayment, MerchantRefund
from tests.merchants.helpers import balances, funded, open_business, staff, takings
from tests.wallet.helpers import assert_books_balance, new_customer

pytestmark = pytest.mark.django_db
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def logged_in(host_client, user, schema: str = "ng"):
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    client = host_client(f"{schema}.localhost")
    with schema_context(schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_SCHEMA_KEY] = schema
        session.save()
    return client


def key_of(response) -> str:
    found = KEY.search(response.content.decode())
    assert found
    return found.group(1)


def test_pay_by_code_confirms_then_pays_once(host_client):
    merchant = open_business()
    payer = funded()
    client = logged_in(host_client, payer)
    form = client.get("/pay")
    assert form.status_code == 200 and "Pay a merchant" in form.content.decode()
    body = {"idempotency_key": key_of(form), "merchant_code": merchant.code, "amount": "150.00", "note": "lunch"}
    confirm = client.post("/pay", body)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "You are paying Mama Put Kitchen (Lagos)." in html
    assert 'data-testid="pay-confirm"' in html and balances(payer) == [1_000_000]  # nothing moved yet
    final = {**body, "idempotency_key": key_of(confirm), "confirm": "True"}
    paid = client.post("/pay", final)
    assert paid.status_code == 302 and paid["Location"].startswith("/payments/")
    again = client.post("/pay", final)  # a double submit replays the first answer
    assert again["Location"] == paid["Location"]
    receipt = client.get(paid["Location"])
    assert "₦150.00" in receipt.content.decode() and "Mama Put Kitchen" in receipt.content.decode()
    with schema_context("ng"):
        assert MerchantPayment.objects.filter(payer=payer).count() == 1
    assert balances(payer) == [1_000_000 - 15_000]
    unknown = client.post("/pay", {"idempotency_key": key_of(form), "merchant_code": "12345678", "amount": "1"})
    assert unknown.status_code == 400 and "No active merchant has this code." in unknown.content.decode()
    assert host_client("ng.localhost").get("/pay").status_code == 302  # login first
    assert_books_balance("ng")


def test_pay_page_in_french_on_sn(host_client):
    merchant = open_business("sn", name="Boutique Aissatou")
    payer = funded(amount=100_000, schema="sn")
    client = logged_in(host_client, payer, "sn")
    form = client.get("/pay")
    assert "Payer un commerçant" in form.content.decode()
    confirm = client.post("/pay", {"idempotency_key": key_of(form), "merchant_code": merchant.code, "amount": "1500"})
    html = confirm.content.decode()
    assert "Vous payez Boutique Aissatou (Lagos)." in html and "Confirmer et payer" in html
    paid = client.post("/pay", {"idempotency_key": key_of(confirm), "merchant_code": merchant.code,
                                "amount": "1500", "confirm": "True"})
    assert paid.status_code == 302
    assert "1 500" in client.get(paid["Location"]).content.decode()
    assert balances(payer, schema="sn") == [98_500]


def test_merchant_registers_shows_qr_exports_and_refunds_once(host_client):
    owner = new_customer()
    client = logged_in(host_client, owner)
    empty = client.get("/business")
    assert 'data-testid="register-form"' in empty.content.decode()
    registered = client.post("/business", {"business_name": "Iya Basira Foods", "category": "restaurants",
                                           "city": "Ibadan", "address": "Dugbe market, stall 14"})
    assert registered.status_code == 302
    pending = client.get("/business").content.decode()
    assert "We are checking your business details." in pending and 'data-testid="static-qr"' not in pending
    with schema_context("ng"):
        merchant = Merchant.objects.select_related("account").get(owner=owner)
        from tenant_apps.merchants import services

        services.merchant_decide(reviewer=staff(), merchant=merchant, action="approve")
        payer = funded()
        payment = services.merchant_pay(payer=payer, payee=services.payee_from_code(merchant.code),
                                        amount_minor=200_000, note="=SUM(A1)")
    board = client.get(f"/business/{merchant.public_id}").content.decode()
    assert '<svg' in board and 'data-testid="static-qr"' in board and merchant.code in board
    assert "₦2,000.00" in board  # today's takings
    dynamic = client.post(f"/business/{merchant.public_id}/request", {"amount": "350.00", "bill_number": "T9"})
    assert dynamic.status_code == 200 and 'data-testid="dynamic-qr"' in dynamic.content.decode()
    exported = client.get(f"/business/{merchant.public_id}/payments.csv")
    text = b"".join(exported.streaming_content).decode()
    assert text.splitlines()[1].split(",")[4:6] == ["2000.00", "30.00"] and "'=SUM(A1)" in text

    detail = client.get(f"/business/{merchant.public_id}/payments/{payment.public_id}")
    form = {"idempotency_key": key_of(detail), "amount": "500.00", "reason": "cold food"}
    first = client.post(f"/business/{merchant.public_id}/payments/{payment.public_id}", form)
    second = client.post(f"/business/{merchant.public_id}/payments/{payment.public_id}", form)
    assert first.status_code == second.status_code == 302
    with schema_context("ng"):
        assert MerchantRefund.objects.filter(payment=payment).count() == 1
    too_much = client.post(f"/business/{merchant.public_id}/payments/{payment.public_id}",
                           {"idempotency_key": key_of(detail) + "x", "amount": "1500.01"})
    assert too_much.status_code == 400 and "A refund cannot be more than" in too_much.content.decode()
    assert balances(payer) == [1_000_000 - 200_000 + 50_000] and takings(merchant) == 197_000 - 49_250
    # Someone else's business: not found.
    assert logged_in(host_client, new_customer()).get(f"/business/{merchant.public_id}").status_code == 404
    assert_books_balance("ng")


def test_back_office_reviews_businesses_and_sets_fees_in_portuguese(host_client):
    pending = open_business(approve=False, name="Loja do Bairro")
    support = staff()
    with schema_context("ng"):
        type(support).objects.filter(pk=support.pk).update(preferred_language="pt")
        support.refresh_from_db()
    client = logged_in(host_client, support)
    queue = client.get("/back-office/merchants")
    html = queue.content.decode()
    assert queue.status_code == 200 and "Loja do Bairro" in html and "Aprovar" in html
    assert "Nível de verificação do proprietário" in html and 'data-testid="owner-tier"' in html
    decided = client.post(f"/back-office/merchants/{pending.public_id}/decide", {"action": "approve", "note": "ok"})
    assert decided.status_code == 302
    with schema_context("ng"):
        assert Merchant.objects.get(pk=pending.pk).status == "active"
    assert client.get("/back-office/merchant-fees").status_code == 403  # fees: operator admin only
    admin = logged_in(host_client, staff(role="operator_admin"))
    fees = admin.get("/back-office/merchant-fees")
    assert 'data-testid="fee-row-fuel"' in fees.content.decode()
    saved = admin.post("/back-office/merchant-fees", {"category": "fuel", "fee_percent": "0.75", "fee_fixed": "0",
                                                       "fee_cap": "100.00", "active": "on"})
    assert saved.status_code == 302
    with schema_context("ng"):
        from tenant_apps.merchants.models import MerchantCategory

        fuel = MerchantCategory.objects.get(code="fuel")
        assert (fuel.fee_bps, fuel.fee_cap_minor) == (75, 10_000)
    assert logged_in(host_client, new_customer()).get("/back-office/merchants").status_code == 403


def test_navigation_links_each_role_to_its_pages(host_client):
    customer = logged_in(host_client, new_customer()).get("/wallet").content.decode()
    assert 'href="/pay"' in customer and 'href="/savings"' in customer and 'href="/business"' in customer
    operator = logged_in(host_client, staff(role="operator_admin")).get("/back-office/").content.decode()
    assert 'href="/back-office/merchants"' in operator and 'href="/back-office/merchant-fees"' in operator
    assert 'href="/back-office/savings"' in operator
