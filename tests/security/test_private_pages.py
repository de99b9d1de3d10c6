"""What a signed-in person is shown is never cached, and a page anyone may open shows nothing of its owner's."""

from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.agents.api_keys import sign
from tests.accounts.helpers import call, login, make_user
from tests.portal.test_ops_pages import quick_login

pytestmark = pytest.mark.django_db


def _phone() -> str:
    return f"+234803{uuid.uuid4().int % 10_000_000:07d}"


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response.get("Cache-Control", "")


def test_answers_to_a_signed_in_person_are_never_stored(tenants):
    """The wallet page (balances), the PIN page and the back office went out with no Cache-Control: a browser
    could keep them and show them again with Back after logout on a shared phone, a proxy could store them."""
    customer = make_user("ng", email=f"cache-{uuid.uuid4().hex[:8]}@x.test", phone=_phone())
    pages = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", customer)
    for path in ("/wallet", "/profile", "/security/pin", "/orders", "/transfers"):
        response = pages.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), (path, response.get("Cache-Control"))
    staff = make_user("ng", email=f"cache-staff-{uuid.uuid4().hex[:8]}@x.test", role="operator_admin")
    back_office = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", staff).get("/back-office/")
    assert back_office.status_code == 200 and _no_store(back_office)

    token = login(Client(HTTP_HOST="ng.localhost"), customer.email)["access"]
    api = call(Client(HTTP_HOST="ng.localhost"), "GET", "/api/wallet", token=token)
    assert api.status_code == 200 and _no_store(api), api.get("Cache-Control")

    # Anonymous pages stay cacheable as before; answers that choose their own caching keep it.
    assert "no-store" not in Client(HTTP_HOST="ng.localhost").get("/login").get("Cache-Control", "")
    manifest = pages.get("/manifest.webmanifest")
    if manifest.status_code == 200:
        assert "public" in manifest["Cache-Control"]


def test_signed_reseller_requests_are_not_stored_either(host_client):
    admin = make_user("quickvend", email=f"cache-qv-{uuid.uuid4().hex[:8]}@qv.test", role="operator_admin")
    client = host_client("quickvend.localhost")
    key = call(client, "POST", "/api/resellers/api-keys", {"name": "POS", "scopes": ["wallet"]},
               token=login(client, admin.email)["access"]).json()
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    response = Client(HTTP_HOST="quickvend.localhost").get(
        "/api/wallet", HTTP_X_API_KEY=key["key_id"], HTTP_X_TIMESTAMP=timestamp, HTTP_X_NONCE=nonce,
        HTTP_X_SIGNATURE=sign(secret=key["secret"], timestamp=timestamp, nonce=nonce, method="GET",
                              path="/api/wallet", body=b""))
    assert response.status_code == 200 and _no_store(response)


def test_the_gateway_return_page_shows_a_stranger_the_outcome_never_the_receipt_link(tenants):
    """``/wallet/fund/return/<id>`` works without a session (the gateway sends the browser back there) and shows
    the outcome only. It also rendered the owner's receipt actions: the live share link (whose token the owner
    may have turned off and made again to cut people out) and its view count, to anyone holding the return URL."""
    from tenant_apps.receipts.services import receipt_share
    from tenant_apps.wallet.models import FundingIntent

    owner = make_user("ng", email=f"fund-ret-{uuid.uuid4().hex[:8]}@x.test", phone=_phone())
    with schema_context("ng"):
        intent = FundingIntent.objects.create(user=owner, gateway="paystack", provider_id=1, status="failed",
                                              reference=f"fund_{uuid.uuid4().hex[:24]}", amount_minor=250_000,
                                              currency="NGN")
        link, _made = receipt_share(owner=owner, kind="funding", public_id=intent.public_id)
    path = f"/wallet/fund/return/{intent.public_id}"
    stranger = make_user("ng", email=f"fund-str-{uuid.uuid4().hex[:8]}@x.test", phone=_phone())
    for client in (Client(HTTP_HOST="ng.localhost"), quick_login(Client(HTTP_HOST="ng.localhost"), "ng", stranger)):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200 and "₦2,500.00" in html  # the outcome is still there
        assert link.token not in html and 'data-testid="receipt-actions"' not in html
    owner_page = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", owner).get(path)
    assert owner_page.status_code == 302  # the owner goes on to the full funding page, with the link
    assert link.token in quick_login(Client(HTTP_HOST="ng.localhost"), "ng", owner).get(
        owner_page["Location"]).content.decode()
