"""Agents/reseller tests run with the SMS and KYC simulators and a clean Redis (tests/fixtures/sms_kyc.py);
``s3``, ``products`` and the gateway simulators are tests/fixtures."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _simulated_providers(simulated_providers):
    yield


@pytest.fixture(autouse=True)
def system_totals_from_here(django_db_setup, django_db_blocker):
    """quickvend's and its parent ng's system totals count from the test's start (committed journeys elsewhere
    leave sales, and a late delivery's receivable in ng's suspense).

    Read outside any test transaction (no ``db`` fixture here, so ``live_db`` tests keep real commits).
    """
    from .helpers import SYSTEM_BASELINE, snapshot_system_totals

    with django_db_blocker.unblock():
        snapshot_system_totals()
    yield
    SYSTEM_BASELINE.clear()


@pytest.fixture
def qv_admin_token(host_client):
    """A fresh operator_admin of the quickvend reseller (rolled back) and its access token."""
    from tests.accounts.helpers import login, make_user

    email = f"qv-admin-{uuid.uuid4().hex[:10]}@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    return login(host_client("quickvend.localhost"), email)["access"]
