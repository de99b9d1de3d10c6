"""A suspended tenant sends no new provider purchase: its confirmed bulk batches pause before their next row and
resume once it is reactivated; orders placed before the suspension go on (submitted, settled) as usual."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.orders.helpers import submitted

from .helpers import confirm, csv_file, mtn_numbers, new_agent, upload

pytestmark = pytest.mark.django_db


def test_a_suspended_tenants_batch_pauses_and_resumes_on_reactivation(inproc_stack):
    from tenant_apps.bulk.models import BulkBatch, BulkRow
    from tenant_apps.bulk.services import bulk_process, bulk_sweep
    from tenant_apps.orders.models import Order
    from tenants.models import Tenant
    from tenants.services import tenant_reactivate, tenant_suspend

    agent, token = new_agent(2_000_000)
    body = upload(token, csv_file([(n, "", "100") for n in mtn_numbers(8)])).json()
    assert confirm(token, body["id"]).status_code == 202
    tenant = Tenant.objects.get(schema_name="ng")
    try:
        with schema_context("ng"):
            batch = BulkBatch.objects.get(public_id=body["id"])
            bulk_process(batch_id=batch.pk, limit=3)  # 3 orders placed, then the tenant is suspended
            placed = list(Order.objects.filter(user=agent))
            assert len(placed) == 3
        tenant_suspend(tenant=tenant, reason="unpaid invoice")
        with schema_context("ng"):
            paused = bulk_process(batch_id=batch.pk)
            assert paused is not None and paused.status == "paused"
            assert Order.objects.filter(user=agent).count() == 3  # no new purchase
            assert BulkRow.objects.filter(batch=batch, status="ready").count() == 5  # waiting, not failed
            assert bulk_sweep() == 0 and BulkBatch.objects.get(pk=batch.pk).status == "paused"
            late = bulk_process(batch_id=batch.pk)  # a late task places nothing either
            assert late is not None and late.status == "paused"
            # What was already placed goes on: sent and settled as usual.
            assert submitted(placed[0].pk).status == "settled"
        tenant_reactivate(tenant=tenant)
        with schema_context("ng"):
            assert bulk_sweep() == 1  # resumed (enqueued on commit)
            assert BulkBatch.objects.get(pk=batch.pk).status == "processing"
            done = bulk_process(batch_id=batch.pk)
            assert done is not None and done.status == "completed"
            orders = Order.objects.filter(user=agent)
            assert orders.count() == 8 and len({order.dedupe_key for order in orders}) == 8
    finally:
        tenant_reactivate(tenant=tenant)  # the host cache too, for the tests after this one
