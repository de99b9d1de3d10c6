"""What an outside tester's money journeys in Mali, Burkina Faso, Benin, The Gambia and Ghana found on the portal's
pages, as a browser sends them (Django's test client, the real VTPass/MTN simulators of tests/portal/test_shop_pages).

* An electricity bill charged 1 010 CFA for 1 000 CFA typed, and the page never said so before "Pay now".
* The withdrawal-code page held a fee with the amount and never said how much.
* French pages wrote the open amount's rate "98.94 %".
* A whole-franc amount typed wrong was answered "such as 1500 or 1500.50" (1500.50 is refused in francs).
* The footer's language switch did nothing for a logged-in customer (their sign-up language came first).
* English pages wrote 7 December as 12/07/2026 (American), read as 12 July in Accra and Banjul.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.utils import formats, translation
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user
from tests.portal.test_shop_pages import alerts, customer, form_key, logged_in, orders_of
from tests.portal.test_shop_pages import catalog as shop_catalog

catalog = shop_catalog  # the shop tests' VTPass/MTN simulators and synced catalog (a module fixture of its own here)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """The page as read: tags out, entities decoded, every space (non-breaking ones too) one plain space."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_bill_page_says_what_pay_now_charges_before_it_is_pressed(host_client, tenants, catalog):
    from shared_apps.core.templatetags.ui import money
    from tenant_apps.pricing.quotes import quote_price

    user = customer(1_000_000)
    client = logged_in(host_client, user)
    page = client.get("/pay/electricity")
    power = catalog.products["vt_power"]
    body = {"idempotency_key": form_key(page), "product_id": power.pk, "customer_number": "1111111111111",
            "recipient_phone": user.phone}
    with schema_context("ng"):
        price = quote_price(product=power, amount_minor=100_000, buyer=user).price_minor
        with translation.override("en"):
            shown = money(price, "NGN")
    assert price != 100_000  # the fee the customer must see: the price is not the amount typed
    checked = client.post("/pay/electricity", {**body, "amount": "1000", "action": "verify"})
    assert checked.status_code == 200 and "TESTMETER1" in checked.content.decode()
    assert f"You pay {shown}, fee included." in _text(checked)
    # the amount typed after the check: the rate, before anything is paid
    no_amount = client.post("/pay/electricity", {**body, "amount": "", "action": "verify"})
    assert re.search(r"You pay [0-9.]+ % of the amount, fee included\.", _text(no_amount)), _text(no_amount)[-800:]
    assert orders_of(user) == []  # checking moves no money
    paid = client.post("/pay/electricity", {**body, "amount": "1000", "action": "pay"})
    assert paid.status_code == 302
    [order] = orders_of(user)
    assert order.price_minor == price  # what the page said is what was charged


def test_open_amount_rates_are_written_with_a_decimal_comma_in_french(host_client, tenants, catalog):
    user = customer()
    with schema_context("ng"):
        type(user).objects.filter(pk=user.pk).update(preferred_language="fr")
    client = logged_in(host_client, user)
    listed = client.get("/buy/airtime/products", {"recipient_phone": "08031234567"})
    text = _text(listed)
    rates = re.findall(r"vous payez ([0-9][0-9.,]*) %", text)
    assert rates, text[-1500:]
    assert all("." not in rate for rate in rates) and any("," in rate for rate in rates), rates


def _sn_customer(balance_minor: int = 0):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = make_user("sn", email=f"j2-{uuid.uuid4().hex[:10]}@example.com",
                     phone=f"+22177{uuid.uuid4().int % 10**7:07d}", password=None)
    if balance_minor:
        with schema_context("sn"):
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"j2-{uuid.uuid4().hex}")
    return user


def test_the_withdrawal_code_page_says_the_fee_before_and_after(host_client, tenants, settings):
    from tenant_apps.ledger.selectors import wallet_balances

    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False, "CASH_OUT_FEE_BPS": 100}
    user = _sn_customer(50_000)
    client = logged_in(host_client, user, host="sn.localhost")
    page = client.get("/wallet/withdraw")
    assert "Frais : 1 % du montant." in _text(page)  # before the code is made
    made = client.post("/wallet/withdraw", {"amount": "1000", "idempotency_key": form_key(page)})
    assert made.status_code == 200 and re.search(r"data-code>\d{8}<", made.content.decode())
    text = _text(made)
    assert "1 000 CFA en espèces, frais 10 CFA : 1 010 CFA mis de côté sur votre portefeuille." in text, text[-1500:]
    assert "1 000 CFA (frais 10 CFA)" in text
    with schema_context("sn"):
        assert sum(b.available for b in wallet_balances(user=user)) == 50_000 - 1_010


