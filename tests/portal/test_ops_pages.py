"""Agent portal and operator back-office pages through Django's test client (rolled back, no provider calls).

The submit task is queued on commit, which never comes in these tests: orders stay
``held``. Selling through the real provider and worker is in test_ops_browser.py.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user

from .test_pages import page_login

pytestmark = pytest.mark.django_db


def quick_login(client: Client, schema: str, user) -> Client:
    """A page session without the password round-trip (the login page itself is tested in test_pages.py)."""
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    with schema_context(schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_SCHEMA_KEY] = schema
        session.save()
    return client


def _phone(prefix: str = "0803") -> str:
    return f"{prefix}{uuid.uuid4().int % 10_000_000:07d}"


@pytest.fixture
def mtn_airtime(tenants):
    """An MTN airtime product in Nigeria (public schema, rolled back) on an unreachable provider."""
    from shared_apps.catalog.models import Product
    from shared_apps.providers.services import provider_register

    provider = provider_register(name=f"Pages VT {uuid.uuid4().hex[:6]}", country="NG", plugin_key="vtpass",
                                 base_url="http://127.0.0.1:9", capabilities=["airtime", "data"],
                                 credentials={"api_key": "k", "secret_key": "SK_pages_test_secret_0123456789"},
                                 routing_priority=0)
    return Product.objects.create(provider=provider, provider_product_code="mtn", product_type="airtime",
                                  name_en="MTN Airtime", operator="mtn", country="NG", currency="NGN",
                                  min_amount_minor=5_000, max_amount_minor=5_000_000, cost_rate_bp=9_700)


@pytest.fixture
def qv_agent(tenants):
    """A funded quickvend agent (and quickvend's float at ng) with a logged-in page client."""
    from tenant_apps.agents.floats import fund_float
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    email = f"agent-{uuid.uuid4().hex[:8]}@qv.test"
    user = make_user("quickvend", email=email, role="agent", phone="+234803" + f"{uuid.uuid4().int % 10**7:07d}")
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
        fund_wallet(wallet=wallet_for(user=user), amount=500_000, reference=f"cash-{uuid.uuid4()}")
    fund_float(reseller=tenants["quickvend"], amount_minor=1_000_000, reference=f"float-{uuid.uuid4()}")
    return quick_login(Client(HTTP_HOST="quickvend.localhost"), "quickvend", user), user, agent


def _sell(client, product, phone: str, amount: str = "100.00"):
    confirm = client.post("/agent/sell", {"phone": phone, "product": product.pk, "amount": amount})
    assert confirm.status_code == 200, confirm.content.decode()[:2000]
    found = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', confirm.content.decode())
    assert found
    key = found.group(1)
    return confirm, {"phone": phone, "product": product.pk, "amount": amount, "idempotency_key": key,
                     "step": "confirm"}


def test_agent_sells_in_three_steps_once_per_confirm_form(qv_agent, mtn_airtime):
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.orders.models import Order

    client, user, _agent = qv_agent
    assert client.get("/").headers["Location"] == "/agent/sell"
    phone = _phone()
    listing = client.get("/agent/sell", {"phone": phone}, HTTP_HX_REQUEST="true")
    html = listing.content.decode()
    assert listing.status_code == 200 and "<html" not in html
    assert "MTN Airtime" in html and "Network: MTN" in html
    glo = client.get("/agent/sell", {"phone": _phone("0805")}, HTTP_HX_REQUEST="true").content.decode()
    assert "MTN Airtime" not in glo  # a Glo number is not offered MTN airtime
    confirm, data = _sell(client, mtn_airtime, phone)
    assert "QuickVend" in confirm.content.decode() and "Confirm and sell" in confirm.content.decode()
    first = client.post("/agent/sell", data)
    again = client.post("/agent/sell", data)  # double click / replay: same key, same sale
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    with schema_context("quickvend"):
        orders = list(Order.objects.filter(user=user))
        assert len(orders) == 1 and orders[0].recipient_phone.endswith(phone[1:])
        assert orders[0].status == "held"
        wallet = wallet_for(user=user)
        wallet.refresh_from_db()
        assert wallet.balance == 500_000 - orders[0].price_minor
    receipt = client.get(first["Location"])
    assert receipt.status_code == 200 and "Processing" in receipt.content.decode()
    assert 'hx-trigger="every 2s"' in receipt.content.decode()  # updates in place until final
    wallet_page = client.get("/agent/wallet").content.decode()
    assert "MTN Airtime" in wallet_page


def test_agent_sale_errors_show_on_the_form(qv_agent, mtn_airtime):
    client, _user, _agent = qv_agent
    bad = client.post("/agent/sell", {"phone": "12", "product": mtn_airtime.pk, "amount": "100"})
    assert bad.status_code == 400 and "Enter a valid phone number." in bad.content.decode()
    no_amount = client.post("/agent/sell", {"phone": _phone(), "product": mtn_airtime.pk, "amount": ""})
    assert no_amount.status_code == 400 and "Enter an amount." in no_amount.content.decode()
    too_much = client.post("/agent/sell", {"phone": _phone(), "product": mtn_airtime.pk, "amount": "9000000.00"})
    assert too_much.status_code == 400 and 'role="alert"' in too_much.content.decode()


def test_agent_invites_and_funds_a_sub_agent_and_sees_commissions(qv_agent):
    from tenant_apps.agents.models import Agent, Invitation
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import wallet_for

    client, user, agent = qv_agent
    response = client.post("/agent/team", {"email": f"sub-{uuid.uuid4().hex[:6]}@qv.test", "phone": ""})
    assert response.status_code == 302
    child_user = make_user("quickvend", email=f"child-{uuid.uuid4().hex[:6]}@qv.test", role="agent")
    with schema_context("quickvend"):
        assert Invitation.objects.filter(invited_by=user, parent_agent=agent).count() == 1
        child = add_agent(user=child_user, parent=agent)
    team = client.get("/agent/team").content.decode()
    assert child_user.email in team
    key = uuid.uuid4().hex
    for _ in range(2):  # same form twice: funded once
        assert client.post(f"/agent/team/{child.public_id}/fund", {"amount": "250.00",
                                                                   "idempotency_key": key}).status_code == 302
    with schema_context("quickvend"):
        assert wallet_for(user=child_user).balance == 25_000
        assert wallet_for(user=user).balance == 500_000 - 25_000
        stranger = add_agent(user=make_user("quickvend", email=f"x-{uuid.uuid4().hex[:6]}@qv.test", role="agent"),
                             parent=None)
    assert client.post(f"/agent/team/{stranger.public_id}/fund", {"amount": "1", "idempotency_key": "k"}
                       ).status_code == 404  # not in my subtree
    assert Agent.objects is not None
    assert client.get("/agent/commissions").status_code == 200


def test_agent_pages_refuse_customers_staff_of_other_tenants_and_anonymous(tenants, qv_agent):
    customer = make_user("quickvend", email=f"cust-{uuid.uuid4().hex[:6]}@qv.test", phone=_phone())
    client = quick_login(Client(HTTP_HOST="quickvend.localhost"), "quickvend", customer)
    for path in ("/agent/sell", "/agent/wallet", "/agent/team", "/agent/commissions", "/back-office/orders",
                 "/back-office/pricing", "/back-office/reconciliation", "/back-office/applications"):
        assert client.get(path).status_code == 403, path
    anonymous = Client(HTTP_HOST="quickvend.localhost").get("/agent/sell")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login")
    ng = quick_login(Client(HTTP_HOST="ng.localhost"), "ng",
                     make_user("ng", email="ng-admin-pages@example.com", role="operator_admin"))
    assert ng.get("/back-office/orders").status_code == 200
    ng.defaults["HTTP_HOST"] = "quickvend.localhost"  # ng's session cookie sent to quickvend
    assert ng.get("/back-office/orders")["Location"].startswith("/login")
    assert page_login(ng, "ng-admin-pages@example.com").status_code == 400  # no such user on quickvend


@pytest.fixture
def ng_staff(tenants):
    tag = uuid.uuid4().hex[:6]
    clients = {}
    for role in ("operator_admin", "operator_support", "operator_finance"):
        user = make_user("ng", email=f"{role}-{tag}@ng.test", role=role)
        clients[role] = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    return clients


def _held_order(mtn_airtime, phone: str):
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.orders.services import purchase_create

    buyer = make_user("ng", email=f"buyer-{uuid.uuid4().hex[:6]}@ng.test", phone=_phone())
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=buyer), amount=100_000, reference=f"b-{uuid.uuid4()}")
        return purchase_create(user=buyer, product_id=mtn_airtime.pk, recipient_phone=phone, amount_minor=20_000)


