"""A real Celery worker runs each task in the schema it was sent from, whatever the payload says."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user
from tests.support.processes import celery_worker

pytestmark = pytest.mark.slow


def test_task_runs_in_the_schema_it_was_sent_from_and_payload_cannot_steer_it(live_db):
    from shared_apps.core.tasks import schema_probe

    marker = f"celery-{uuid.uuid4().hex[:10]}@ng.example"
    make_user("ng", email=marker, phone=None, verified=False)
    with celery_worker():
        with schema_context("ng"):
            home = schema_probe.delay(marker_email=marker).get(timeout=60)
            steered = schema_probe.apply_async(
                kwargs={"marker_email": marker, "_schema_name": "sn", "schema": "sn", "schema_name": "sn",
                        "tenant": "sn"}).get(timeout=60)
        with schema_context("sn"):
            elsewhere = schema_probe.delay(marker_email=marker).get(timeout=60)
        with schema_context("public"):
            public = schema_probe.delay(marker_email=marker).get(timeout=60)
    assert home == {"schema": "ng", "marker_found": True, "payload_keys": []}
    assert steered["schema"] == "ng" and steered["marker_found"] is True
    assert steered["payload_keys"] == ["_schema_name", "schema", "schema_name", "tenant"]
    assert elsewhere == {"schema": "sn", "marker_found": False, "payload_keys": []}
    assert public["schema"] == "public" and public["marker_found"] is False
