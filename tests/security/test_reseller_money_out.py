"""A reseller brand's staff are an outside business. What they credit in their own books (a top-level agent's
'money received', a wallet adjustment against suspense) is backed by nothing at the country operation: it must
never leave through the operation's payout rails (its Paystack balance, its mobile-money accounts).

Before the fix: the brand's admin funded its own agent NGN 50,000 out of thin air and the agent's bank payout of
NGN 4,000 was accepted (202) and sent with the operation's Paystack credentials (tenant_apps.wallet.operation_rails).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tests.security.inputs import Person, person
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db

HOST = "quickvend.localhost"
ADA = {"bank_code": "058", "account_number": "0123456789"}


def client(who: Person, host: str = HOST) -> APIClient:
    api = APIClient(HTTP_HOST=host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {who.token}")
    return api


def post(api: APIClient, path: str, body: dict):
    return api.post(path, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)


def refused(answer) -> bool:
    return answer.status_code == 403 and answer.json()["error"]["code"] == "not_on_reseller_brand"


def agent_funded_by_its_reseller(amount: str = "50000.00") -> Person:
    from tenant_apps.agents.services import add_agent

    admin, agent = person("quickvend", "operator_admin"), person("quickvend", "agent")
    with schema_context("quickvend"):
        row = add_agent(user=agent.user, parent=None)
    funded = post(client(admin), f"/api/agents/{row.public_id}/fund", {"amount": amount})
    assert funded.status_code == 201, funded.content
    return agent


def wallet_of(who: Person) -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context(who.schema):
        return wallet_for(user=who.user).wallet_balance


def test_what_a_reseller_credits_itself_never_leaves_through_the_operations_payout_rails(ng_gateways):
    from tests.wallet.helpers import register_gateway

    register_gateway(country="NG", key="airtel_money", url="http://127.0.0.1:9", options={"country": "NG",
                                                                                          "currency": "NGN"})
    agent = agent_funded_by_its_reseller()
    paystack = ng_gateways["paystack"]
    sent_before = len(paystack.transfers)
    with nothing_changes("quickvend", "ng"):
        bank = post(client(agent), "/api/transfers", {"type": "bank", "recipient": ADA, "amount": "4000.00"})
        assert refused(bank), bank.content
        mobile = post(client(agent), "/api/transfers", {"type": "wallet", "recipient": {"rail": "airtel_money"},
                                                        "amount": "4000.00"})
        assert refused(mobile), mobile.content
        enquiry = post(client(agent), "/api/transfers/name-enquiry", ADA)
        assert refused(enquiry), enquiry.content
        holder = post(client(agent), "/api/transfers/wallet-name-check", {"rail": "airtel_money"})
        assert refused(holder), holder.content
    assert wallet_of(agent) == 5_000_000 and len(paystack.transfers) == sent_before
    rails = client(agent).get("/api/transfers/rails")
    assert rails.status_code == 200 and rails.json() == {"wallet_rails": [], "bank": []}


def test_a_reseller_brands_business_is_never_settled_through_the_operations_rails(ng_gateways):
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.merchants import services
    from tenant_apps.merchants.models import Merchant, MerchantSettlement
    from tenant_apps.wallet.models import Transfer
    from tenant_apps.wallet.operation_rails import NotOnResellerBrand

    owner = person("quickvend")
    with schema_context("quickvend"):
        with pytest.raises(NotOnResellerBrand):
            services.merchant_register(owner=owner.user, business_name="Brand Kiosk", category_code="groceries",
                                       city="Lagos", address="12 Broad Street, Lagos Island",
                                       settlement=services.SettlementDetails(method="bank", bank_code="058",
                                                                             account_number="0123456789"))
        # A business whose bank settlement was registered before the rule: its takings stay where they are.
        merchant = services.merchant_register(owner=owner.user, business_name="Brand Kiosk", category_code="groceries",
                                              city="Lagos", address="12 Broad Street, Lagos Island")
        Merchant.objects.filter(pk=merchant.pk).update(
            status="active", settlement_method="bank", settlement_bank_code="058",
            settlement_account_number="0123456789", settlement_account_name="ADA OBI LOVELACE")
        fund_wallet(wallet=merchant.account, amount=300_000, reference=f"test-takings:{uuid.uuid4()}")
        results = services.settlements_run(now=datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
        assert results["errors"] == 1 and results["settled"] == 0
        assert not MerchantSettlement.objects.filter(merchant=merchant).exists()
        assert not Transfer.objects.filter(sender=owner.user).exists()
        assert wallet_for(user=owner.user).wallet_balance == 0
        merchant.account.refresh_from_db()
        assert merchant.account.wallet_balance == 300_000
