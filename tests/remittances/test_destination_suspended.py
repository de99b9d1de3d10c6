"""A destination operator suspended after the quote (outside journeys, SN/CI/BF session): the remittance was
accepted and the money credited into a tenant nobody can use (its domain answers 403 ``tenant_suspended``).

Now: accepting a quote to a suspended operator is 422 ``corridor_unavailable`` with nothing held, and one
accepted before the suspension is returned by the destination (hub refund, the sender refunded in full)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.remittances.helpers import advance, assert_reconciled, funded, quote, remittance, send
from tests.wallet.helpers import balance_of, new_customer


def _set_status(schema: str, *, suspended: bool) -> None:
    from tenants.models import Tenant
    from tenants.services import tenant_reactivate, tenant_suspend

    with schema_context("public"):
        tenant = Tenant.objects.get(schema_name=schema)
        if suspended:
            tenant_suspend(tenant=tenant, reason="unpaid licence")
        else:
            tenant_reactivate(tenant=tenant)


@pytest.mark.django_db
def test_accepting_a_quote_to_a_suspended_operator_is_refused_and_nothing_is_held(remit):
    from tenant_apps.ledger.models import Hold
    from tenant_apps.remittances.models import Remittance

    sender = funded("ng", 1_500_000)
    q = quote(sender, recipient_phone=new_customer("gh").phone)
    assert q.status_code == 201, q.content
    _set_status("gh", suspended=True)
    answer = send(sender, q.json()["id"])
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["code"] == "corridor_unavailable"
    with schema_context("ng"):
        assert not Remittance.objects.filter(sender=sender).exists()
        assert not Hold.objects.filter(wallet__owner=sender).exists()
    assert balance_of(sender, "ng") == 1_500_000
    refused = quote(sender, recipient_phone="+233241234567")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "corridor_unavailable"
    _set_status("gh", suspended=False)
    assert send(sender, q.json()["id"]).status_code == 202  # the quote was not used up


@pytest.mark.django_db
def test_an_accepted_remittance_to_an_operator_suspended_since_is_refunded_not_credited(remit):
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    q = quote(sender, recipient_phone=recipient.phone).json()
    accepted = send(sender, q["id"])
    assert accepted.status_code == 202, accepted.content
    rid = accepted.json()["id"]
    _set_status("gh", suspended=True)
    assert advance(rid) == "refunded"
    assert balance_of(sender, "ng") == 1_500_000  # the whole amount, fee included
    assert balance_of(recipient, "gh") == 0
    assert "suspended" in remittance(rid).failure_reason
    assert advance(rid) == "refunded"  # once
    assert balance_of(sender, "ng") == 1_500_000
    _set_status("gh", suspended=False)
    assert_reconciled()
