"""A reseller admin funds its float through a payment gateway (Paystack simulator over HTTP).

The checkout is a wallet FundingIntent with purpose ``reseller_float``; the signed webhook on the reseller's
domain is verified with the gateway, then the float is credited on both schemas in one transaction, once.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.agents.floats import FloatEntry, float_balances
from tenant_apps.ledger.models import JournalEntry
from tenant_apps.wallet.models import FundingIntent
from tenant_apps.wallet.selectors import gateway_discrepancies
from tenants.models import Tenant
from tests.accounts.helpers import call, login, make_user
from tests.wallet.helpers import deliver, register_gateway

from .helpers import assert_ledger_balanced


def _credits(reference: str) -> tuple[int, int]:
    counts = []
    for schema in ("quickvend", "ng"):
        with schema_context(schema):
            counts.append(JournalEntry.objects.filter(entry_type=FloatEntry.FUND, reference=f"paystack:{reference}")
                          .count())
    return counts[0], counts[1]


@pytest.mark.django_db
def test_reseller_admin_funds_the_float_through_paystack_once(host_client, paystack):
    register_gateway(country="NG", key="paystack", url=paystack.url)
    reseller = Tenant.objects.get(schema_name="quickvend")
    before = float_balances(reseller=reseller).parent_balance
    email = f"qv-fund-{uuid.uuid4().hex[:6]}@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    site = host_client("quickvend.localhost")
    token = login(site, email)["access"]

    started = call(site, "POST", "/api/resellers/float/fund", {"amount": "2500.00", "gateway": "paystack"},
                   token=token, HTTP_IDEMPOTENCY_KEY="float-gw-1")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["purpose"] == "reseller_float" and body["authorization_url"].startswith(paystack.url + "/checkout/")
    replay = call(site, "POST", "/api/resellers/float/fund", {"amount": "2500.00", "gateway": "paystack"},
                  token=token, HTTP_IDEMPOTENCY_KEY="float-gw-1")
    assert replay.json()["id"] == body["id"]  # the same checkout, not a second one

    # The admin pays on the gateway's hosted page; nothing moves before our own verification.
    page = requests.post(body["authorization_url"] + "/pay", data={"action": "pay"}, allow_redirects=False,
                         timeout=5)
    assert page.status_code == 302
    assert float_balances(reseller=reseller).parent_balance == before
    [webhook] = paystack.deliveries

    answer = deliver(Client(HTTP_HOST="quickvend.localhost"), "/webhook/paystack", webhook)
    assert answer.status_code == 200 and answer.json()["status"] == "succeeded", answer.content
    funded = float_balances(reseller=reseller)
    assert funded.parent_balance == funded.mirror_balance == before + 250_000
    assert _credits(body["reference"]) == (1, 1)  # one balanced entry on each side
    with schema_context("ng"):
        entry = JournalEntry.objects.get(entry_type=FloatEntry.FUND, reference=f"paystack:{body['reference']}")
        assert sorted(entry.postings.values_list("account__kind", "amount")) == [
            ("gateway_clearing", -250_000), ("reseller_float", 250_000)]
        assert_ledger_balanced()
    with schema_context("quickvend"):
        intent = FundingIntent.objects.get(public_id=body["id"])
        assert intent.status == "succeeded" and intent.credit_entry is not None
        assert intent.credit_entry.entry_type == FloatEntry.FUND
        assert [d for d in gateway_discrepancies() if body["reference"] in d.subject] == []
        assert_ledger_balanced()

    # Duplicate webhooks and the admin's return credit nothing more.
    for _ in range(2):
        again = deliver(Client(HTTP_HOST="quickvend.localhost"), "/webhook/paystack", webhook)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
    back = call(site, "GET", f"/api/wallet/fund/{body['id']}", token=token)
    assert back.status_code == 200 and back.json()["status"] == "succeeded"
    assert float_balances(reseller=reseller).parent_balance == before + 250_000
    assert _credits(body["reference"]) == (1, 1)
    call_command("reconcile_resellers")


@pytest.mark.django_db
def test_a_redelivery_past_the_dedupe_row_still_credits_once(host_client, paystack):
    """The intent row is locked and each side's ledger reference is unique: a redelivery that skipped the
    dedupe row (recorded only after the first commits) still cannot credit twice."""
    from tenant_apps.wallet.models import WebhookEvent

    register_gateway(country="NG", key="paystack", url=paystack.url)
    reseller = Tenant.objects.get(schema_name="quickvend")
    before = float_balances(reseller=reseller).parent_balance
    email = f"qv-fund-{uuid.uuid4().hex[:6]}@qv.test"
    make_user("quickvend", email=email, role="operator_admin")
    site = host_client("quickvend.localhost")
    token = login(site, email)["access"]
    body = call(site, "POST", "/api/resellers/float/fund", {"amount": "10.00", "gateway": "paystack"},
                token=token, HTTP_IDEMPOTENCY_KEY="float-gw-2").json()
    paystack.complete(body["reference"])
    webhook = paystack.deliveries[-1]
    assert deliver(Client(HTTP_HOST="quickvend.localhost"), "/webhook/paystack", webhook).status_code == 200
    with schema_context("quickvend"):
        WebhookEvent.objects.filter(subject=body["reference"]).delete()  # as if the twin arrived before the record
    again = deliver(Client(HTTP_HOST="quickvend.localhost"), "/webhook/paystack", webhook)
    assert again.status_code == 200
    assert float_balances(reseller=reseller).parent_balance == before + 1_000
    assert _credits(body["reference"]) == (1, 1)
    call_command("reconcile_resellers")


@pytest.mark.django_db
def test_only_a_reseller_admin_funds_a_float(host_client, paystack):
    register_gateway(country="NG", key="paystack", url=paystack.url)
    make_user("ng", email="ops-gw@ng.test", role="operator_admin")
    ng = host_client("ng.localhost")
    refused = call(ng, "POST", "/api/resellers/float/fund", {"amount": "10.00", "gateway": "paystack"},
                   token=login(ng, "ops-gw@ng.test")["access"], HTTP_IDEMPOTENCY_KEY="float-gw-3")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "not_a_reseller")
    make_user("quickvend", email="agent-gw@qv.test", role="agent")
    site = host_client("quickvend.localhost")
    agent = call(site, "POST", "/api/resellers/float/fund", {"amount": "10.00", "gateway": "paystack"},
                 token=login(site, "agent-gw@qv.test")["access"], HTTP_IDEMPOTENCY_KEY="float-gw-4")
    assert agent.status_code == 403


def test_webhooks_and_returns_racing_credit_the_float_once(committed_gateway, paystack):
    """Committed, in threads: 8 deliveries of the same signed webhook and 4 returns of the admin (each verifies
    with the gateway) race; the float is credited once on each side."""
    from rest_framework.test import APIClient

    from tenant_apps.wallet.models import WebhookEvent
    from tests.support.concurrency import run_concurrently

    from .test_float_in_the_sale import _refund_float

    committed_gateway(country="NG", key="paystack", url=paystack.url)
    reseller = Tenant.objects.get(schema_name="quickvend")
    before = float_balances(reseller=reseller).parent_balance
    admin = make_user("quickvend", email=f"qv-race-{uuid.uuid4().hex[:6]}@qv.test", role="operator_admin")
    client = APIClient(HTTP_HOST="quickvend.localhost")
    client.force_authenticate(user=admin)
    started = client.post("/api/resellers/float/fund", {"amount": "30.00", "gateway": "paystack"}, format="json",
                          HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert started.status_code == 201, started.content
    body = started.json()
    paystack.complete(body["reference"])
    webhook = paystack.deliveries[-1]

    def attempt(index: int):
        if index % 3 == 2:
            returning = APIClient(HTTP_HOST="quickvend.localhost")
            returning.force_authenticate(user=admin)
            answer = returning.get(f"/api/wallet/fund/{body['id']}").json()
            return answer.get("status", answer)
        return deliver(Client(HTTP_HOST="quickvend.localhost"), "/webhook/paystack", webhook).status_code

    results = run_concurrently(12, attempt, schema="public")
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r for r in results if isinstance(r, int)} == {200}, results
    assert all(r in ("pending", "succeeded") for r in results if not isinstance(r, int)), results
    try:
        assert _credits(body["reference"]) == (1, 1)
        funded = float_balances(reseller=reseller)
        assert funded.parent_balance == funded.mirror_balance == before + 3_000
        with schema_context("quickvend"):
            assert FundingIntent.objects.get(public_id=body["id"]).status == "succeeded"
            assert WebhookEvent.objects.filter(provider="paystack", subject=body["reference"]).count() == 1
            assert [d for d in gateway_discrepancies() if body["reference"] in d.subject] == []
        call_command("reconcile_resellers")
    finally:  # committed: hand the money back so other tests find quickvend's float as it was
        extra = float_balances(reseller=reseller).parent_balance - before
        if extra:
            _refund_float(reseller, extra)
    call_command("reconcile_resellers")
