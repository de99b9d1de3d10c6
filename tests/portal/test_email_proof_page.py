"""A portal customer proves their email address from the profile page (accounts.email_proof, the API's service).

Before, only ``POST /api/auth/email/verify`` could prove an address: a customer who uses the web portal alone could
never be paid by email once P2P by email required a proven address. The mail now carries a link to the page, where
the signed-in owner presses Confirm (a link prefetched by a mail scanner proves nothing)."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from tenant_apps.accounts.models import User
from tests.portal.test_ops_pages import quick_login
from tests.wallet.helpers import new_customer

pytestmark = pytest.mark.django_db


def _unproven():
    """A customer with a verified phone whose email address is not proven yet."""
    user = new_customer()
    with schema_context("ng"):
        User.objects.filter(pk=user.pk).update(email_verified_at=None)
        return User.objects.get(pk=user.pk)


def _mail_to(address: str):
    [message] = [m for m in mail.outbox if address in m.to]
    return str(message.body)


def test_the_owner_confirms_the_address_from_the_mails_link_on_the_portal(host_client):
    user = _unproven()
    site = quick_login(host_client("ng.localhost"), "ng", user)
    profile = site.get("/profile").content.decode()
    assert 'data-testid="confirm-email-link"' in profile
    assert site.get("/profile/email").status_code == 200
    sent = site.post("/profile/email", {"action": "send"}, follow=True)
    assert "a confirmation is on its way" in sent.content.decode()
    body = _mail_to(user.email)
    link = re.search(r"(http://ng\.localhost[^\s]*/profile/email\?token=[^\s]+)", body)
    assert link, body
    path = link.group(1).removeprefix("http://ng.localhost")
    opened = site.get(path)  # opening the link changes nothing by itself
    assert opened.status_code == 200
    with schema_context("ng"):
        assert User.objects.get(pk=user.pk).email_verified_at is None
    field = re.search(r'name="token" value="([^"]+)"', opened.content.decode())
    assert field, "the link's page carries the token in its form"
    token = html.unescape(field.group(1))
    confirmed = site.post("/profile/email", {"token": token}, follow=True)
    assert "Your email address is confirmed" in confirmed.content.decode()
    with schema_context("ng"):
        assert User.objects.get(pk=user.pk).email_verified_at is not None
    assert 'data-testid="confirm-email-link"' not in site.get("/profile").content.decode()


def test_a_wrong_or_someone_elses_code_proves_nothing(host_client):
    owner, other = _unproven(), _unproven()
    owner_site = quick_login(host_client("ng.localhost"), "ng", owner)
    owner_site.post("/profile/email", {"action": "send"})
    found = re.search(r"^\s*([A-Za-z0-9_\-:.]{40,})\s*$", _mail_to(owner.email), re.MULTILINE)
    assert found
    token = found.group(1)
    other_site = quick_login(host_client("ng.localhost"), "ng", other)
    for site, code in ((other_site, token), (owner_site, token[:-2] + "xx"), (owner_site, "x" * 50)):
        refused = site.post("/profile/email", {"token": code}, follow=True)
        assert "This code is not valid or has expired." in refused.content.decode()
    with schema_context("ng"):
        assert not User.objects.filter(pk__in=[owner.pk, other.pk], email_verified_at__isnull=False).exists()


def test_the_page_needs_a_signed_in_customer(host_client):
    anonymous = host_client("ng.localhost").get(f"/profile/email?token={uuid.uuid4().hex}")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
