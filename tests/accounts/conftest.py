"""Fixtures for accounts and KYC tests: real SMS/KYC simulators over HTTP, a clean Redis DB."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from provider_plugins.kyc_verifier.simulator import KycVerifierSimulator
from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator


@pytest.fixture(scope="session")
def sms_simulator():
    simulator = SmsGatewaySimulator(timeout_sleep=1.5).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="session")
def kyc_simulator():
    simulator = KycVerifierSimulator(timeout_sleep=1.5).start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def providers_on_simulators(settings, sms_simulator, kyc_simulator):
    """Point the SMS gateway and the KYC verifier at the simulators; fault modes reset each test."""
    sms_simulator.set_mode("ok")
    kyc_simulator.set_mode("ok")
    settings.SMS_GATEWAY = {**settings.SMS_GATEWAY, "BASE_URL": sms_simulator.url, "API_KEY": sms_simulator.api_key,
                            "TIMEOUT_SECONDS": 1.0}
    settings.KYC_VERIFIER = {**settings.KYC_VERIFIER, "ENABLED": True, "BASE_URL": kyc_simulator.url,
                             "PARTNER_ID": kyc_simulator.partner_id, "API_KEY": kyc_simulator.api_key,
                             "TIMEOUT_SECONDS": 1.0}
    yield


@pytest.fixture(autouse=True)
def clean_rate_limits():
    """Lockout counters and throttles live in Redis, which test rollbacks do not touch."""
    cache.clear()
    yield
    cache.clear()
