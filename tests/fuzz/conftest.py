"""Fuzzing runs with the SMS and KYC simulators and a clean Redis (tests/fixtures/sms_kyc.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _simulated_providers(simulated_providers):
    yield