def test_a_franc_amount_typed_wrong_is_not_answered_with_a_decimal_example(host_client, tenants):
    sender, recipient = _sn_customer(50_000), _sn_customer()
    client = logged_in(host_client, sender, host="sn.localhost")
    page = client.get("/transfers")
    refused = client.post("/transfers", {"recipient": recipient.phone, "amount": "5 000",
                                         "idempotency_key": form_key(page)})
    assert refused.status_code == 400
    text = _text(refused)
    assert "Saisissez le montant en chiffres uniquement, par exemple 1500." in text, alerts(refused)
    assert "1500.50" not in text and "1500,50" not in text


def test_the_footer_language_switch_changes_a_logged_in_customers_language(host_client, tenants):
    user = customer()
    with schema_context("ng"):
        type(user).objects.filter(pk=user.pk).update(preferred_language="en")
    client = logged_in(host_client, user)
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/wallet"})
    assert switched.status_code == 302 and switched["Location"] == "/wallet"
    with schema_context("ng"):
        user.refresh_from_db()
    assert user.preferred_language == "fr"  # SMS and USSD follow it too
    wallet = client.get("/wallet")
    assert wallet["Content-Language"] == "fr" and "Portefeuille" in wallet.content.decode()
    back = client.post("/i18n/setlang/", {"language": "en", "next": "/wallet"})
    assert back.status_code == 302 and client.get("/wallet")["Content-Language"] == "en"
    # not a language of the site: nothing changes
    client.post("/i18n/setlang/", {"language": "xx", "next": "/wallet"})
    with schema_context("ng"):
        user.refresh_from_db()
    assert user.preferred_language == "en"


def test_a_visitors_language_switch_still_sets_the_cookie_only(host_client, tenants):
    client = host_client("gh.localhost")
    switched = client.post("/i18n/setlang/", {"language": "fr", "next": "/login"})
    assert switched.status_code == 302 and switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert client.get("/login")["Content-Language"] == "fr"


def test_english_dates_are_written_day_first():
    when = datetime(2026, 12, 7, 22, 51, tzinfo=UTC)
    with translation.override("en"):
        assert formats.date_format(when, "SHORT_DATE_FORMAT") == "07/12/2026"
        assert formats.date_format(when, "SHORT_DATETIME_FORMAT").startswith("07/12/2026 ")
        assert formats.date_format(when, "DATE_FORMAT") == "7 Dec 2026"
    with translation.override("fr"):  # French as it was
        assert formats.date_format(when, "SHORT_DATE_FORMAT") == "07/12/2026"


def test_a_statement_line_in_english_shows_the_day_first(host_client, tenants):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = make_user("gh", email=f"j2-{uuid.uuid4().hex[:10]}@example.com",
                     phone=f"+23324{uuid.uuid4().int % 10**7:07d}", password=None)
    with schema_context("gh"):
        fund_wallet(wallet=wallet_for(user=user), amount=10_000, reference=f"j2-{uuid.uuid4().hex}")
    client = logged_in(host_client, user, host="gh.localhost")
    wallet = client.get("/wallet")
    with schema_context("gh"):
        from tenant_apps.ledger.selectors import wallet_statement

        [line] = list(wallet_statement(user=user))
    day = line.created_at.astimezone(UTC)
    assert f"{day:%d/%m/%Y}" in wallet.content.decode(), _text(wallet)[-600:]


def test_the_funding_page_offers_bank_transfer_only_where_a_gateway_gives_account_numbers(host_client, tenants):
    """In Mali the funding page said "Or add money by bank transfer to your own account number", and the link
    answered "Bank transfer funding is not available here." (offered: tests/wallet/test_virtual_accounts)."""
    client = logged_in(host_client, _sn_customer(), host="sn.localhost")
    page = client.get("/wallet/fund")
    assert page.status_code == 200 and "/wallet/bank-account" not in page.content.decode()
    assert "virement bancaire" not in _text(page)
