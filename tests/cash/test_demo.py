"""The demo seed gives every tenant a cash agent with a float, once."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


def test_demo_cash_agents_are_seeded_once():
    from tenant_apps.accounts.models import User
    from tenant_apps.cash.demo import seed_demo_cash
    from tenant_apps.ledger.services import wallet_for

    lines = seed_demo_cash()
    again = seed_demo_cash()
    assert lines == again and any("ng.localhost:8000/agent/cash-in" in line for line in lines)
    with schema_context("ng"):
        agent = User.objects.get(email="cash-agent@ng.localhost")
        assert agent.role == "agent" and wallet_for(user=agent).balance == 100_000_000
        assert agent.email_verified_at is not None  # a demo account is payable by its email (accounts.email_proof)
    with schema_context("sn"):
        assert wallet_for(user=User.objects.get(email="cash-agent@sn.localhost")).balance == 1_000_000
