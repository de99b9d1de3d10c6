"""A suspended agent (``PATCH /api/agents/<id> {is_active: false}``) no longer acts as an agent: it does not sell
(velocity: 403 ``agent_inactive``), invite, or pass its float down to its sub-agents, whether it signs in or
uses an API key the admin made for it."""

from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tenant_apps.agents.api_keys import sign
from tests.accounts.helpers import call, login, make_user
from tests.support.unchanged import nothing_changes

pytestmark = pytest.mark.django_db
HOST = "quickvend.localhost"


@pytest.fixture
def suspended_parent(host_client, qv_admin_token):
    """quickvend: agent A (funded, then suspended by the admin) -> its sub-agent B (active); A's wallet API key."""
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    suffix = uuid.uuid4().hex[:8]
    parent_user = make_user("quickvend", email=f"susp-a-{suffix}@qv.test", role="agent")
    child_user = make_user("quickvend", email=f"susp-b-{suffix}@qv.test", role="agent")
    with schema_context("quickvend"):
        parent = add_agent(user=parent_user, parent=None)
        child = add_agent(user=child_user, parent=parent)
        fund_wallet(wallet=wallet_for(user=parent_user), amount=500_000, reference=f"test-fund-{suffix}")
    site = host_client(HOST)
    token = login(site, parent_user.email)["access"]  # signed in before the suspension
    key = call(site, "POST", "/api/resellers/api-keys", {"name": "A's till", "scopes": ["wallet"],
                                                         "agent": str(parent.public_id)}, token=qv_admin_token)
    assert key.status_code == 201, key.content
    suspended = call(site, "PATCH", f"/api/agents/{parent.public_id}", {"is_active": False}, token=qv_admin_token)
    assert suspended.status_code == 200 and suspended.json()["is_active"] is False
    return {"site": site, "token": token, "key": key.json(), "child": child}


def _signed_fund(key: dict, child_id: str):
    path, body = f"/api/agents/{child_id}/fund", b'{"amount": "100.00"}'
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    return Client(HTTP_HOST=HOST).post(
        path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        HTTP_X_API_KEY=key["key_id"], HTTP_X_TIMESTAMP=timestamp, HTTP_X_NONCE=nonce,
        HTTP_X_SIGNATURE=sign(secret=key["secret"], timestamp=timestamp, nonce=nonce, method="POST", path=path,
                              body=body))


def test_a_suspended_agent_cannot_pass_its_float_to_its_sub_agents(suspended_parent):
    child = str(suspended_parent["child"].public_id)
    with nothing_changes("quickvend", ignore=("agents_apikey",)):  # the key's last_used_at: it authenticated
        by_token = call(suspended_parent["site"], "POST", f"/api/agents/{child}/fund", {"amount": "100.00"},
                        token=suspended_parent["token"], HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
        assert by_token.status_code == 403, by_token.content
        assert by_token.json()["error"]["code"] == "agent_inactive"
        by_key = _signed_fund(suspended_parent["key"], child)
        assert (by_key.status_code, by_key.json()["error"]["code"]) == (403, "agent_inactive"), by_key.content
        invite = call(suspended_parent["site"], "POST", "/api/agents/invitations", {"email": "x@qv.test"},
                      token=suspended_parent["token"])
        assert invite.status_code == 403


def test_the_admin_still_funds_and_reactivates(suspended_parent, qv_admin_token):
    """Suspension stops the agent, not the reseller's own hand: reactivated, the parent funds its child again."""
    site, parent_id = suspended_parent["site"], suspended_parent["child"].parent.public_id
    back = call(site, "PATCH", f"/api/agents/{parent_id}", {"is_active": True}, token=qv_admin_token)
    assert back.status_code == 200
    funded = call(site, "POST", f"/api/agents/{suspended_parent['child'].public_id}/fund", {"amount": "100.00"},
                  token=suspended_parent["token"], HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert funded.status_code == 201, funded.content
