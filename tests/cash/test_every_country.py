"""Cash in and cash out at an agent, the rail every one of the 16 countries has, through the API, in each
country's own currency and minor unit: the agent credits a customer from float, the customer makes a
withdrawal code and the agent pays it out; the fee, the VAT carved out of it and the commission are postings
in that currency; the wallets and the books balance."""

from __future__ import annotations

import json
import uuid

import pytest
from django_tenants.utils import schema_context

from countries.registry import default_adapter
from tests.support.country_sites import SITES, site_client, site_customer
from tests.wallet.helpers import assert_books_balance, balance_of

# (cash-in, cash-out) per currency: below the confirmation threshold, with a fraction where there is one.
AMOUNTS = {"XOF": ("3005", "1505"), "GNF": ("30005", "15005"), "NGN": ("3000.55", "1500.55"),
           "GHS": ("30.55", "15.55"), "GMD": ("300.55", "150.55"), "LRD": ("600.55", "300.55"),
           "SLE": ("60.55", "30.55"), "CVE": ("300.55", "150.55"), "MRU": ("120.55", "60.55")}


@pytest.fixture(autouse=True)
def quiet(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}


def post(client, path: str, data: dict):
    return client.post(path, json.dumps(data), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


@pytest.mark.django_db
@pytest.mark.parametrize("country", sorted(SITES))
def test_cash_in_then_out_at_an_agent_in_every_country(country_sites, country):
    from tenant_apps.agents.services import add_agent
    from tenant_apps.cash.models import CashTransaction

    adapter = default_adapter(country)
    schema, currency = SITES[country][0], adapter.currency
    cash_in, cash_out = AMOUNTS[currency]
    float_minor = adapter.to_minor(cash_in) * 10
    agent = site_customer(country, funded=float_minor, role="agent")
    with schema_context(schema):
        add_agent(user=agent, parent=None)
    customer = site_customer(country)
    answer = post(site_client(agent, country), "/api/cash/in", {"customer": customer.phone, "amount": cash_in})
    assert answer.status_code == 201, (country, answer.content)
    body = answer.json()
    assert (body["status"], body["amount"], body["currency"]) == ("completed", cash_in, currency), body
    assert balance_of(customer, schema) == adapter.to_minor(cash_in)
    made = post(site_client(customer, country), "/api/cash/withdrawal-codes", {"amount": cash_out})
    assert made.status_code == 201, (country, made.content)
    code = made.json()
    fee = adapter.to_minor(cash_out) // 100  # 1 %, rounded down
    assert (code["amount"], code["fee"], code["total"]) == (
        cash_out, adapter.from_minor(fee), adapter.from_minor(adapter.to_minor(cash_out) + fee)), code
    paid = post(site_client(agent, country), "/api/cash/out",
                {"customer": customer.phone, "code": code["code"], "amount": cash_out})
    assert paid.status_code == 201, (country, paid.content)
    assert paid.json()["currency"] == currency and paid.json()["fee"] == adapter.from_minor(fee)
    assert balance_of(customer, schema) == adapter.to_minor(cash_in) - adapter.to_minor(cash_out) - fee
    with schema_context(schema):
        rows = CashTransaction.objects.filter(customer=customer).order_by("pk")
        commissions = sum(row.commission_minor for row in rows)
        assert {row.currency for row in rows} == {currency}
    # The float went to the customer and came back; the agent's commissions (tiers of the tenant) on top.
    assert balance_of(agent, schema) == float_minor - adapter.to_minor(cash_in) + adapter.to_minor(cash_out) + \
        commissions
    assert_books_balance(schema)
