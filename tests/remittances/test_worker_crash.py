"""A real Celery worker killed (SIGKILL) between the two schemas: after the hub took the money from NG and
before GH credited it. The sweeper and a fresh worker finish the remittance; GH credits it exactly once."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from typing import TypedDict

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.remittances.helpers import (
    assert_reconciled,
    funded,
    open_corridor,
    quote,
    remit_settings,
    remittance,
    send,
)
from tests.support.processes import celery_worker
from tests.support.waiting import wait_for
from tests.wallet.helpers import balance_of, new_customer


class _WorkerEnv(TypedDict):
    REMITTANCE_SMS_NOTIFICATIONS: str
    WALLET_SMS_NOTIFICATIONS: str


WORKER_ENV = _WorkerEnv(REMITTANCE_SMS_NOTIFICATIONS="0", WALLET_SMS_NOTIFICATIONS="0")


def hub_steps(rid: str) -> list[str]:
    from shared_apps.remittance_hub.models import HubEntry

    with schema_context("public"):
        return sorted(HubEntry.objects.filter(remittance_id=rid).values_list("step", flat=True))


def credit_entries(rid: str) -> int:
    from tenant_apps.ledger.models import JournalEntry

    with schema_context("gh"):
        return JournalEntry.objects.filter(reference__startswith=f"remit:{rid}:").count()


def test_worker_killed_between_the_schemas_credits_once(live_db, settings, oxr, sanctions_sim):
    remit_settings(settings, oxr, sanctions_sim, nested=False)
    open_corridor("ng", "GH")
    sender = funded("ng", 1_500_000)
    recipient = new_customer("gh")
    q = quote(sender, recipient_phone=recipient.phone).json()
    with celery_worker(REMITTANCE_PAUSE_AFTER="hub_in", **WORKER_ENV) as doomed:
        accepted = send(sender, q["id"])  # committed: the advance task is enqueued on commit
        assert accepted.status_code == 202, accepted.content
        rid = accepted.json()["id"]
        wait_for(lambda: hub_steps(rid) == ["in"], timeout=60)  # the hub's step committed; the worker sleeps
        os.kill(doomed.pid, signal.SIGKILL)  # no warm shutdown, no ack: dead between the two schemas
        doomed.wait(timeout=10)
    assert remittance(rid).status == "in_transit"
    assert balance_of(sender, "ng") == 1_500_000 - 500_000 and balance_of(recipient, "gh") == 0
    assert credit_entries(rid) == 0
    assert_reconciled()  # stranded in transit: the corridor's clearing holds exactly its principal
    with celery_worker(**WORKER_ENV):
        from tenant_apps.remittances.services import remittances_sweep

        with schema_context("ng"):
            later = timezone.now() + timedelta(seconds=settings.REMITTANCE_STALE_SECONDS + 1)
            assert remittances_sweep(now=later)["resumed"] >= 1
        wait_for(lambda: remittance(rid).status == "credited", timeout=60)
        time.sleep(0.5)  # a duplicate delivery (the killed worker's unacked task) would land now
    assert balance_of(recipient, "gh") == 4_777 and credit_entries(rid) == 1
    assert hub_steps(rid) == ["in", "out"]
    assert balance_of(sender, "ng") == 1_000_000
    assert_reconciled()


@pytest.fixture(autouse=True)
def _public_afterwards():
    yield
    from tenants.connection import tenant_connection

    tenant_connection().set_schema_to_public()
