"""Per-agent limits: transactions per hour and amount per day, counted from AgentSale rows in the sale's
transaction (under the agent's row lock)."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError
from tenant_apps.agents.models import AgentSale
from tenant_apps.agents.services import add_agent, agent_record_sale, agent_release_sale
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


def record(agent, amount_minor=100, reference=None):
    return agent_record_sale(agent=agent, amount_minor=amount_minor, reference=reference or uuid.uuid4().hex)


def test_transactions_per_hour(tenants):
    agent = new_agent(max_transactions_per_hour=3)
    with schema_context("quickvend"):
        refs = [record(agent).order_ref for _ in range(3)]
        record(agent, reference=refs[0])  # the same sale counts once
        with pytest.raises(ApiError) as refused:
            record(agent)
        assert refused.value.code == "agent_velocity_exceeded" and refused.value.status_code == 429
        assert "transactions_per_hour" in refused.value.fields
        assert agent_release_sale(reference=refs[0])  # a failed sale gives its slot back
        record(agent.user)  # by user works too
        assert AgentSale.objects.filter(agent=agent).count() == 3


def test_amount_per_day(tenants):
    agent = new_agent(max_amount_per_day_minor=10_000)
    with schema_context("quickvend"):
        record(agent, 6_000)
        with pytest.raises(ApiError) as refused:
            record(agent, 4_001)
        assert "amount_per_day" in refused.value.fields
        record(agent, 4_000)  # the refused one was not counted


def test_a_sale_that_rolls_back_was_never_counted(tenants):
    agent = new_agent(max_transactions_per_hour=1)
    with schema_context("quickvend"):
        with pytest.raises(RuntimeError), transaction.atomic():
            record(agent)
            raise RuntimeError("the purchase failed after counting (e.g. insufficient float)")
        assert not AgentSale.objects.filter(agent=agent).exists()
        record(agent)  # the one slot is still free
        with pytest.raises(Exception):
            record(agent)


def test_admin_sets_limits_and_suspends(host_client, tenants, qv_admin_token):
    agent = new_agent()
    client = host_client("quickvend.localhost")
    token = qv_admin_token
    response = call(client, "PATCH", f"/api/agents/{agent.public_id}",
                    {"max_transactions_per_hour": 2, "max_amount_per_day": "50.00", "is_active": False}, token=token)
    assert response.status_code == 200, response.content
    assert response.json()["max_amount_per_day_minor"] == 5_000
    with schema_context("quickvend"), pytest.raises(ApiError) as refused:
        record(agent.user, 1)
    assert refused.value.code == "agent_inactive"


@pytest.mark.parametrize(("schema", "limit"), [("quickvend", 50_000_000), ("sn", 200_000), ("gh", 500_000)])
def test_the_default_daily_amount_is_in_the_tenants_currency(tenants, schema, limit):
    """About the same value everywhere: NGN 500,000.00, 200,000 F CFA, GHS 5,000.00. One figure of minor units for
    every currency let a Senegalese agent sell 50,000,000 F CFA (about USD 83,000) a day."""
    user = make_user(schema, email=f"v-{uuid.uuid4().hex[:8]}@qv.test", role="agent")
    with schema_context(schema):
        agent = add_agent(user=user, parent=None)
        record(agent, limit - 1)
        with pytest.raises(ApiError) as refused:
            record(agent, 2)
        assert "amount_per_day" in refused.value.fields
        record(agent, 1)
