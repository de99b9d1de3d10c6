"""Agents/reseller tests: SMS simulator and clean Redis (accounts fixtures), a moto S3, helpers."""

from __future__ import annotations

import uuid

import pytest

from tests.accounts.conftest import clean_rate_limits, kyc_simulator, providers_on_simulators, sms_simulator
from tests.kyc.conftest import s3
from tests.pricing.conftest import products

__all__ = ["clean_rate_limits", "kyc_simulator", "products", "providers_on_simulators", "s3", "sms_simulator"]


@pytest.fixture(autouse=True)
def system_totals_from_here(django_db_setup, django_db_blocker):
    """quickvend's system totals count from the test's start (committed journeys elsewhere leave sales).

    Read outside any test transaction (no ``db`` fixture here, so ``live_db`` tests keep real commits).
    """
    from .helpers import SYSTEM_BASELINE, snapshot_system_totals

    with django_db_blocker.unblock():
        snapshot_system_totals()
    yield
    SYSTEM_BASELINE.clear()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def qv_admin_token(host_client):
    """A fresh operator_admin of the quickvend reseller (rolled back) and its access token."""
    from tests.accounts.helpers import login, make_user

    email = f"{unique('qv-admin')}@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    return login(host_client("quickvend.localhost"), email)["access"]
