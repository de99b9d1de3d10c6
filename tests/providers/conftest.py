from __future__ import annotations

import pytest

from provider_plugins.aggregator import AggregatorConnector
from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone import DTOneConnector
from provider_plugins.dtone.simulator import DTOneSimulator
from provider_plugins.vtpass import VTPassConnector
from provider_plugins.vtpass.simulator import VTPassSimulator

from .helpers import AGGREGATOR_CREDENTIALS, DTONE_CREDENTIALS, HANG, VTPASS_API_KEYS, config_for


@pytest.fixture
def vtpass_sim():
    with VTPassSimulator(hang_seconds=HANG, duplicate_window_seconds=0, strict_sandbox=True) as sim:
        yield sim


@pytest.fixture
def vtpass(vtpass_sim):
    return VTPassConnector(config_for(vtpass_sim.url, VTPASS_API_KEYS, commission_bp={"mtn-data": 300, "*": 100}))


@pytest.fixture
def aggregator_sim():
    with AggregatorSimulator(hang_seconds=HANG) as sim:
        yield sim


@pytest.fixture
def aggregator(aggregator_sim):
    return AggregatorConnector(config_for(aggregator_sim.url, AGGREGATOR_CREDENTIALS))


@pytest.fixture
def dtone_sim():
    with DTOneSimulator(hang_seconds=HANG, completion_delay_seconds=None) as sim:
        yield sim


@pytest.fixture
def dtone(dtone_sim):
    return DTOneConnector(config_for(dtone_sim.url + "/v1", DTONE_CREDENTIALS))
