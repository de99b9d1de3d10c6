"""A staff member never decides their own order in manual review (403 ``own_submission``), on the API or the page.

Before, operator finance bought airtime, and when the order went to manual review they resolved it themselves as
"not delivered": the hold came back to their wallet while the provider had delivered the airtime (or marked it
delivered without looking). KYC, refunds, remittances and risk reviews already refuse one's own case; another
finance user still decides it.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from tests.accounts.helpers import login, make_user
from tests.orders.helpers import make_review_order

pytestmark = pytest.mark.django_db


def finance_with_review_order():
    finance = make_user("ng", email=f"fin-{uuid.uuid4().hex[:8]}@ng.example", role="operator_finance",
                        phone=f"+23480{uuid.uuid4().int % 10**8:08d}")
    with schema_context("ng"):
        from tenant_apps.ledger.services import fund_wallet, wallet_for

        fund_wallet(wallet=wallet_for(user=finance), amount=50_000, reference=f"test:{uuid.uuid4()}")
        order = make_review_order(finance)
    return finance, order


def order_status(order) -> tuple[str, str]:
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        row = Order.objects.select_related("hold").get(pk=order.pk)
        assert row.hold is not None
        return row.status, row.hold.status


def test_finance_cannot_resolve_their_own_order_on_the_api():
    finance, order = finance_with_review_order()
    client = Client(HTTP_HOST="ng.localhost")
    token = login(client, finance.email)["access"]
    for delivered in (False, True):
        response = client.post(f"/api/staff/orders/{order.public_id}/resolve",
                               {"delivered": delivered, "note": "my own"}, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "own_submission"
    assert order_status(order) == ("manual_review", "placed")
    colleague = make_user("ng", email=f"fin2-{uuid.uuid4().hex[:8]}@ng.example", role="operator_finance",
                          phone=f"+23480{uuid.uuid4().int % 10**8:08d}")
    other = client.post(f"/api/staff/orders/{order.public_id}/resolve", {"delivered": False, "note": "statement"},
                        content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {login(client, colleague.email)['access']}",
                        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert other.status_code == 200, other.content
    assert order_status(order)[1] == "released"


def test_finance_cannot_resolve_their_own_order_on_the_back_office_page():
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    finance, order = finance_with_review_order()
    client = Client(HTTP_HOST="ng.localhost")
    with schema_context("ng"):
        client.force_login(finance, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_SCHEMA_KEY] = "ng"
        session.save()
    answer = client.post(f"/back-office/orders/{order.public_id}/resolve",
                         {"decision": "not_delivered", "note": "my own"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 409, answer.content[:300]  # the page answers every refusal 409, with its text
    assert "You cannot decide your own order." in answer.content.decode()
    assert order_status(order) == ("manual_review", "placed")


def test_the_refusal_reads_in_french_and_portuguese():
    from tenant_apps.orders.services.staff import OwnOrderDecision

    with translation.override("fr"):
        assert str(OwnOrderDecision().message) == "Vous ne pouvez pas décider de votre propre commande."
    with translation.override("pt"):
        assert str(OwnOrderDecision().message) == "Não pode decidir sobre a sua própria encomenda."
