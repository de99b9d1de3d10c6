"""Fixtures for the ledger, idempotency and wallet tests (helpers: tests/ledger/helpers.py)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def ng(db):
    """Run the test body inside the ng schema (rolled back at the end)."""
    with schema_context("ng"):
        yield


@pytest.fixture
def ng_live(live_db):
    """Inside the ng schema with real commits."""
    with schema_context("ng"):
        yield
