"""The rate source's and the sanctions screener's fault modes over real HTTP (their simulators): each fault is
the interface's error (timeout, unavailable, protocol), never a rate or a "clear" read from garbage; the quote
API answers 503 in the platform's error shape (never a 500), writes no quote and holds nothing; neither the
errors nor the log carry the key, the app id or a screened name."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django_tenants.utils import schema_context

from provider_plugins.interfaces.common import (
    ProviderConfig,
    ProviderError,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.sanctions import ScreeningSubject
from provider_plugins.openexchangerates import OpenExchangeRatesConnector
from provider_plugins.openexchangerates.simulator import OpenExchangeRatesSimulator
from provider_plugins.opensanctions import OpenSanctionsConnector
from provider_plugins.opensanctions.simulator import OpenSanctionsSimulator
from tests.remittances.helpers import assert_reconciled, funded, quote
from tests.wallet.helpers import balance_of

CLIENT_TIMEOUT, SIM_SLEEP = 0.5, 1.5
OXR_FAULTS = {"timeout": ProviderTimeout, "unavailable": ProviderUnavailable, "malformed": ProviderProtocolError,
              "garbage": ProviderProtocolError, "bad_rates": ProviderProtocolError}
SANCTIONS_FAULTS = {"timeout": ProviderTimeout, "unavailable": ProviderUnavailable,
                    "malformed": ProviderProtocolError, "wrong_shape": ProviderProtocolError,
                    "partial": ProviderProtocolError}
SENDER, RECIPIENT = "Ada Obi", "Kofi Mensah"


@pytest.fixture(scope="module")
def oxr_faulty():
    with OpenExchangeRatesSimulator(app_id="oxr-secret-app-id", timeout_sleep=SIM_SLEEP) as sim:
        yield sim


@pytest.fixture(scope="module")
def sanctions_faulty():
    with OpenSanctionsSimulator(api_key="sanctions-secret-key", timeout_sleep=SIM_SLEEP) as sim:
        yield sim


def _no_secrets(exc: ProviderError, *secrets: str) -> None:
    said = f"{exc} {exc.code} {exc.provider_code} {exc!r}".lower()
    for secret in secrets:
        assert secret.lower() not in said, (secret, said)


@pytest.mark.parametrize("mode", sorted(OXR_FAULTS))
def test_rate_source_faults_are_the_interfaces_errors(oxr_faulty, mode):
    config = ProviderConfig(base_url=oxr_faulty.url, credentials={"app_id": oxr_faulty.app_id},
                            timeout_seconds=CLIENT_TIMEOUT)
    oxr_faulty.set_mode(mode)
    try:
        with pytest.raises(OXR_FAULTS[mode]) as caught:
            OpenExchangeRatesConnector().rate(config, base="NGN", quote="GHS")
    finally:
        oxr_faulty.set_mode("ok")
    _no_secrets(caught.value, oxr_faulty.app_id)
    assert OpenExchangeRatesConnector().rate(config, base="NGN", quote="GHS").rate_e9 == 10_000_000


@pytest.mark.parametrize("mode", sorted(SANCTIONS_FAULTS))
def test_screening_faults_are_the_interfaces_errors_never_clear(sanctions_faulty, mode):
    config = ProviderConfig(base_url=sanctions_faulty.url, credentials={"api_key": sanctions_faulty.api_key},
                            timeout_seconds=CLIENT_TIMEOUT)
    subjects = [ScreeningSubject("sender", SENDER, "NG"), ScreeningSubject("recipient", RECIPIENT, "GH")]
    sanctions_faulty.set_mode(mode)
    try:
        with pytest.raises(SANCTIONS_FAULTS[mode]) as caught:
            OpenSanctionsConnector().screen(config, subjects=subjects)
    finally:
        sanctions_faulty.set_mode("ok")
    _no_secrets(caught.value, sanctions_faulty.api_key, SENDER, RECIPIENT)
    clear = OpenSanctionsConnector().screen(config, subjects=subjects)
    assert not clear.hit and set(clear.checked) == {"sender", "recipient"}


def test_a_partial_answer_fails_even_for_a_listed_name_answered_in_the_same_batch(sanctions_faulty):
    """yente answers each query on its own: one entry failing (``PartialErrorResponse``) fails the screen."""
    config = ProviderConfig(base_url=sanctions_faulty.url, credentials={"api_key": sanctions_faulty.api_key},
                            timeout_seconds=CLIENT_TIMEOUT)
    sanctions_faulty.set_mode("partial")
    try:
        with pytest.raises(ProviderProtocolError):
            OpenSanctionsConnector().screen(config, subjects=[ScreeningSubject("sender", SENDER, "NG"),
                                                              ScreeningSubject("recipient", RECIPIENT, "GH")])
    finally:
        sanctions_faulty.set_mode("ok")


def _faulty_quote(settings, sim, mode: str, caplog) -> tuple[Any, Any]:
    for name in ("REMITTANCE_RATE_SOURCE", "REMITTANCE_SANCTIONS"):
        setattr(settings, name, {**getattr(settings, name), "TIMEOUT_SECONDS": CLIENT_TIMEOUT})
    sender = funded("ng", 1_500_000)
    sleep, sim.timeout_sleep = sim.timeout_sleep, SIM_SLEEP
    sim.set_mode(mode)
    try:
        with caplog.at_level(logging.INFO):  # urllib3's debug lines carry the URL (see docs/remittances.md)
            answer = quote(sender, recipient_phone="+233244123456", recipient_name=RECIPIENT)
    finally:
        sim.set_mode("ok")
        sim.timeout_sleep = sleep
    return sender, answer


def _nothing_written(sender, caplog, *secrets: str) -> None:
    from tenant_apps.ledger.models import Hold
    from tenant_apps.remittances.models import Quote, Remittance

    with schema_context("ng"):
        assert not Quote.objects.filter(user=sender).exists()
        assert not Remittance.objects.filter(sender=sender).exists()
        assert not Hold.objects.filter(wallet__owner=sender).exists()
    assert balance_of(sender, "ng") == 1_500_000
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records).lower()
    for secret in secrets:
        assert secret.lower() not in logged, secret
    assert_reconciled()


@pytest.mark.django_db
@pytest.mark.parametrize("mode", sorted(OXR_FAULTS))
def test_a_faulty_rate_source_refuses_the_quote_with_a_503(remit, settings, caplog, mode):
    """No last-good-rate cache exists: the quote is refused (503 ``rate_unavailable``), never priced from garbage."""
    sender, answer = _faulty_quote(settings, remit, mode, caplog)
    assert answer.status_code == 503, answer.content
    assert answer.json()["error"]["code"] == "rate_unavailable"
    _nothing_written(sender, caplog, remit.app_id)


@pytest.mark.django_db
@pytest.mark.parametrize("mode", sorted(SANCTIONS_FAULTS))
def test_an_unclear_screen_is_never_clear_the_quote_is_refused(remit, sanctions_sim, settings, caplog, mode):
    """Timeout, 5xx, a body that is not JSON, entries without results, one query failed: 503
    ``screening_unavailable``, no quote (so nothing can be accepted, held or paid out)."""
    sender, answer = _faulty_quote(settings, sanctions_sim, mode, caplog)
    assert answer.status_code == 503, answer.content
    assert answer.json()["error"]["code"] == "screening_unavailable"
    _nothing_written(sender, caplog, sanctions_sim.api_key, SENDER, RECIPIENT)
