"""Merchant tests send no SMS (helpers: tests/merchants/helpers.py; gateway simulators:
tests/fixtures/gateways.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def quiet(settings):
    settings.WALLET_SMS_NOTIFICATIONS = False
    settings.MERCHANT_SMS_NOTIFICATIONS = False
    settings.SAVINGS_SMS_NOTIFICATIONS = False
