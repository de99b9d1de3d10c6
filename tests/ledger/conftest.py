"""Fixtures for the ledger, idempotency and wallet tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django_tenants.utils import schema_context


def new_user(*, role: str = "customer", prefix: str = "ledger"):
    from tenant_apps.accounts.models import User

    return User.objects.create_user(email=f"{prefix}-{uuid.uuid4().hex[:12]}@example.test", role=role)


def run_concurrently(count: int, fn: Callable[[int], object], *, schema: str = "ng") -> list[object]:
    """Run ``fn(i)`` in ``count`` threads (each with its own DB connection), released together by a barrier.

    Returns each call's result or the exception it raised.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            with schema_context(schema):
                barrier.wait(timeout=30)
                results[index] = fn(index)
        except Exception as exc:  # recorded and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results


@pytest.mark.django_db
def test_database_is_set_up():
    """Imported into modules of committed-data tests: makes pytest-django create the test database
    even when only that module is selected (``live_db`` alone does not)."""
    assert connection.settings_dict["NAME"].startswith("test_")


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
