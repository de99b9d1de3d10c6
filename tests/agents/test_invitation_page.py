"""The invitation's link opens a page (``/agent/invitation?token=…``) that makes the account with the API's own
service: a parent agent's invitation by email or SMS, a bad, used or expired link, French, the rate limit."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.agents.links import INVITATION_PAGE, invitation_page, site_url
from tenant_apps.agents.models import Agent, Invitation
from tenant_apps.agents.services import add_agent, hash_token, invite
from tests.accounts.helpers import PASSWORD, call, login, make_user, outbox_code

from .helpers import token_from

pytestmark = pytest.mark.django_db

LINK = "http://quickvend.localhost/agent/invitation?token="


def _phone() -> str:
    return "+234803" + f"{uuid.uuid4().int % 10**7:07d}"


@pytest.fixture
def parent(tenants):
    """A top-level quickvend agent and its API token."""
    email = f"parent-{uuid.uuid4().hex[:8]}@qv.test"
    user = make_user("quickvend", email=email, role="agent", phone=_phone())
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
    return agent, login(Client(HTTP_HOST="quickvend.localhost"), email)["access"]


def _invite_by_api(token: str, capture, **contact) -> None:
    with capture(execute=True):
        response = call(Client(HTTP_HOST="quickvend.localhost"), "POST", "/api/agents/invitations", contact,
                        token=token)
    assert response.status_code == 201, response.content


def test_email_invitation_link_opens_the_page_which_makes_the_sub_agent_once(parent,
                                                                              django_capture_on_commit_callbacks):
    agent, token = parent
    email = f"sub-{uuid.uuid4().hex[:8]}@qv.test"
    _invite_by_api(token, django_capture_on_commit_callbacks, email=email)
    body = str(mail.outbox[-1].body)
    assert LINK in body and "/api/" not in body
    secret = token_from(body)

    page = Client(HTTP_HOST="quickvend.localhost", enforce_csrf_checks=True)
    shown = page.get(INVITATION_PAGE, {"token": secret})
    html = shown.content.decode()
    assert shown.status_code == 200 and agent.user.email in html and "as an agent" in html
    assert 'name="csrfmiddlewaretoken"' in html and 'name="password"' in html and 'name="email"' not in html
    with schema_context("quickvend"):
        assert Invitation.objects.get(token_hash=hash_token(secret)).accepted_at is None  # looking spends nothing
    assert page.post(INVITATION_PAGE, {"token": secret, "password": PASSWORD}).status_code == 403  # no CSRF token

    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf
    weak = page.post(INVITATION_PAGE, {"token": secret, "password": "short", "csrfmiddlewaretoken": csrf.group(1)})
    assert weak.status_code == 400 and 'aria-invalid="true"' in weak.content.decode()
    done = page.post(INVITATION_PAGE, {"token": secret, "password": PASSWORD, "csrfmiddlewaretoken": csrf.group(1)})
    assert done.status_code == 302 and done["Location"] == "/agent/sell"
    assert page.get("/agent/sell").status_code == 200  # logged in on this site
    with schema_context("quickvend"):  # the rows the API's accept makes (tests/agents/test_commissions.py)
        child = Agent.objects.select_related("user").get(user__email=email)
        assert (child.parent_id, child.depth, child.path) == (agent.pk, 2, f"{agent.pk}/{child.pk}/")
        assert child.user.role == "agent" and child.user.check_password(PASSWORD)
        invitation = Invitation.objects.get(token_hash=hash_token(secret))
        assert invitation.accepted_at is not None and invitation.accepted_user_id == child.user_id

    again = Client(HTTP_HOST="quickvend.localhost").post(INVITATION_PAGE, {"token": secret, "password": PASSWORD})
    assert again.status_code == 410 and 'data-reason="invitation_used"' in again.content.decode()
    reopened = Client(HTTP_HOST="quickvend.localhost").get(INVITATION_PAGE, {"token": secret})
    assert reopened.status_code == 410 and "already used" in reopened.content.decode()
    api = call(Client(HTTP_HOST="quickvend.localhost"), "POST", "/api/agents/invitations/accept",
               {"token": secret, "password": PASSWORD, "email": email})
    assert api.status_code == 409 and api.json()["error"]["code"] == "invitation_used"  # the API is unchanged


def test_sms_invitation_from_the_team_page_links_to_the_page_and_proves_the_phone(parent, sms_simulator,
                                                                                   django_capture_on_commit_callbacks):
    from tests.portal.test_ops_pages import quick_login

    agent, _token = parent
    phone = _phone()
    team = quick_login(Client(HTTP_HOST="quickvend.localhost"), "quickvend", agent.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert team.post("/agent/team", {"email": "", "phone": phone}).status_code == 302
    sms = requests.get(f"{sms_simulator.url}/outbox.json", params={"to": phone}, timeout=5).json()["messages"][0]
    assert LINK in sms["sms"]
    secret = token_from(sms["sms"])

    page = Client(HTTP_HOST="quickvend.localhost")
    html = page.get(INVITATION_PAGE, {"token": secret}).content.decode()
    assert 'name="email"' in html and 'name="phone"' not in html  # the phone is the invitation's
    email = f"sms-{uuid.uuid4().hex[:8]}@qv.test"
    done = page.post(INVITATION_PAGE, {"token": secret, "email": email, "password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/agent/sell"
    with schema_context("quickvend"):
        child = Agent.objects.select_related("user").get(user__email=email)
        assert child.parent_id == agent.pk and child.user.phone == phone
        assert child.user.phone_verified_at is not None  # the SMS reached this phone


def test_a_phone_added_on_the_page_is_verified_before_the_first_session(parent, sms_simulator, tenants):
    agent, _token = parent
    with schema_context("quickvend"):
        _invitation, secret = invite(inviter=agent.user, email=f"v-{uuid.uuid4().hex[:8]}@qv.test", notify=False)
    local = f"0803{uuid.uuid4().int % 10**7:07d}"
    page = Client(HTTP_HOST="quickvend.localhost")
    bad = page.post(INVITATION_PAGE, {"token": secret, "phone": "12", "password": PASSWORD})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()
    done = page.post(INVITATION_PAGE, {"token": secret, "phone": local, "password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/verify"
    verified = page.post("/verify", {"code": outbox_code(sms_simulator.url, "+234" + local[1:])})
    assert verified.status_code == 302 and verified["Location"] == "/agent/sell"


def test_bad_expired_and_used_links_get_a_clear_page(parent, tenants):
    agent, _token = parent
    page = Client(HTTP_HOST="quickvend.localhost")
    for token in ("", "not-a-token"):
        response = page.get(INVITATION_PAGE, {"token": token} if token else {})
        assert response.status_code == 404 and "This invitation link is not valid" in response.content.decode()
    unknown = page.post(INVITATION_PAGE, {"token": "not-a-token", "password": PASSWORD})
    assert unknown.status_code == 404
    with schema_context("quickvend"):
        invitation, secret = invite(inviter=agent.user, email=f"x-{uuid.uuid4().hex[:8]}@qv.test", notify=False)
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = page.get(INVITATION_PAGE, {"token": secret})
    assert expired.status_code == 410 and "This invitation has expired" in expired.content.decode()


def test_page_in_french_and_the_rate_limit(tenants, settings):
    admin = make_user("sn", email=f"admin-{uuid.uuid4().hex[:8]}@sn.test", role="operator_admin")
    with schema_context("sn"):
        _invitation, secret = invite(inviter=admin, email=f"fr-{uuid.uuid4().hex[:8]}@sn.test", notify=False)
    page = Client(HTTP_HOST="sn.localhost")
    html = page.get(INVITATION_PAGE, {"token": secret}).content.decode()
    assert '<html lang="fr">' in html and "Créer mon compte" in html and "Mot de passe" in html
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_register": "2/min"}
    codes = [page.post(INVITATION_PAGE, {"token": secret, "password": "short"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_links_take_the_request_or_the_settings_scheme_and_port(settings, rf):
    assert reverse("portal:agent-invitation") == INVITATION_PAGE
    request = rf.get("/", HTTP_HOST="ng.localhost:8000")
    assert invitation_page(request=request, domain="sunvend.localhost") == \
        "http://sunvend.localhost:8000/agent/invitation"
    assert invitation_page(request=request) == "http://ng.localhost:8000/agent/invitation"
    settings.PUBLIC_SITE_SCHEME, settings.PUBLIC_SITE_PORT = "https", 0
    assert site_url("sunvend.example.com") == "https://sunvend.example.com"
    settings.PUBLIC_SITE_SCHEME, settings.PUBLIC_SITE_PORT = "http", 8000  # make run
    assert site_url("sunvend.localhost") == "http://sunvend.localhost:8000"


def test_a_resellers_first_admin_sets_the_password_on_the_page(tenants, sms_simulator):
    """What tenant_provision + application_approve leave: an admin without a usable password, a phone to verify."""
    phone = _phone()
    admin = make_user("quickvend", email=f"first-{uuid.uuid4().hex[:8]}@qv.test", role="operator_admin",
                      phone=phone, verified=False, password=None)
    with schema_context("quickvend"):
        _invitation, secret = invite(inviter=admin, email=admin.email, role="operator_admin", notify=False)
    page = Client(HTTP_HOST="quickvend.localhost")
    html = page.get(INVITATION_PAGE, {"token": secret}).content.decode()
    assert admin.email in html and 'name="email"' not in html and 'name="phone"' not in html
    done = page.post(INVITATION_PAGE, {"token": secret, "password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/verify"
    verified = page.post("/verify", {"code": outbox_code(sms_simulator.url, phone)})
    assert verified.status_code == 302 and verified["Location"] == "/back-office/"
