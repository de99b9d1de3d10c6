"""The sync task in a real Celery worker process, reaching the simulator over HTTP."""

from __future__ import annotations

import uuid

import pytest

from provider_plugins.vtpass.simulator import VTPassSimulator
from tests.providers.helpers import VTPASS_API_KEYS
from tests.support.processes import celery_worker

pytestmark = pytest.mark.slow


def test_worker_syncs_a_provider_catalog(live_db):
    from shared_apps.catalog.models import Product
    from shared_apps.catalog.tasks import sync_provider_catalog
    from shared_apps.providers.models import Provider
    from shared_apps.providers.services import provider_register

    with VTPassSimulator() as sim:
        provider = provider_register(name=f"VTPass worker {uuid.uuid4().hex[:8]}", country="NG",
                                     plugin_key="vtpass", base_url=sim.url, capabilities=["airtime", "data"],
                                     credentials=VTPASS_API_KEYS)
        try:
            with celery_worker():
                first = sync_provider_catalog.delay(provider.pk).get(timeout=60)
                second = sync_provider_catalog.delay(provider.pk).get(timeout=60)
            # Only what the row is registered for (airtime and data), not VTPass's bills, PINs or insurance.
            assert first["created"] == 12 and second["unchanged"] == 12
            assert Product.objects.filter(provider=provider, is_active=True).count() == 12
        finally:
            Product.objects.filter(provider=provider).delete()
            Provider.objects.filter(pk=provider.pk).delete()
