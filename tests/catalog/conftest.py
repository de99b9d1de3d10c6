from __future__ import annotations

import pytest

from provider_plugins.vtpass.simulator import VTPassSimulator
from tests.providers.helpers import VTPASS_API_KEYS


@pytest.fixture
def vtpass_sim():
    with VTPassSimulator(duplicate_window_seconds=0) as sim:
        yield sim


@pytest.fixture
def vtpass_provider(db, vtpass_sim):
    from shared_apps.providers.services import provider_register

    return provider_register(name="VTPass test", country="NG", plugin_key="vtpass", base_url=vtpass_sim.url,
                             capabilities=["airtime", "data", "electricity", "cable_tv"],
                             credentials=VTPASS_API_KEYS, options={"commission_bp": {"mtn-data": 300, "*": 100}})
