"""The owner's SMS for a payment received: not for payments below about the price of an SMS, and at most
``MERCHANT_PAYMENT_SMS_PER_HOUR`` per business in any hour.

Before, every payment texted the owner: a customer paying a shop NGN 0.01 a hundred times made a hundred SMS at
the tenant's cost (each SMS costs hundreds of such payments) and a hundred rings on the owner's phone. The
payments themselves are unchanged: each is credited and listed as before, only the SMS is left out.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db.models import F
from django_tenants.utils import schema_context

from shared_apps.core import enqueue as enqueue_module
from tenant_apps.merchants.models import MerchantPayment
from tenant_apps.merchants.notices import sms_floor_minor
from tests.merchants.helpers import funded, open_business, takings
from tests.support.concurrency import run_concurrently
from tests.wallet.helpers import client_for, post


@pytest.fixture
def texts(settings, monkeypatch):
    """The SMS the payments enqueue (phone, text), once their transaction commits."""
    settings.MERCHANT_SMS_NOTIFICATIONS = True
    sent: list[tuple[str, str]] = []

    def task_named(name):
        assert name == "wallet.send_sms", name
        return SimpleNamespace(apply_async=lambda args, countdown=None: sent.append((args[0], args[1])))

    monkeypatch.setattr(enqueue_module, "task_named", task_named)
    return sent


def _pay(payer, merchant, amount: str):
    answer = post(client_for(payer), "/api/merchant-payments", {"merchant_code": merchant.code, "amount": amount})
    assert answer.status_code == 201, answer.content
    return answer


@pytest.mark.django_db
def test_a_payment_below_the_floor_is_credited_but_not_texted(texts, django_capture_on_commit_callbacks):
    merchant, payer = open_business(), funded()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            _pay(payer, merchant, "0.01")
    assert texts == []
    assert takings(merchant) == 5  # every kobo is there (groceries' 1 % fee rounds to nothing)
    with django_capture_on_commit_callbacks(execute=True):
        _pay(payer, merchant, "100.00")  # the floor itself is texted
    assert len(texts) == 1 and texts[0][0] == merchant.owner.phone and "Mama Put Kitchen" in texts[0][1]


@pytest.mark.django_db
def test_at_most_so_many_payments_are_texted_per_business_and_hour(texts, settings,
                                                                  django_capture_on_commit_callbacks):
    settings.MERCHANT_PAYMENT_SMS_PER_HOUR = 3
    merchant, other = open_business(), open_business(name="Other Shop")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            _pay(funded(), merchant, "150.00")
        _pay(funded(), other, "150.00")  # another business has its own hour
    assert [phone for phone, _text in texts] == [merchant.owner.phone] * 3 + [other.owner.phone]
    with schema_context("ng"):
        assert MerchantPayment.objects.filter(merchant_id=merchant.pk).count() == 5
        # an hour later the business is texted again
        MerchantPayment.objects.filter(merchant_id=merchant.pk).update(created_at=F("created_at") - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        _pay(funded(), merchant, "150.00")
    assert texts[-1][0] == merchant.owner.phone and len(texts) == 5


def test_payments_at_once_cannot_pass_the_hourly_bound_together(live_db, texts, settings):
    settings.MERCHANT_PAYMENT_SMS_PER_HOUR = 2
    merchant = open_business()
    payers = [funded() for _ in range(6)]

    def pay(index: int) -> int:
        return post(client_for(payers[index]), "/api/merchant-payments",
                    {"merchant_code": merchant.code, "amount": "150.00"}).status_code

    assert run_concurrently(6, pay) == [201] * 6
    assert len(texts) == 2


@pytest.mark.parametrize(("currency", "floor"), [("NGN", 10_000), ("XOF", 50), ("GHS", 100), ("ZAR", 100)])
def test_the_floor_is_in_the_currency_of_the_site(currency, floor):
    assert sms_floor_minor(currency) == floor
