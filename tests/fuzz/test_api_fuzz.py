"""schemathesis against ng.localhost's OpenAPI schema, authenticated: no 5xx, every 4xx in the error shape.

A bounded, seeded run for CI (``FUZZ_MAX_EXAMPLES`` cases per operation and mode, default 4; the schema
contract test in tests/api adds valid cases for every operation);
``manage.py fuzz_api --max-examples N`` runs the same engine for longer.
"""

from __future__ import annotations

import os

import pytest

from nexustop_dev.fuzz import run_fuzz
from tests.accounts.helpers import login, make_user

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))


def test_fuzz_tenant_api(host_client, s3):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    customer = make_user("ng", email="fuzz-customer@example.test", phone="+2348031116001")
    make_user("ng", email="fuzz-admin@example.test", role="operator_admin", phone="+2348031116002")
    from django_tenants.utils import schema_context

    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=100_000, reference="paystack:fuzz-funding")
    identities = {
        "anonymous": "",
        "customer": login(host_client("ng.localhost"), "fuzz-customer@example.test")["access"],
        "operator_admin": login(host_client("ng.localhost"), "fuzz-admin@example.test")["access"],
    }
    report = run_fuzz(host="ng.localhost", identities=identities, max_examples=MAX_EXAMPLES, seed=11)
    print(report.summary())
    assert len(report.operations) >= 20, report.operations
    assert report.requests >= len(report.operations) * 2 * 3
    assert not report.failures, report.summary()
