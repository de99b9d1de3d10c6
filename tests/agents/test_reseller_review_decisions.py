"""A reseller brand's staff never decide that an order of theirs was not delivered: the float is the operation's
money at risk (the provider was paid with the operation's account), so only the provider's own answer refunds it.

Before the fix: an order of a quickvend customer waiting in manual review (the provider's answer unclear) was
resolved "not delivered" by quickvend's own finance user: the customer was refunded in quickvend's books and the
float draw released at ng, while the provider had delivered the airtime (its answer came later): ng paid the
provider and got nothing from the float. "Delivered" stays theirs to decide (it only draws the float), and a
requery still applies whatever the provider answers (tenant_apps.orders.services.staff)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.agents.floats import float_balances, fund_float
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenants.models import Tenant
from tests.accounts.helpers import call, login, make_user

from .helpers import balance
from .test_purchase_on_reseller import _submit, airtime, vtpass_sim  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def review_order_on_quickvend(airtime_product, capture):
    """A quickvend customer's order whose provider answer stayed unclear (pending, then manual review)."""
    from tenant_apps.orders.models import Order

    reseller = Tenant.objects.get(schema_name="quickvend")
    fund_float(reseller=reseller, amount_minor=200_000, reference=f"t-{uuid.uuid4()}")
    buyer = make_user("quickvend", email=f"buyer-{uuid.uuid4().hex[:6]}@qv.test",
                      phone=f"+234803{uuid.uuid4().int % 10**7:07d}")
    with schema_context("quickvend"):
        fund_wallet(wallet=wallet_for(user=buyer), amount=50_000, reference=f"cash-{uuid.uuid4()}")
    site = Client(HTTP_HOST="quickvend.localhost")
    with capture(execute=False):
        response = call(site, "POST", "/api/purchase", {"product_id": airtime_product.pk,
                                                        "recipient_phone": "08035559991", "amount": "100.00"},
                        token=login(site, buyer.email)["access"], HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code in (201, 202), response.content
    order = _submit("quickvend", response.json()["id"], capture)
    assert order.status == "pending", order.status
    with schema_context("quickvend"):
        Order.objects.filter(pk=order.pk).update(status="manual_review", needs_review=True)
    return reseller, buyer, order


def resolve(order, delivered: bool):
    finance = make_user("quickvend", email=f"qv-fin-{uuid.uuid4().hex[:6]}@qv.test", role="operator_finance")
    site = Client(HTTP_HOST="quickvend.localhost")
    return site.post(f"/api/staff/orders/{order.public_id}/resolve", {"delivered": delivered, "note": "checked"},
                     content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {login(site, finance.email)['access']}",
                     HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def test_reseller_staff_cannot_refund_an_order_the_operation_may_have_paid_for(airtime,  # noqa: F811
                                                                               django_capture_on_commit_callbacks):
    reseller, buyer, order = review_order_on_quickvend(airtime, django_capture_on_commit_callbacks)
    float_before = float_balances(reseller=reseller).parent_balance
    wallet_before = balance(buyer)
    refused = resolve(order, delivered=False)
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "not_on_reseller_brand"
    assert float_balances(reseller=reseller).parent_balance == float_before and balance(buyer) == wallet_before
    with schema_context("quickvend"):
        from tenant_apps.orders.models import Order

        assert Order.objects.get(pk=order.pk).status == "manual_review"


def test_reseller_staff_may_still_say_it_was_delivered(airtime, django_capture_on_commit_callbacks):  # noqa: F811
    reseller, _buyer, order = review_order_on_quickvend(airtime, django_capture_on_commit_callbacks)
    float_before = float_balances(reseller=reseller).parent_balance
    delivered = resolve(order, delivered=True)
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["status"] == "delivered"
    assert float_balances(reseller=reseller).parent_balance == float_before  # the hold was already drawn aside
