"""Four workers advancing the same remittance at once (a late task, the sweeper, a redelivery): every step runs
once; GH credits once, the hub moves once, NG is debited once (committed data, one connection per thread)."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tests.remittances.helpers import assert_reconciled, funded, open_corridor, quote, remit_settings, remittance, send
from tests.support.concurrency import run_concurrently
from tests.wallet.helpers import balance_of, new_customer


def test_concurrent_advances_credit_once(live_db, settings, oxr, sanctions_sim, monkeypatch):
    from tenant_apps.remittances import services

    remit_settings(settings, oxr, sanctions_sim, nested=False)
    monkeypatch.setattr(services, "enqueue_advance", lambda **kwargs: None)  # no worker: the threads are the workers
    open_corridor("ng", "GH")
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    rid = send(sender, quote(sender, recipient_phone=recipient.phone).json()["id"]).json()["id"]
    results = run_concurrently(4, lambda _i: services.remittance_advance(public_id=rid))
    assert results == ["credited"] * 4, results
    assert remittance(rid).status == "credited"
    assert balance_of(recipient, "gh") == 4_777 and balance_of(sender, "ng") == 1_000_000
    from shared_apps.remittance_hub.models import HubEntry
    from tenant_apps.ledger.models import JournalEntry

    with schema_context("gh"):
        assert JournalEntry.objects.filter(reference=f"remit:{rid}:credit").count() == 1
    with schema_context("public"):
        assert sorted(HubEntry.objects.filter(remittance_id=rid).values_list("step", flat=True)) == ["in", "out"]
    assert_reconciled()
