"""The contract tests reuse the accounts fixtures (SMS and KYC simulators over HTTP, a clean Redis DB, S3) and the
purchase simulators of tests/orders."""

from __future__ import annotations

from tests.accounts.conftest import clean_rate_limits, kyc_simulator, providers_on_simulators, sms_simulator
from tests.kyc.conftest import s3
from tests.orders.conftest import inproc_stack  # the purchase simulators and providers (module-scoped)

__all__ = ["clean_rate_limits", "inproc_stack", "kyc_simulator", "providers_on_simulators", "s3", "sms_simulator"]
