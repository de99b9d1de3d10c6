"""Customer money pages through Django's test client (rolled back; no worker: orders stay processing).

Providers are the real VTPass/MTN simulators over HTTP (registered once per module, committed,
retired at the end); the wallet gateway is the Paystack simulator.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture(scope="module")
def catalog(django_db_setup, django_db_blocker):
    """VTPass + MTN simulators and their synced catalog (committed for the module, then retired)."""
    from tests.fixtures.purchase import build_stack

    sims, stack, _env = build_stack(django_db_blocker)
    try:
        yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator):
            sim.stop()


def mtn_number() -> str:
    return f"0803{uuid.uuid4().int % 10_000_000:07d}"


def customer(balance_minor: int = 0, *, schema: str = "ng", phone: str | None = None):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    phone = phone or "+234" + mtn_number()[1:]
    user = make_user(schema, email=f"shop-{uuid.uuid4().hex[:10]}@example.com", phone=phone, password=None)
    if balance_minor:
        with schema_context(schema):
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"shop-{uuid.uuid4().hex}")
    return user


def logged_in(host_client, user, host: str = "ng.localhost"):
    """A session as the login page makes it (bound to the tenant's schema), without hashing a password."""
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    client = host_client(host)
    schema = host.split(".")[0]
    with schema_context(schema):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_SCHEMA_KEY] = schema
        session.save()
    return client


def alerts(response) -> list[str]:
    return re.findall(r'role="alert">(.*?)</p>', response.content.decode(), re.S)


def form_key(response) -> str:
    found = KEY.search(response.content.decode())
    assert found
    return found.group(1)


def orders_of(user, schema: str = "ng"):
    from tenant_apps.orders.models import Order

    with schema_context(schema):
        return list(Order.objects.filter(user=user).order_by("id"))


def available(user, schema: str = "ng") -> int:
    from tenant_apps.ledger.selectors import wallet_balances

    with schema_context(schema):
        return sum(b.available for b in wallet_balances(user=user))


