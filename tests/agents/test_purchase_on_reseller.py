"""The real purchase path on reseller brands (VTPass simulator over HTTP, provider call in-process).

* an approved application becomes a tenant whose first purchase settles and draws on its float;
* a three-level agent tree: a real order bought through a signed API key settles (the sale_settled hook pays
  every tier and draws the float), then the provider reverses it (sale_reversed claws it all back).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from provider_plugins.vtpass import protocol as vtpass_protocol
from provider_plugins.vtpass.simulator import VTPassSimulator
from tenant_apps.agents.api_keys import api_key_create, sign
from tenant_apps.agents.floats import float_balances, fund_float
from tenant_apps.agents.models import CommissionPosting
from tenant_apps.agents.services import add_agent
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.pricing.models import CommissionTier, PriceRule
from tenants.models import Tenant
from tests.accounts.helpers import call, login, make_user
from tests.orders.helpers import VTPASS_API_KEYS, submitted

from .helpers import assert_ledger_balanced, balance, system_total
from .test_onboarding import apply

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def vtpass_sim():
    simulator = VTPassSimulator(duplicate_window_seconds=0).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def airtime(tenants, vtpass_sim, settings):
    """A VTPass registry row on the simulator and its synced catalog (rolled back with the test)."""
    from shared_apps.catalog.models import Product
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.services import provider_register
    from tenant_apps.orders.services._helpers import _accounts

    settings.ORDERS_SMS_NOTIFICATIONS = False
    _accounts.clear()  # its per-process account cache would outlive this test's rollback
    provider = provider_register(name=f"VTPass resellers {uuid.uuid4().hex[:6]}", country="NG", plugin_key="vtpass",
                                 base_url=vtpass_sim.url, capabilities=["airtime", "data"],
                                 credentials=VTPASS_API_KEYS, options={"commission_bp": {"*": 300}},
                                 routing_priority=0, timeout_seconds=2)
    catalog_sync_provider(provider_id=provider.pk)
    yield Product.objects.get(provider=provider, provider_product_code="mtn")
    _accounts.clear()


def _submit(schema: str, order_id: str, capture):
    from tenant_apps.orders.models import Order

    with schema_context(schema):
        order = Order.objects.get(public_id=order_id)
        with capture(execute=True):
            submitted(order.pk)
        order.refresh_from_db()
        return order


def _phone(n: int) -> str:
    return f"0803{n:04d}123"


def test_approval_then_first_purchase_on_the_new_tenant(host_client, airtime, s3, sms_simulator,
                                                        django_capture_on_commit_callbacks):
    make_user("ng", email="ops@ng.test", role="operator_admin")
    make_user("ng", email="money@ng.test", role="operator_finance")
    ng = host_client("ng.localhost")
    application_id = apply(ng, subdomain="firstvend").json()["id"]
    admin = login(ng, "ops@ng.test")["access"]
    assert call(ng, "POST", f"/api/resellers/applications/{application_id}/approve", token=admin).status_code == 200
    reseller = Tenant.objects.get(schema_name="firstvend")

    finance = login(ng, "money@ng.test")["access"]
    assert call(ng, "POST", "/api/resellers/firstvend/float", {"amount": "1000.00"}, token=finance,
                HTTP_IDEMPOTENCY_KEY="first-float").status_code == 201
    buyer = make_user("firstvend", email="walkin@firstvend.test", phone="+2348030001111")
    with schema_context("firstvend"):
        fund_wallet(wallet=wallet_for(user=buyer), amount=50_000, reference="cash-in-1")

    site = host_client("firstvend.localhost")
    token = login(site, "walkin@firstvend.test")["access"]
    with django_capture_on_commit_callbacks(execute=False):  # the submit task: run in-process below
        response = call(site, "POST", "/api/purchase", {"product_id": airtime.pk, "recipient_phone": _phone(1),
                                                        "amount": "100.00"}, token=token,
                        HTTP_IDEMPOTENCY_KEY="first-purchase")
    assert response.status_code in (201, 202), response.content
    order = _submit("firstvend", response.json()["id"], django_capture_on_commit_callbacks)
    assert order.status == "settled"
    # 100.00 airtime: provider cost 97.00, ng +2 % -> 98.94 (firstvend's cost), +2 % -> 100.92 paid.
    assert (order.quote["cost_minor"], order.quote["tenant_cost_minor"], order.price_minor) == (9_700, 9_894, 10_092)
    with schema_context("firstvend"):
        assert balance(buyer) == 50_000 - 10_092
        # 1.98 of margin, VAT 7.5 % included: 198 × 10 000 / 10 750 = 184.19 -> 184 revenue, 14 VAT.
        assert system_total("revenue") == 184 and system_total("tax_payable_vat") == 14
        assert system_total("provider_settlement") == 0
        assert_ledger_balanced()
    with schema_context("ng"):
        assert_ledger_balanced()
    floats = float_balances(reseller=reseller)
    assert floats.parent_balance == floats.mirror_balance == 100_000 - 9_894
    call_command("reconcile_resellers")


def test_three_level_tree_real_order_settles_then_reverses(host_client, airtime, vtpass_sim,
                                                           django_capture_on_commit_callbacks):
    reseller = Tenant.objects.get(schema_name="quickvend")
    with schema_context("quickvend"):
        CommissionTier.objects.bulk_create([CommissionTier(level=1, rate_bp=150), CommissionTier(level=2, rate_bp=50),
                                            CommissionTier(level=3, rate_bp=25)])
        PriceRule.objects.create(mode="percent", value=300, product_type="airtime")
        users = [make_user("quickvend", email=f"{name}-{uuid.uuid4().hex[:6]}@qv.test", role="agent",
                           phone=f"+23480355{n:05d}") for n, name in enumerate(("a", "b", "c"))]
        a = add_agent(user=users[0], parent=None)
        b = add_agent(user=users[1], parent=a)
        c = add_agent(user=users[2], parent=b)
        fund_wallet(wallet=wallet_for(user=c.user), amount=100_000, reference=f"c-{uuid.uuid4()}")
        key = api_key_create(name="till", scopes=["purchase", "wallet"], user=c.user, created_by=None)
    fund_float(reseller=reseller, amount_minor=200_000, reference=f"t-{uuid.uuid4()}")
    with schema_context("ng"):
        ng_revenue = system_total("revenue")
    float_before = float_balances(reseller=reseller).parent_balance

    # Agent C's point-of-sale buys through the reseller API: a signed POST to the customer endpoint.
    body = json.dumps({"product_id": airtime.pk, "recipient_phone": _phone(2), "amount": "200.00"}).encode()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    headers: dict[str, Any] = {"HTTP_X_API_KEY": key.key.key_id, "HTTP_X_TIMESTAMP": timestamp, "HTTP_X_NONCE": nonce,
               "HTTP_X_SIGNATURE": sign(secret=key.secret, timestamp=timestamp, nonce=nonce, method="POST",
                                        path="/api/purchase", body=body),
               "HTTP_IDEMPOTENCY_KEY": "pos-1"}
    with django_capture_on_commit_callbacks(execute=False):
        response = Client(HTTP_HOST="quickvend.localhost").post("/api/purchase", body,
                                                                content_type="application/json", **headers)
    assert response.status_code in (201, 202), response.content
    order = _submit("quickvend", response.json()["id"], django_capture_on_commit_callbacks)
    assert order.status == "settled"

    # 200.00: cost 194.00 -> ng +2 % = 197.88 -> quickvend +3 % = 203.82; commissions 1.5/0.5/0.25 % of 203.82.
    quote = order.quote
    assert (quote["cost_minor"], quote["tenant_cost_minor"], quote["price_minor"]) == (19_400, 19_788, 20_382)
    commissions = [(line["party"], line["level"], line["amount_minor"]) for line in quote["lines"]
                   if line["account_kind"] == "commissions_payable"]
    assert commissions == [(f"agent:{c.public_id}", 1, 305), (f"agent:{b.public_id}", 2, 101),
                           (f"agent:{a.public_id}", 3, 50)]
    with schema_context("quickvend"):
        assert (balance(a.user), balance(b.user), balance(c.user)) == (50, 101, 100_000 - 20_382 + 305)
        assert CommissionPosting.objects.filter(order_ref=str(order.public_id), status="posted").count() == 3
        assert system_total("commissions_payable") == 0
        # 20 382 - 19 788 - 456 = 138 of margin, VAT included: 138 × 10 000 / 10 750 = 128.37 -> 128 (10 VAT).
        assert system_total("revenue") == 128
        assert_ledger_balanced()
    with schema_context("ng"):
        # The operator's 388 margin, VAT included: 388 × 10 000 / 10 750 = 360.93 -> 361 (27 VAT).
        assert system_total("revenue") - ng_revenue == 361
        assert_ledger_balanced()
    assert float_balances(reseller=reseller).parent_balance == float_before - 19_788

    # The provider reverses it: its signed callback on the reseller's domain refunds and claws back.
    with schema_context("quickvend"):
        from tenant_apps.orders.models import OrderAttempt

        request_id = OrderAttempt.objects.get(order_id=order.pk).request_id
    vtpass_sim.transactions[request_id].status = vtpass_protocol.REVERSED
    callback, callback_headers = vtpass_sim.build_callback(request_id)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in callback_headers.items()
             if k.lower() != "content-type"}
    with django_capture_on_commit_callbacks(execute=True):
        hook = Client(HTTP_HOST="quickvend.localhost").post("/webhook/vtpass", callback,
                                                            content_type="application/json", **extra)
    assert hook.status_code == 200, hook.content
    with schema_context("quickvend"):
        order.refresh_from_db()
        assert order.status == "reversed"
        assert (balance(a.user), balance(b.user), balance(c.user)) == (0, 0, 100_000)
        assert set(CommissionPosting.objects.filter(order_ref=str(order.public_id))
                   .values_list("status", flat=True)) == {"clawed_back"}
        assert system_total("commissions_payable") == system_total("revenue") == 0
        assert_ledger_balanced()
    with schema_context("ng"):
        assert system_total("revenue") == ng_revenue
        assert_ledger_balanced()
    assert float_balances(reseller=reseller).parent_balance == float_before
    call_command("reconcile_resellers")


def test_purchase_path_enforces_agent_velocity_and_the_float(host_client, airtime,
                                                             django_capture_on_commit_callbacks):
    reseller = Tenant.objects.get(schema_name="quickvend")
    user = make_user("quickvend", email=f"fast-{uuid.uuid4().hex[:6]}@qv.test", role="agent", phone="+2348036660001")
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
        agent.max_transactions_per_hour = 1
        agent.save()
        fund_wallet(wallet=wallet_for(user=user), amount=100_000, reference=f"fast-{uuid.uuid4()}")
    site = host_client("quickvend.localhost")
    token = login(site, user.email)["access"]

    def buy(n, key, amount="100.00"):
        with django_capture_on_commit_callbacks(execute=False):
            return call(site, "POST", "/api/purchase", {"product_id": airtime.pk, "recipient_phone": _phone(n),
                                                        "amount": amount}, token=token, HTTP_IDEMPOTENCY_KEY=key)

    # More than quickvend's float covers (committed tests may have left some: 100.00 costs quickvend 98.94).
    hundreds = float_balances(reseller=reseller).parent_balance // 9_894 + 1
    short = buy(10, "f-0", amount=f"{hundreds * 100}.00")
    assert (short.status_code, short.json()["error"]["code"]) == (422, "insufficient_float")
    fund_float(reseller=reseller, amount_minor=50_000, reference=f"v-{uuid.uuid4()}")
    assert buy(11, "f-1").status_code in (201, 202)
    second = buy(12, "f-2")
    assert (second.status_code, second.json()["error"]["code"]) == (429, "agent_velocity_exceeded")
    with schema_context("quickvend"):
        assert balance(user) == 100_000 - 10_092 * 1  # only the accepted sale is held
