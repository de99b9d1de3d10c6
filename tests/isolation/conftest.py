"""Tenant A (ng) with real objects of every kind, and attackers on tenants B (sn, quickvend)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.conftest import clean_rate_limits, kyc_simulator, providers_on_simulators, sms_simulator
from tests.accounts.helpers import call, login, make_user
from tests.orders.helpers import make_review_order
from tests.support.attack import Victim

__all__ = ["clean_rate_limits", "kyc_simulator", "providers_on_simulators", "sms_simulator"]

VICTIM_SCHEMA, VICTIM_DOMAIN = "ng", "ng.localhost"
BVN = "22287654321"  # not the adapter's example number, so a leak is unambiguous


@pytest.fixture
def victim(db) -> Victim:
    """Tenant A's customer with a funded wallet, a KYC submission, a wallet adjustment (idempotency key,
    ledger entry, audit event), a role change (audit), an order in manual review (hold placed) and live
    tokens."""
    from tenant_apps.kyc.services import kyc_submit
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    client = Client()
    customer = make_user(VICTIM_SCHEMA, email="victim@ng.example", phone="+2348031110001")
    staff = make_user(VICTIM_SCHEMA, email="victim-staff@ng.example", phone="+2348031110002")
    make_user(VICTIM_SCHEMA, email="victim-finance@ng.example", role="operator_finance", phone="+2348031110003")
    admin = make_user(VICTIM_SCHEMA, email="victim-admin@ng.example", role="operator_admin", phone="+2348031110004")
    with schema_context(VICTIM_SCHEMA):
        fund_wallet(wallet=wallet_for(user=customer), amount=500_000, reference="paystack:victim-funding")
        submission = kyc_submit(user=customer, scheme="bvn", number=BVN)
        order = make_review_order(customer, recipient="+2348031110009")  # in the staff review queue
    admin_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim-admin@ng.example")
    customer_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim@ng.example")
    finance_tokens = login(Client(HTTP_HOST=VICTIM_DOMAIN), "victim-finance@ng.example")
    adjusted = call(client, "POST", "/api/wallet/adjustments",
                    {"user": str(customer.public_id), "amount": "25.00", "reason": "goodwill"},
                    token=finance_tokens["access"], HTTP_HOST=VICTIM_DOMAIN, HTTP_IDEMPOTENCY_KEY="victim-adjust-1")
    assert adjusted.status_code == 201, adjusted.content
    promoted = call(client, "POST", f"/api/accounts/users/{staff.public_id}/role", {"role": "operator_support"},
                    token=admin_tokens["access"], HTTP_HOST=VICTIM_DOMAIN)
    assert promoted.status_code == 200, promoted.content
    with schema_context(VICTIM_SCHEMA):
        from tenant_apps.audit.models import AuditEvent
        from tenant_apps.idempotency.models import IdempotencyKey

        assert IdempotencyKey.objects.exists() and AuditEvent.objects.exists()
        admin_id = str(admin.public_id)
    return Victim(
        schema=VICTIM_SCHEMA, domain=VICTIM_DOMAIN,
        ids={"user": str(customer.public_id), "staff": str(staff.public_id), "admin": admin_id,
             "kyc_submission": str(submission.public_id), "refresh": customer_tokens["refresh"],
             "admin_access": admin_tokens["access"], "customer_access": customer_tokens["access"],
             "user_email": "victim@ng.example", "idempotency_key": "victim-adjust-1",
             "order": str(order.public_id)},
        markers={"victim@ng.example", "victim-staff@ng.example", "victim-finance@ng.example",
                 "victim-admin@ng.example", f"admin@{VICTIM_DOMAIN}", "+2348031110004", str(customer.public_id),
                 str(staff.public_id), admin_id, str(submission.public_id), "+2348031110001", "+2348031110002",
                 BVN, "paystack:victim-funding", adjusted.json()["reference"], "goodwill", str(order.public_id),
                 "+2348031110009"})


@pytest.fixture
def attacker_tokens(db):
    """Tokens of a verified customer and of the operator_admin of each attacking tenant."""

    def make(schema: str, domain: str) -> dict[str, str]:
        ng_like = schema != "sn"
        make_user(schema, email=f"attacker@{domain}", phone="+2348031119999" if ng_like else "+221771119999")
        make_user(schema, email=f"finance@{domain}", role="operator_finance",
                  phone="+2348031119998" if ng_like else "+221771119998")
        make_user(schema, email=f"operator-admin@{domain}", role="operator_admin",
                  phone="+2348031119997" if ng_like else "+221771119997")
        client = Client(HTTP_HOST=domain)
        return {"customer": login(client, f"attacker@{domain}")["access"],
                "finance": login(client, f"finance@{domain}")["access"],
                "admin": login(client, f"operator-admin@{domain}")["access"]}

    return make
