"""Operator finance's wallet adjustments: never their own wallet, never in a currency the tenant does not run.

Before, a finance user posted ``{"user": <their own public id>, "amount": "1000000.00"}`` and their own wallet was
credited from suspense (then spent or sent on like any balance): the same self-approval the KYC, refund, remittance
and risk reviews already refuse (403 ``own_submission``). And ``currency`` took any ISO code: an NGN site's
customer got a USD (or XOF) wallet with money in it, in a currency the site does not operate and its books and
limits do not cover (now 400 ``currency_mismatch``).
"""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenant_apps.ledger.models import Account, JournalEntry
from tests.ledger.helpers import new_user
from tests.ledger.test_idempotency import client_for, post

pytestmark = pytest.mark.django_db


def adjustments(reason: str) -> int:
    with schema_context("ng"):
        return JournalEntry.objects.filter(entry_type="adjustment", metadata__reason=reason).count()


def test_finance_cannot_credit_their_own_wallet(ng):
    finance = new_user(role="operator_finance", prefix="finance")
    reason = f"self-{uuid.uuid4()}"
    for amount, own_money in (("100.00", False), ("1000000.00", True), ("-5.00", False)):
        response = post(client_for(finance), {"user": str(finance.public_id), "amount": amount, "reason": reason,
                                              "returns_own_money": own_money}, str(uuid.uuid4()))
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "own_submission"
    assert adjustments(reason) == 0
    with schema_context("ng"):
        assert not Account.objects.filter(owner=finance, balance__gt=0).exists()


def test_a_customers_wallet_is_adjusted_only_in_the_tenants_currency(ng):
    finance, customer = new_user(role="operator_finance", prefix="finance"), new_user(prefix="customer")
    reason = f"fx-{uuid.uuid4()}"
    for currency in ("USD", "XOF", "GHS"):
        response = post(client_for(finance), {"user": str(customer.public_id), "amount": "10", "currency": currency,
                                              "reason": reason}, str(uuid.uuid4()))
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "currency_mismatch"
    assert adjustments(reason) == 0
    with schema_context("ng"):
        assert not Account.objects.filter(owner=customer).exclude(currency="NGN").exists()
    same = post(client_for(finance), {"user": str(customer.public_id), "amount": "10.00", "currency": "NGN",
                                      "reason": reason}, str(uuid.uuid4()))
    assert same.status_code == 201, same.content


@pytest.mark.parametrize(("language", "text"), [
    ("fr", "Vous ne pouvez pas ajuster votre propre portefeuille."),
    ("pt", "Não pode ajustar a sua própria carteira.")])
def test_the_refusal_reads_in_french_and_portuguese(language, text):
    from tenant_apps.wallet.adjustments import OwnWalletAdjustment

    with translation.override(language):
        assert str(OwnWalletAdjustment().message) == text
