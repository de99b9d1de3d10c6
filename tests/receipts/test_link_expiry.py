"""A shared receipt link expires: ``RECEIPT_LINK_TTL_DAYS`` after it is made (fixed then), it refuses like a
revoked link (404, the page says why, in the visitor's language), its owner sees the expiry and makes a new one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.orders.helpers import api, new_buyer
from tests.portal.test_ops_pages import quick_login

pytestmark = pytest.mark.django_db


def _funding(user):
    from tenant_apps.wallet.models import FundingIntent

    with schema_context("ng"):
        return FundingIntent.objects.create(user=user, gateway="paystack", provider_id=1, status="failed",
                                            reference=f"fund_{uuid.uuid4().hex[:24]}", amount_minor=250_000,
                                            currency="NGN")


def _age(token: str, days: int) -> None:
    """Move the link's making (and so its expiry) ``days`` into the past."""
    from tenant_apps.receipts.models import ReceiptLink

    with schema_context("ng"):
        link = ReceiptLink.objects.get(token=token)
        assert link.expires_at is not None
        ReceiptLink.objects.filter(pk=link.pk).update(created_at=link.created_at - timedelta(days=days),
                                                      expires_at=link.expires_at - timedelta(days=days))


def test_a_link_expires_after_the_setting_and_refuses_like_a_revoked_one(tenants, settings):
    settings.RECEIPT_LINK_TTL_DAYS = 7
    user, token = new_buyer(0)
    intent = _funding(user)
    made = api("POST", f"/api/receipts/funding/{intent.public_id}/share", token)
    assert made.status_code == 201, made.content
    body = made.json()
    link_token = body["url"].rsplit("/", 1)[-1]
    from django.utils.dateparse import parse_datetime

    expires = parse_datetime(body["expires_at"])
    assert expires is not None and abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    visitor = Client(HTTP_HOST="ng.localhost")
    assert visitor.get(f"/r/{link_token}").status_code == 200
    # A later change of the setting does not move an existing link's expiry (it is fixed at creation).
    settings.RECEIPT_LINK_TTL_DAYS = 365
    _age(link_token, 7)
    page = visitor.get(f"/r/{link_token}")
    assert page.status_code == 404 and "This receipt link has expired." in page.content.decode()
    assert "no-store" in page["Cache-Control"] and "₦2,500.00" not in page.content.decode()
    assert visitor.get(f"/r/{link_token}/pdf").status_code == 404
    french = Client(HTTP_HOST="ng.localhost", HTTP_ACCEPT_LANGUAGE="fr").get(f"/r/{link_token}").content.decode()
    assert french.count("Ce lien vers un reçu a expiré.") == 1
    # Whom to ask: nobody was named before "Ask them" on an expired link's page.
    assert "Demandez un nouveau lien à la personne qui l’a partagé." in french
    assert "Esta ligação para um recibo expirou." in Client(HTTP_HOST="ng.localhost", HTTP_ACCEPT_LANGUAGE="pt").get(
        f"/r/{link_token}").content.decode()
    # The owner's API says there is no live link; sharing again makes a new one (201) that opens.
    assert api("GET", f"/api/receipts/funding/{intent.public_id}/share", token).status_code == 404
    renewed = api("POST", f"/api/receipts/funding/{intent.public_id}/share", token)
    assert renewed.status_code == 201 and renewed.json()["url"] != body["url"]
    renewed_expiry = parse_datetime(renewed.json()["expires_at"])
    assert renewed_expiry is not None and renewed_expiry > timezone.now() + timedelta(days=364)
    assert visitor.get(renewed.json()["url"].replace("http://ng.localhost", "")).status_code == 200
    # The old token stays refused, still as expired.
    assert "This receipt link has expired." in visitor.get(f"/r/{link_token}").content.decode()


def test_a_revoked_link_says_so_with_the_same_status(tenants):
    user, token = new_buyer(0)
    intent = _funding(user)
    link_token = api("POST", f"/api/receipts/funding/{intent.public_id}/share", token).json()["url"].rsplit("/", 1)[-1]
    off = Client(HTTP_HOST="ng.localhost").delete(f"/api/receipts/funding/{intent.public_id}/share",
                                                  HTTP_AUTHORIZATION=f"Bearer {token}")
    assert off.status_code == 204
    page = Client(HTTP_HOST="ng.localhost").get(f"/r/{link_token}")
    assert page.status_code == 404 and "turned off by the person who shared it" in page.content.decode()
    # An unknown token is a plain 404 that claims nothing about a link.
    unknown = Client(HTTP_HOST="ng.localhost").get(f"/r/{uuid.uuid4().hex}{uuid.uuid4().hex}")
    assert unknown.status_code == 404 and "shared-receipt-refused" not in unknown.content.decode()


def test_the_owner_sees_the_expiry_and_after_it_a_way_to_make_a_new_link(tenants):
    user, _token = new_buyer(0)
    intent = _funding(user)
    owner = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    assert owner.post(f"/receipts/funding/{intent.public_id}/share").status_code == 302
    page = owner.get(f"/wallet/fund/{intent.public_id}").content.decode()
    assert 'data-testid="share-expires"' in page and "The link stops opening on" in page
    from tenant_apps.receipts.models import ReceiptLink

    with schema_context("ng"):
        old = ReceiptLink.objects.get(object_id=intent.public_id)
    _age(old.token, 31)
    page = owner.get(f"/wallet/fund/{intent.public_id}").content.decode()
    assert old.token not in page and 'data-testid="share-expired"' in page and 'data-testid="receipt-share"' in page
    assert owner.post(f"/receipts/funding/{intent.public_id}/share").status_code == 302
    with schema_context("ng"):
        new = ReceiptLink.objects.get(object_id=intent.public_id, revoked_at__isnull=True)
    assert new.token != old.token and new.token in owner.get(f"/wallet/fund/{intent.public_id}").content.decode()
