"""The contract tests run with the SMS and KYC simulators and a clean Redis (tests/fixtures/sms_kyc.py); the
purchase simulators (``inproc_stack``) and S3 come from tests/fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _simulated_providers(simulated_providers):
    yield
