"""Agent cash pages and the customer's withdrawal-code page, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.cash.models import CashTransaction
from tests.cash.helpers import balance, last_code, new_agent, new_user
from tests.portal.test_ops_pages import quick_login

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    return quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)


def form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def test_agent_cash_in_page_with_the_customers_code(sms, django_capture_on_commit_callbacks):
    agent, _ = new_agent(float_minor=2_000_000)
    customer = new_user()
    client = page_client(agent)
    form = client.get("/agent/cash-in")
    assert form.status_code == 200 and "Cash-in" in form.content.decode()
    key = form_key(form.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/agent/cash-in", {"customer": customer.phone, "amount": "5000", "idempotency_key": key})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    again = client.post("/agent/cash-in", {"customer": customer.phone, "amount": "5000", "idempotency_key": key})
    assert again.status_code == 302 and again["Location"] == sent["Location"]  # a double click: one cash-in
    detail = client.get(sent["Location"])
    assert 'data-status="awaiting_confirmation"' in detail.content.decode()
    wrong = client.post(sent["Location"], {"code": "000000" if last_code(sms, customer) != "000000" else "111111",
                                           "idempotency_key": form_key(detail.content.decode())})
    assert wrong.status_code == 400 and "attempts left." in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(sent["Location"], {"code": last_code(sms, customer),
                                              "idempotency_key": form_key(wrong.content.decode())})
    assert done.status_code == 302
    assert 'data-status="completed"' in client.get(sent["Location"]).content.decode()
    assert balance(customer) == 500_000 and balance(agent) == 1_500_000
    with schema_context("ng"):
        assert CashTransaction.objects.filter(agent=agent).count() == 1
    assert client.post("/agent/cash-in", {"customer": customer.phone, "amount": "x",
                                          "idempotency_key": key}).status_code == 400


def test_withdrawal_code_page_then_agent_cash_out_page(settings):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=500_000, reference=f"t:{customer.pk}")
    mine = page_client(customer)
    page = mine.get("/wallet/withdraw")
    made = mine.post("/wallet/withdraw", {"amount": "1000", "idempotency_key": form_key(page.content.decode())})
    assert made.status_code == 200
    found = re.search(r"data-code>(\d{8})<", made.content.decode())
    assert found
    code = found.group(1)
    assert balance(customer) == 500_000 - 101_000
    with schema_context("ng"):  # the form key's stored answer keeps the code encrypted
        from tenant_apps.idempotency.models import IdempotencyKey

        kept = [str(body) for body in IdempotencyKey.objects.filter(user=customer)
                .values_list("response_body", flat=True)]
    assert kept and not [row for row in kept if code in row]
    agent, _ = new_agent()
    desk = page_client(agent)
    form = desk.get("/agent/cash-out")
    wrong = desk.post("/agent/cash-out", {"customer": customer.phone, "code": "12345678", "amount": "1000",
                                          "idempotency_key": form_key(form.content.decode())})
    assert wrong.status_code == 400
    paid = desk.post("/agent/cash-out", {"customer": customer.phone, "code": code, "amount": "1000",
                                         "idempotency_key": form_key(wrong.content.decode())})
    assert paid.status_code == 302
    assert 'data-status="completed"' in desk.get(paid["Location"]).content.decode()
    assert balance(agent) == 100_000
    assert page_client(customer).get("/agent/cash-out").status_code in (302, 403)  # customers are not agents


def _code_form_key(html: str, public_id: str) -> str:
    found = re.search(rf'action="/wallet/withdraw/{public_id}"[^>]*>.*?name="idempotency_key"[^>]*value="([0-9a-f]+)"',
                      html, re.S)
    assert found, html
    return found.group(1)


def test_the_withdraw_page_texts_a_code_again_and_cancels_it_once(sms, settings, django_capture_on_commit_callbacks):
    """Each active code on the page has 'Text it to me again' and 'Cancel this code'; a double click of either
    (the same form key) texts or releases once, and a closed code shows no buttons."""
    from tenant_apps.cash.models import WithdrawalCode
    from tests.cash.helpers import funded_customer
    from tests.wallet.helpers import assert_books_balance

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": True, "CODE_RESEND_SECONDS": 0}
    customer = funded_customer()
    mine = page_client(customer)
    page = mine.get("/wallet/withdraw")
    with django_capture_on_commit_callbacks(execute=True):
        made = mine.post("/wallet/withdraw", {"amount": "300", "idempotency_key": form_key(page.content.decode())})
    shown = re.search(r"data-code>(\d{8})<", made.content.decode())
    assert shown, made.content.decode()
    code = shown.group(1)
    with schema_context("ng"):
        public_id = str(WithdrawalCode.objects.get(customer=customer).public_id)
    held = balance(customer)
    assert held < 1_000_000
    html = mine.get("/wallet/withdraw").content.decode()
    assert 'data-status="active"' in html and "Text it to me again" in html
    texted_before = [m for m in sms.messages(to=customer.phone) if code in m["sms"]]
    key = _code_form_key(html, public_id)
    with django_capture_on_commit_callbacks(execute=True):
        resent = mine.post(f"/wallet/withdraw/{public_id}", {"action": "resend", "idempotency_key": key})
        again = mine.post(f"/wallet/withdraw/{public_id}", {"action": "resend", "idempotency_key": key})
    assert resent.status_code == again.status_code == 200
    assert 'data-testid="code-notice"' in resent.content.decode()
    assert code not in resent.content.decode()  # the code goes by SMS, never on the page again
    texted = [m for m in sms.messages(to=customer.phone) if code in m["sms"]]
    assert len(texted) == len(texted_before) + 1  # the double click texted once
    key = _code_form_key(resent.content.decode(), public_id)
    cancelled = mine.post(f"/wallet/withdraw/{public_id}", {"action": "cancel", "idempotency_key": key})
    twice = mine.post(f"/wallet/withdraw/{public_id}", {"action": "cancel", "idempotency_key": key})
    assert cancelled.status_code == twice.status_code == 200
    assert balance(customer) == 1_000_000  # amount and fee back, once
    with schema_context("ng"):
        assert WithdrawalCode.objects.get(public_id=public_id).status == "cancelled"
    assert f'action="/wallet/withdraw/{public_id}"' not in mine.get("/wallet/withdraw").content.decode()
    late = mine.post(f"/wallet/withdraw/{public_id}", {"action": "resend", "idempotency_key": "f" * 32})
    assert late.status_code == 409 and 'data-testid="code-error"' in late.content.decode()
    stranger = page_client(funded_customer())
    assert stranger.post(f"/wallet/withdraw/{public_id}", {"action": "cancel",
                                                           "idempotency_key": "e" * 32}).status_code == 404
    assert balance(customer) == 1_000_000
    assert_books_balance("ng")
