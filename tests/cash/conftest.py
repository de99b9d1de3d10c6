"""Cash tests: the SMS settings point at the session's SMS simulator, whose outbox carries the confirmation codes
(tests/fixtures/sms_kyc.py); helpers in tests/cash/helpers.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _sms_to_simulator(sms_to_simulator):
    yield
