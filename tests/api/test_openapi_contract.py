"""``/api/schema/`` is true: schemathesis over every operation of a tenant domain (ng) and of the head office, with
the response-schema, status-code and content-type conformance checks, fails on any mismatch.

Bounded for CI (``CONTRACT_MAX_EXAMPLES`` schema-valid cases per operation, default 2, seeded and
derandomized, no deadline); every request is sent anonymously, as a throwaway funded customer and as the
tenant's operator_admin, each money-moving call with a fresh Idempotency-Key. In-process, in the test's
transaction: nothing the run writes survives it.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.accounts.helpers import login, make_user
from tests.support.contract import run_contract

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "2"))


def test_tenant_schema_is_true(host_client, s3):
    from django_tenants.utils import schema_context

    from tenant_apps.ledger.services import fund_wallet, wallet_for

    tag = uuid.uuid4().hex[:8]
    customer = make_user("ng", email=f"contract-{tag}@example.test", phone="+2348031117001")
    make_user("ng", email=f"contract-admin-{tag}@example.test", role="operator_admin", phone="+2348031117002")
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=100_000, reference=f"contract:{tag}")
    identities = {
        "anonymous": "",
        "customer": login(host_client("ng.localhost"), f"contract-{tag}@example.test")["access"],
        "operator_admin": login(host_client("ng.localhost"), f"contract-admin-{tag}@example.test")["access"],
    }
    report = run_contract(host="ng.localhost", identities=identities, max_examples=MAX_EXAMPLES)
    print(report.summary())
    assert len(report.operations) >= 100, report.operations
    assert not report.mismatches, report.summary()


def test_head_office_schema_is_true(host_client):
    tag = uuid.uuid4().hex[:8]
    make_user("public", email=f"contract-root-{tag}@nexustop.example.com", role="super_admin")
    make_user("public", email=f"contract-analyst-{tag}@nexustop.example.com", role="analyst")
    identities = {
        "anonymous": "",
        "super_admin": login(host_client("localhost"), f"contract-root-{tag}@nexustop.example.com")["access"],
        "analyst": login(host_client("localhost"), f"contract-analyst-{tag}@nexustop.example.com")["access"],
    }
    report = run_contract(host="localhost", identities=identities, max_examples=MAX_EXAMPLES)
    print(report.summary())
    assert len(report.operations) >= 8, report.operations
    assert not report.mismatches, report.summary()
