"""Per-agent limits: transactions per hour and amount per day, counted in Redis per tenant."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenant_apps.agents.services import add_agent, agent_check_velocity, agent_release_velocity
from tests.accounts.helpers import call, make_user

pytestmark = pytest.mark.django_db


def new_agent(**limits):
    user = make_user("quickvend", email=f"v-{uuid.uuid4().hex[:8]}@qv.test", role="agent")
    with schema_context("quickvend"):
        agent = add_agent(user=user, parent=None)
        for field, value in limits.items():
            setattr(agent, field, value)
        agent.save()
    return agent


def test_transactions_per_hour(tenants):
    agent = new_agent(max_transactions_per_hour=3)
    with schema_context("quickvend"):
        for _ in range(3):
            agent_check_velocity(agent=agent, amount_minor=100)
        with pytest.raises(Exception) as refused:
            agent_check_velocity(agent=agent, amount_minor=100)
        assert refused.value.code == "agent_velocity_exceeded" and refused.value.status_code == 429
        assert "transactions_per_hour" in refused.value.fields
        agent_release_velocity(agent=agent, amount_minor=100)  # a failed sale gives its slot back
        agent_check_velocity(agent=agent.user, amount_minor=100)  # by user works too


def test_amount_per_day_and_tenant_isolation(tenants):
    agent = new_agent(max_amount_per_day_minor=10_000)
    with schema_context("quickvend"):
        agent_check_velocity(agent=agent, amount_minor=6_000)
        with pytest.raises(Exception) as refused:
            agent_check_velocity(agent=agent, amount_minor=4_001)
        assert "amount_per_day" in refused.value.fields
        agent_check_velocity(agent=agent, amount_minor=4_000)  # the refused one was not counted
    with schema_context("ng"):  # same agent id in another schema: its own counters
        keys = [key for key in cache._cache.get_client().keys("*agents:velocity:*") if b"quickvend:" in key]
        assert keys and all(key.startswith(b"quickvend:") for key in keys)


def test_admin_sets_limits_and_suspends(host_client, tenants, qv_admin_token):
    agent = new_agent()
    client = host_client("quickvend.localhost")
    token = qv_admin_token
    response = call(client, "PATCH", f"/api/agents/{agent.public_id}",
                    {"max_transactions_per_hour": 2, "max_amount_per_day": "50.00", "is_active": False}, token=token)
    assert response.status_code == 200, response.content
    assert response.json()["max_amount_per_day_minor"] == 5_000
    with schema_context("quickvend"), pytest.raises(Exception) as refused:
        agent_check_velocity(agent=agent.user, amount_minor=1)
    assert refused.value.code == "agent_inactive"
