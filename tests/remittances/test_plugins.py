"""The rate-source and sanctions plugins against their simulators over HTTP: exact decimals, cross rates,
matches, and provider trouble raised as faults (never a float, never a silent pass)."""

from __future__ import annotations

import pytest
import requests

from provider_plugins.interfaces.common import ProviderAuthError, ProviderConfig, ProviderFault, UserFixableError
from provider_plugins.interfaces.sanctions import ScreeningSubject
from provider_plugins.openexchangerates import OpenExchangeRatesConnector
from provider_plugins.openexchangerates.simulator import OpenExchangeRatesSimulator
from provider_plugins.opensanctions import OpenSanctionsConnector
from provider_plugins.opensanctions.simulator import OpenSanctionsSimulator


@pytest.fixture(scope="module")
def oxr_sim():
    with OpenExchangeRatesSimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def screen_sim():
    with OpenSanctionsSimulator() as sim:
        yield sim


def test_cross_rates_are_exact_integers(oxr_sim):
    config = ProviderConfig(base_url=oxr_sim.url, credentials={"app_id": oxr_sim.app_id}, timeout_seconds=5)
    connector = OpenExchangeRatesConnector()
    assert connector.rate(config, base="NGN", quote="GHS").rate_e9 == 10_000_000
    assert connector.rate(config, base="GHS", quote="NGN").rate_e9 == 100 * 10**9
    requests.post(f"{oxr_sim.url}/_sim/rates", json={"NGN": "1533.3333333333", "XOF": "601.123456"}, timeout=5)
    try:
        # 601.123456 / 1533.3333333333 = 0.39203703652...: rounded down at the ninth decimal.
        assert connector.rate(config, base="NGN", quote="XOF").rate_e9 == 392_037_036
    finally:
        requests.post(f"{oxr_sim.url}/_sim/rates", json={"NGN": "1500", "XOF": "600"}, timeout=5)
    with pytest.raises(UserFixableError):
        connector.rate(config, base="NGN", quote="ZZZ")
    with pytest.raises(ProviderAuthError):
        connector.rate(ProviderConfig(base_url=oxr_sim.url, credentials={"app_id": "wrong"}), base="NGN", quote="GHS")
    for mode in ("unavailable", "garbage"):
        oxr_sim.set_mode(mode)
        try:
            with pytest.raises(ProviderFault):
                connector.rate(config, base="NGN", quote="GHS")
        finally:
            oxr_sim.set_mode("ok")


def test_screening_matches_and_faults(screen_sim):
    config = ProviderConfig(base_url=screen_sim.url, credentials={"api_key": screen_sim.api_key}, timeout_seconds=5)
    connector = OpenSanctionsConnector()
    clear = connector.screen(config, subjects=[ScreeningSubject("sender", "Ada Obi", "NG"),
                                               ScreeningSubject("recipient", "Kofi Mensah", "GH")])
    assert not clear.hit and set(clear.checked) == {"sender", "recipient"}
    hit = connector.screen(config, subjects=[ScreeningSubject("recipient", "sanctionov viktor", "GH")])
    assert hit.hit and (hit.matches[0].subject, hit.matches[0].caption, hit.matches[0].score) == \
        ("recipient", "Viktor Sanctionov", "0.99")
    near = connector.screen(config, subjects=[ScreeningSubject("recipient", "Ama Blocked", "GH")])
    assert not near.hit  # below the service's threshold (match: false)
    with pytest.raises(ProviderAuthError):
        connector.screen(ProviderConfig(base_url=screen_sim.url, credentials={"api_key": "x"}),
                         subjects=[ScreeningSubject("sender", "Ada Obi")])
    screen_sim.set_mode("unavailable")
    try:
        with pytest.raises(ProviderFault):
            connector.screen(config, subjects=[ScreeningSubject("sender", "Ada Obi")])
    finally:
        screen_sim.set_mode("ok")