def test_network_is_detected_as_the_number_is_typed(host_client, tenants, catalog):
    client = logged_in(host_client, customer())
    partial = client.get("/buy/data/products", {"recipient_phone": "0803123"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "Keep typing" in partial.content.decode()
    html = client.get("/buy/data/products", {"recipient_phone": "08031234567"}, HTTP_HX_REQUEST="true") \
        .content.decode()
    assert "<html" not in html and "Network: <strong>MTN Nigeria</strong>" in html
    assert f'value="{catalog.products["vt_data"].pk}"' in html  # an MTN bundle at the tenant's price
    glo = client.get("/buy/airtime/products", {"recipient_phone": "08051234567"}).content.decode()
    assert "Glo" in glo and f'value="{catalog.products["vt_glo_airtime"].pk}"' in glo
    assert f'value="{catalog.products["vt_airtime"].pk}"' not in glo


def test_buy_airtime_double_submit_buys_once(host_client, tenants, catalog):
    user = customer(500_000)
    client = logged_in(host_client, user)
    page = client.get("/buy/airtime")
    assert page.status_code == 200 and user.phone in page.content.decode()  # "for me" by default
    body = {"idempotency_key": form_key(page), "recipient_phone": mtn_number(),
            "product_id": catalog.products["vt_airtime"].pk, "amount": "100"}
    first = client.post("/buy/airtime", body)
    second = client.post("/buy/airtime", body)  # the same rendered form, submitted twice
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] and first["Location"].startswith("/orders/")
    [order] = orders_of(user)
    assert order.price_minor == 9_894 and available(user) == 500_000 - 9_894
    receipt = client.get(first["Location"]).content.decode()
    assert "₦98.94" in receipt and "Processing" in receipt
    assert 'hx-trigger="every 2s"' in receipt  # pending: the status block polls
    again = {**body, "idempotency_key": form_key(client.get("/buy/airtime"))}  # a new form, the same purchase
    duplicate = client.post("/buy/airtime", again)
    assert duplicate.status_code == 400 and 'name="confirm_duplicate"' in duplicate.content.decode()
    assert client.post("/buy/airtime", {**again, "confirm_duplicate": "on"}).status_code == 302
    assert len(orders_of(user)) == 2


def test_purchase_errors_show_on_the_form_and_buy_nothing(host_client, tenants, catalog):
    user = customer(5_000)
    client = logged_in(host_client, user)
    key = form_key(client.get("/buy/airtime"))
    poor = client.post("/buy/airtime", {"idempotency_key": key, "recipient_phone": mtn_number(),
                                        "product_id": catalog.products["vt_airtime"].pk, "amount": "100"})
    assert poor.status_code == 400 and "does not hold enough funds" in poor.content.decode(), alerts(poor)
    mismatch = client.post("/buy/airtime", {"idempotency_key": key, "recipient_phone": "08051234567",
                                            "product_id": catalog.products["vt_airtime"].pk, "amount": "10"})
    assert mismatch.status_code == 400 and "on another network" in mismatch.content.decode()
    assert orders_of(user) == [] and available(user) == 5_000
    french = logged_in(host_client, user)
    french.post("/profile", {"preferred_language": "fr"})
    html = french.post("/buy/airtime", {"idempotency_key": key, "recipient_phone": mtn_number(),
                                        "product_id": catalog.products["vt_airtime"].pk, "amount": "abc"})
    assert html.status_code == 400 and "Saisissez un montant" in html.content.decode()


def test_gift_to_another_number(host_client, tenants, catalog):
    user = customer(500_000)
    client = logged_in(host_client, user)
    page = client.get("/buy/data?gift=1")
    html = page.content.decode()
    assert "Their mobile number" in html and f'value="{user.phone}"' not in html
    friend = mtn_number()
    response = client.post("/buy/data", {"idempotency_key": form_key(page), "gift": "1", "recipient_phone": friend,
                                         "product_id": catalog.products["vt_data"].pk})
    assert response.status_code == 302
    [order] = orders_of(user)
    assert order.recipient_phone == "+234" + friend[1:] and order.product_type == "data"


def test_cross_network_gift_products_are_offered_for_any_number(host_client, tenants, catalog):
    from shared_apps.catalog.models import Product

    gift = Product.objects.create(provider=catalog.vtpass_provider, provider_product_code=f"gift-{uuid.uuid4().hex}",
                                  product_type="airtime", name="Gift airtime (any network)", country="NG",
                                  currency="NGN", operator="gift", min_amount_minor=5_000,
                                  max_amount_minor=5_000_000, cost_rate_bp=9_700)
    user = customer(500_000)
    client = logged_in(host_client, user)
    glo = client.get("/buy/airtime/products", {"recipient_phone": "08051234567"}).content.decode()
    assert f'value="{gift.pk}"' in glo and f'value="{catalog.products["vt_glo_airtime"].pk}"' in glo
    assert "Any network" in glo
    page = client.get("/buy/airtime?gift=1")
    response = client.post("/buy/airtime", {"idempotency_key": form_key(page), "gift": "1", "amount": "200",
                                            "recipient_phone": "08051234567", "product_id": gift.pk})
    assert response.status_code == 302, alerts(response)
    [order] = orders_of(user)
    assert order.operator == "gift" and order.recipient_phone == "+2348051234567"


def test_electricity_verifies_the_meter_before_paying(host_client, tenants, catalog):
    user = customer(1_000_000)
    client = logged_in(host_client, user)
    page = client.get("/pay/electricity")
    power = catalog.products["vt_power"].pk
    assert f'value="{power}"' in page.content.decode()
    body = {"idempotency_key": form_key(page), "product_id": power, "customer_number": "1111111111111",
            "amount": "1000", "recipient_phone": user.phone}
    checked = client.post("/pay/electricity", {**body, "action": "verify"})
    html = checked.content.decode()
    assert checked.status_code == 200 and "TESTMETER1" in html and "Pay now" in html
    assert orders_of(user) == []  # checking moves no money
    wrong = client.post("/pay/electricity", {**body, "customer_number": "1111111110000", "action": "verify"})
    assert wrong.status_code == 400 and "Not found by the biller." in wrong.content.decode(), alerts(wrong)
    in_place = client.post("/pay/electricity", {**body, "action": "verify"}, HTTP_HX_REQUEST="true")
    assert "TESTMETER1" in in_place.content.decode()  # htmx swaps the form in place (hx-select)
    paid = client.post("/pay/electricity", {**body, "action": "pay"}, HTTP_HX_REQUEST="true")
    assert paid.status_code == 200 and paid["HX-Redirect"].startswith("/orders/")
    replay = client.post("/pay/electricity", {**body, "action": "pay"})  # a second click: the same receipt
    assert replay.status_code == 302 and replay["Location"] == paid["HX-Redirect"]
    paid = replay
    [order] = orders_of(user)
    assert order.customer_name == "TESTMETER1" and order.product_type == "electricity"
    with schema_context("ng"):  # as the worker would record it: the receipt shows token and units
        type(order).objects.filter(pk=order.pk).update(status="settled", token="1234-5678-9012", units="32.5")
    receipt = client.get(paid["Location"]).content.decode()
    assert "1234-5678-9012" in receipt and "32.5" in receipt and "Delivered" in receipt
    assert 'hx-trigger="every 2s"' not in receipt  # final: no polling


def test_cable_tv_shows_the_subscriber_name(host_client, tenants, catalog):
    client = logged_in(host_client, customer(1_000_000))
    page = client.get("/pay/cable")
    html = page.content.decode()
    dstv = re.search(r'<option value="(\d+)">DStv Padi', html)
    assert dstv, html
    checked = client.post("/pay/cable", {"idempotency_key": form_key(page), "product_id": dstv.group(1),
                                         "customer_number": "1212121212", "recipient_phone": "08031234567",
                                         "action": "verify"})
    assert "TEST SUBSCRIBER" in checked.content.decode(), alerts(checked)


def test_history_filters_and_receipts_are_the_buyers_own(host_client, tenants, catalog):
    from tenant_apps.orders.services import purchase_create

    user = customer(1_000_000)
    with schema_context("ng"):
        airtime = purchase_create(user=user, product_id=catalog.products["vt_airtime"].pk,
                                  recipient_phone=mtn_number(), amount_minor=10_000)
        data = purchase_create(user=user, product_id=catalog.products["vt_data"].pk, recipient_phone=mtn_number())
    client = logged_in(host_client, user)
    html = client.get("/orders").content.decode()
    assert str(airtime.public_id) in html and str(data.public_id) in html
    only_data = client.get("/orders", {"product_type": "data"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in only_data and str(data.public_id) in only_data and str(airtime.public_id) not in only_data
    assert "No purchases yet." in client.get("/orders", {"status": "refunded"}).content.decode()
    status = client.get(f"/orders/{airtime.public_id}/status", HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and 'data-final="false"' in status.content.decode()
    # Another customer of the same tenant, and the same id on another tenant's domain: nothing.
    stranger = logged_in(host_client, customer())
    assert stranger.get(f"/orders/{airtime.public_id}").status_code == 404
    assert stranger.get(f"/orders/{airtime.public_id}/status").status_code == 404
    gh_user = make_user("gh", email=f"gh-{uuid.uuid4().hex[:8]}@example.com", password=None,
                        phone=f"+23324{uuid.uuid4().int % 10**7:07d}")
    gh = logged_in(host_client, gh_user, host="gh.localhost")
    assert gh.get(f"/orders/{airtime.public_id}").status_code == 404
    ng_session_on_gh = host_client("gh.localhost")
    ng_session_on_gh.cookies = client.cookies  # ng's session cookie means nothing on gh
    response = ng_session_on_gh.get(f"/orders/{airtime.public_id}")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_p2p_transfer_double_submit_sends_once(host_client, tenants, catalog):
    sender, receiver = customer(100_000), customer()
    client = logged_in(host_client, sender)
    page = client.get("/transfers")
    body = {"idempotency_key": form_key(page), "recipient": receiver.phone, "amount": "250"}
    first, second = client.post("/transfers", body), client.post("/transfers", body)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"], alerts(first)
    assert available(sender) == 75_000 and available(receiver) == 25_000
    html = client.get(first["Location"]).content.decode()
    assert "Sent ₦250.00." in html
    reused = client.post("/transfers", {**body, "amount": "1"})  # the used form, other details: refused
    assert reused.status_code == 400 and "already sent with other details" in reused.content.decode()
    unknown = client.post("/transfers", {"idempotency_key": form_key(client.get("/transfers")),
                                         "recipient": "08039999999", "amount": "1"})
    assert unknown.status_code == 400 and "Unknown recipient." in unknown.content.decode()
    assert available(sender) == 75_000


def test_subscriptions_create_pause_resume_cancel(host_client, tenants, catalog):
    from tenant_apps.subscriptions.models import Subscription

    user = customer()
    client = logged_in(host_client, user)
    page = client.get("/subscriptions")
    body = {"idempotency_key": form_key(page), "product_id": catalog.products["vt_airtime"].pk,
            "recipient_phone": user.phone, "amount": "100", "frequency": "weekly"}
    assert client.post("/subscriptions", body).status_code == 302
    assert client.post("/subscriptions", body).status_code == 302  # double submit: still one
    with schema_context("ng"):
        [sub] = Subscription.objects.filter(user=user)
    assert sub.amount_minor == 10_000 and sub.frequency == "weekly"
    paused = client.post(f"/subscriptions/{sub.public_id}/pause", HTTP_HX_REQUEST="true")
    assert paused.status_code == 200 and "Resume" in paused.content.decode()
    again = client.post(f"/subscriptions/{sub.public_id}/pause", HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "Only an active subscription can be paused." in again.content.decode()
    assert client.post(f"/subscriptions/{sub.public_id}/resume").status_code == 302
    client.post(f"/subscriptions/{sub.public_id}/cancel")
    with schema_context("ng"):
        sub.refresh_from_db()
    assert sub.status == "cancelled"
    stranger = logged_in(host_client, customer())
    assert stranger.post(f"/subscriptions/{sub.public_id}/resume").status_code == 404


def test_wallet_funding_through_the_gateway_checkout(host_client, tenants):
    from provider_plugins.paystack.simulator import PaystackSimulator
    from tenant_apps.wallet.models import FundingIntent
    from tests.wallet.helpers import register_gateway

    with PaystackSimulator() as sim:
        register_gateway(country="NG", key="paystack", url=sim.url)
        user = customer()
        client = logged_in(host_client, user)
        page = client.get("/wallet/fund")
        assert 'value="paystack"' in page.content.decode()
        body = {"idempotency_key": form_key(page), "amount": "5000", "gateway": "paystack"}
        first, second = client.post("/wallet/fund", body), client.post("/wallet/fund", body)
        assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
        assert first["Location"].startswith(sim.url)  # the gateway's own checkout page
        with schema_context("ng"):
            [intent] = FundingIntent.objects.filter(user=user)
        pending = client.get(f"/wallet/fund/{intent.public_id}").content.decode()
        assert 'data-status="pending"' in pending and 'hx-trigger="every 2s"' in pending
        sim.complete(intent.reference, approve=True)
        done = client.get(f"/wallet/fund/{intent.public_id}", HTTP_HX_REQUEST="true").content.decode()
        assert 'data-status="succeeded"' in done and "hx-trigger" not in done
        assert available(user) == 500_000
        assert client.get(f"/wallet/fund/{intent.public_id}").status_code == 200  # credited once
        assert available(user) == 500_000
        assert logged_in(host_client, customer()).get(f"/wallet/fund/{intent.public_id}").status_code == 404
