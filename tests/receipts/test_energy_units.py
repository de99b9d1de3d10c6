"""Energy units as the provider words them ("79.9 kWh", "25.0 kWh") were shown with an English decimal point on
French and Portuguese receipts, SMS and pages: they follow the reader's language now
(``countries.money.format_quantity``, the ``quantity`` filter)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django_tenants.utils import schema_context

from countries.money import format_quantity
from nexustop_dev.buyers import new_buyer
from tests.orders.helpers import make_review_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("text", "locale", "expected"), [
    ("79.9 kWh", "fr", "79,9 kWh"), ("79.9 kWh", "pt", "79,9 kWh"), ("79.9 kWh", "en", "79.9 kWh"),
    ("25.0 kWh", "fr", "25 kWh"), ("1234.5kwh", "fr", "1 234,5 kWh"), ("3.2", "pt", "3,2"),
    ("see receipt", "fr", "see receipt"), ("", "fr", ""),
])
def test_a_quantity_follows_the_language(text, locale, expected):
    assert format_quantity(text, locale=locale) == expected


def test_the_receipt_the_sms_and_the_page_write_units_in_french():
    from tenant_apps.notifications.messages import render_message
    from tenant_apps.receipts.data import order_receipt

    user, _token = new_buyer(10_000)
    with schema_context("ng"):
        order = make_review_order(user)
        order.token, order.units = "1234-5678", "79.9 kWh"
        receipt = order_receipt(order, language="fr")
        text = render_message(template="order_delivered", language="fr", context={
            "product": "Électricité", "recipient": "0803", "token": "1234-5678", "units": "79.9 kWh",
            "ref": "abc"}).text
    assert [d.value for d in receipt.details if d.testid == "receipt-units"] == ["79,9 kWh"]
    assert "(79,9 kWh)" in text and "79.9" not in text, text
    with translation.override("pt"):
        page = Template("{% load ui %}{{ units|quantity }}").render(Context({"units": "79.9 kWh"}))
    assert page == "79,9 kWh"
