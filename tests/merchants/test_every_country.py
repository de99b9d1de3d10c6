"""Paying a merchant by dynamic QR and by code in each of the 16 countries, through the API: the EMVCo payload
names the country and the ISO 4217 numeric currency, its amount has the currency's minor unit; the fee (the
category's basis points, half up) and the VAT carved out of it post in that currency; a refund gives it all back;
the books balance."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from countries.registry import default_adapter
from tenant_apps.merchants import emvqr
from tests.support.country_sites import AMOUNT, SITES, site_client, site_customer
from tests.wallet.helpers import assert_books_balance, balance_of, post

NUMERIC = {"XOF": "952", "NGN": "566", "GHS": "936", "GMD": "270", "GNF": "324", "LRD": "430", "SLE": "925",
           "CVE": "132", "MRU": "929"}


@pytest.mark.django_db
@pytest.mark.parametrize("country", sorted(SITES))
def test_a_merchant_is_paid_by_qr_and_refunded_in_every_country(country_sites, country):
    from tenant_apps.ledger.models import Account
    from tenant_apps.merchants import services
    from tenant_apps.merchants.models import Merchant

    adapter = default_adapter(country)
    schema, currency, amount = SITES[country][0], adapter.currency, AMOUNT[adapter.currency]
    minor = adapter.to_minor(amount)
    owner, payer = site_customer(country), site_customer(country, funded=minor * 3)
    reviewer = site_customer(country, role="operator_support")
    with schema_context(schema):
        merchant = services.merchant_register(owner=owner, business_name="Chez Awa", category_code="groceries",
                                              city="Capital", address="1 Main Street", settlement=None)
        merchant = services.merchant_decide(reviewer=reviewer, merchant=merchant, action="approve")
        merchant = Merchant.objects.select_related("account").get(pk=merchant.pk)
    printed = site_client(owner, country).get(f"/api/merchants/{merchant.public_id}/qr")
    assert printed.status_code == 200, (country, printed.content)  # MR: 500, MRU had no numeric code
    static = emvqr.decode(printed.json()["payload"])
    assert (static.country, static.currency, static.is_dynamic) == (country, NUMERIC[currency], False)
    asked = post(site_client(owner, country), f"/api/merchants/{merchant.public_id}/payment-requests",
                 {"amount": amount, "bill_number": "B-1"})
    assert asked.status_code == 201, (country, asked.content)
    qr = emvqr.decode(asked.json()["payload"])
    assert (qr.country, qr.currency, qr.amount) == (country, NUMERIC[currency], amount), qr
    paid = post(site_client(payer, country), "/api/merchant-payments", {"qr": asked.json()["payload"]})
    assert paid.status_code == 201, (country, paid.content)
    assert (paid.json()["amount"], paid.json()["currency"]) == (amount, currency), paid.json()
    fee = (minor * 100 + 5_000) // 10_000  # groceries: 1 %, half up
    assert balance_of(payer, schema) == minor * 2
    with schema_context(schema):
        assert Account.objects.get(pk=merchant.account_id).wallet_balance == minor - fee
    by_code = post(site_client(payer, country), "/api/merchant-payments", {"merchant_code": merchant.code,
                                                                           "amount": amount})
    assert by_code.status_code == 201, (country, by_code.content)
    refund = post(site_client(owner, country),
                  f"/api/merchants/{merchant.public_id}/payments/{by_code.json()['id']}/refunds", {})
    assert refund.status_code == 201, (country, refund.content)
    assert refund.json()["amount"] == amount and refund.json()["fee_returned"] == adapter.from_minor(fee)
    assert balance_of(payer, schema) == minor * 2
    assert_books_balance(schema)
