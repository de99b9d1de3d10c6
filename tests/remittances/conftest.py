"""Remittance fixtures: the rate source and the sanctions screener as real HTTP simulators and an NG -> GH
corridor (helpers: tests/remittances/helpers.py; gateway simulators: tests/fixtures/gateways.py)."""

from __future__ import annotations

import pytest

from provider_plugins.openexchangerates.simulator import OpenExchangeRatesSimulator
from provider_plugins.opensanctions.simulator import OpenSanctionsSimulator
from tests.remittances.helpers import open_corridor, remit_settings


@pytest.fixture(scope="session")
def oxr():
    with OpenExchangeRatesSimulator() as sim:
        yield sim


@pytest.fixture(scope="session")
def sanctions_sim():
    with OpenSanctionsSimulator() as sim:
        yield sim


@pytest.fixture
def remit(db, settings, oxr, sanctions_sim):
    remit_settings(settings, oxr, sanctions_sim)
    open_corridor("ng", "GH")
    return oxr