def test_back_office_orders_search_detail_and_dashboard_charts(ng_staff, mtn_airtime):
    phone = _phone()
    order = _held_order(mtn_airtime, phone)
    support = ng_staff["operator_support"]
    html = support.get("/back-office/orders", {"q": phone}).content.decode()
    assert order.public_id.hex[:10] in html
    by_ref = support.get("/back-office/orders", {"q": order.public_id.hex[:12]}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="order-rows").content.decode()
    assert "<html" not in by_ref and order.public_id.hex[:10] in by_ref
    assert order.public_id.hex[:10] not in support.get("/back-office/orders", {"q": "nobody@nowhere.test"}
                                                       ).content.decode()
    detail = support.get(f"/back-office/orders/{order.public_id}").content.decode()
    assert "Money held" in detail and "Ask the provider again" not in detail  # not stuck: nothing to review
    assert support.post(f"/back-office/orders/{order.public_id}/resolve", {"decision": "delivered"}
                        ).status_code == 403  # resolving moves money: finance/admin, as in the API
    answer = ng_staff["operator_finance"].post(f"/back-office/orders/{order.public_id}/resolve",
                                               {"decision": "delivered"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 409 and "Only orders waiting for manual review" in answer.content.decode()
    finance_dash = ng_staff["operator_finance"].get("/back-office/").content.decode()
    assert "<svg" in finance_dash and "Revenue per day" in finance_dash and "Success rate by provider" in finance_dash
    support_dash = support.get("/back-office/").content.decode()
    assert "<svg" in support_dash and "Revenue per day" not in support_dash  # money for finance/admin only
    assert ng_staff["operator_finance"].post(f"/back-office/orders/{order.public_id}/requery").status_code == 403


def test_manual_review_order_resolved_not_delivered_refunds(ng_staff, mtn_airtime):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.orders.models import Order, OrderAttempt, OrderStatus

    order = _held_order(mtn_airtime, _phone())
    with schema_context("ng"):
        from django.utils import timezone

        now = timezone.now()
        OrderAttempt.objects.create(order=order, number=1, provider_id=mtn_airtime.provider_id, plugin_key="vtpass",
                                    provider_product_id=mtn_airtime.pk, request_id=f"pages-{uuid.uuid4().hex}",
                                    quote=order.quote, status="pending", created_at=now)
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.MANUAL_REVIEW, attempt_count=1, needs_review=True)
        before = wallet_for(user=order.user).balance
    admin = ng_staff["operator_admin"]
    queue = admin.get("/back-office/orders", {"review": "on"}).content.decode()
    assert order.public_id.hex[:10] in queue
    response = admin.post(f"/back-office/orders/{order.public_id}/resolve",
                          {"decision": "not_delivered", "note": "not on statement"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Refunded" in response.content.decode()
    with schema_context("ng"):
        order.refresh_from_db()
        assert order.status == OrderStatus.RELEASED
        assert wallet_for(user=order.user).balance == before + order.price_minor
        assert AuditEvent.objects.filter(action="order_staff_resolved", subject_id=str(order.public_id)).exists()


def test_pricing_rules_page(ng_staff):
    from tenant_apps.pricing.models import PriceRule

    admin = ng_staff["operator_admin"]
    response = admin.post("/back-office/pricing", {"product_type": "airtime", "mode": "percent", "value": "2.5",
                                                   "priority": "1"})
    assert response.status_code == 302
    with schema_context("ng"):
        rule = PriceRule.objects.get(product_type="airtime", is_active=True, value=250)
    listing = admin.get("/back-office/pricing").content.decode()
    assert "2.5 %" in listing and '<tr data-testid="rule-row"><td>Airtime' in listing  # the type in words
    bad = admin.post("/back-office/pricing", {"mode": "fixed", "value": "1.234"})
    assert bad.status_code == 400
    assert admin.post(f"/back-office/pricing/{rule.pk}/delete").status_code == 302
    with schema_context("ng"):
        assert not PriceRule.objects.get(pk=rule.pk).is_active
    assert ng_staff["operator_support"].get("/back-office/pricing").status_code == 403


def test_reseller_applications_and_reconciliation(ng_staff):
    from tenant_apps.agents.models import ResellerApplication

    with schema_context("ng"):
        application = ResellerApplication.objects.create(
            company_name="PageVend Ltd", registration_number="RC-1", desired_subdomain=f"pv{uuid.uuid4().hex[:6]}",
            contact_name="Ada", contact_email="ada@pagevend.test", contact_phone="+2348031110000")
    admin = ng_staff["operator_admin"]
    assert "PageVend Ltd" in admin.get("/back-office/applications").content.decode()
    no_note = admin.post(f"/back-office/applications/{application.public_id}/decide", {"decision": "reject"},
                         follow=True)
    assert "Say why." in no_note.content.decode()
    admin.post(f"/back-office/applications/{application.public_id}/decide",
               {"decision": "reject", "note": "Incomplete documents"})
    with schema_context("ng"):
        application.refresh_from_db()
        assert application.status == "rejected" and application.decided_by is not None
    assert ng_staff["operator_support"].get("/back-office/applications").status_code == 403
    report = ng_staff["operator_finance"].get("/back-office/reconciliation")
    assert report.status_code == 200 and "QuickVend" in report.content.decode()
    assert ng_staff["operator_support"].get("/back-office/reconciliation").status_code == 403


def test_console_catalog_and_platform_analytics(host_client, tenants, mtn_airtime):
    from shared_apps.catalog.models import Product
    from tenant_apps.accounts.models import User
    from tenant_apps.audit.models import AuditEvent

    def console_client(host_client, role):
        user = User.objects.create_user(email=f"{role}-{uuid.uuid4().hex[:6]}@nexustop.example", role=role,
                                        is_staff=True)
        return quick_login(host_client("localhost"), "public", user)

    _held_order(mtn_airtime, _phone())  # one order in ng
    analyst = console_client(host_client, "analyst")
    html = analyst.get("/console/analytics").content.decode()
    assert "<svg" in html and 'data-testid="tenant-sales-ng"' in html and "NexusTop Sénégal" in html
    ng_row = re.search(r'data-testid="tenant-sales-ng">.*?data-testid="orders">(\d+)<', html, re.S)
    assert ng_row and int(ng_row.group(1)) >= 1
    assert "MTN Airtime" in analyst.get("/console/catalog", {"q": "MTN Airtime"}).content.decode()
    assert analyst.post(f"/console/catalog/{mtn_airtime.pk}", {"name_fr": "x"}).status_code == 403
    admin = console_client(host_client, "super_admin")
    response = admin.post(f"/console/catalog/{mtn_airtime.pk}", {"name_fr": "Crédit MTN", "name_pt": "Recarga MTN"})
    assert response.status_code == 302
    product = Product.objects.get(pk=mtn_airtime.pk)
    assert (product.name_fr, product.is_active, product.translations_locked) == ("Crédit MTN", False, True)
    assert AuditEvent.objects.filter(action="product_updated", subject_id=str(product.pk)).exists()
    tenant_staff = Client(HTTP_HOST="ng.localhost")
    assert tenant_staff.get("/console/analytics").status_code == 404  # no console on tenant domains


def test_back_office_pages_in_french_on_sn(tenants):
    admin = quick_login(Client(HTTP_HOST="sn.localhost"), "sn",
                        make_user("sn", email=f"sn-admin-{uuid.uuid4().hex[:6]}@sn.test", role="operator_admin"))
    orders = admin.get("/back-office/orders").content.decode()
    assert '<html lang="fr">' in orders and "Commandes" in orders and "Référence, téléphone ou e-mail" in orders
    dashboard = admin.get("/back-office/").content.decode()
    assert "Taux de réussite par fournisseur" in dashboard and "Marge par jour" in dashboard
    assert "Règles de prix" in admin.get("/back-office/pricing").content.decode()
