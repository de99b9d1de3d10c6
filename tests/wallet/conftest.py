"""Wallet tests: no SMS notifications unless a test turns them on (helpers: tests/wallet/helpers.py; gateway
simulators and registry rows: tests/fixtures/gateways.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_wallet_sms(no_wallet_sms):
    yield
