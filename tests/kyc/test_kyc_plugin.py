"""The KYC verifier connector against its simulator over real HTTP."""

from __future__ import annotations

import pytest

from provider_plugins.interfaces.common import (
    ProviderAuthError,
    ProviderConfig,
    ProviderTimeout,
    ProviderUnavailable,
    UserFixableError,
)
from provider_plugins.interfaces.kyc import KycCheckRequest, KycMatch
from provider_plugins.kyc_verifier import PLUGIN
from provider_plugins.kyc_verifier.connector import SmileStyleKycConnector


@pytest.fixture
def config(kyc_simulator):
    return ProviderConfig(base_url=kyc_simulator.url, timeout_seconds=1.0,
                          credentials={"partner_id": kyc_simulator.partner_id, "api_key": kyc_simulator.api_key})


def check(config, number="22212345678", scheme="bvn", country="NG", **extra):
    return SmileStyleKycConnector().check(config, KycCheckRequest(country=country, scheme=scheme, number=number,
                                                                  reference="job-1", user_reference="user-1",
                                                                  **extra))


def test_descriptor():
    assert PLUGIN.key == "kyc_verifier" and "kyc" in PLUGIN.capabilities


def test_match_and_no_match(config):
    found = check(config)
    assert found.match == KycMatch.MATCH and found.result_code == "1012" and found.provider_reference
    assert "IDNumber" not in found.raw and "FullName" not in found.raw
    assert "22212345678" not in repr(found)
    assert check(config, number="22212340000").match == KycMatch.NO_MATCH
    assert check(config, first_name="Mismatch").match == KycMatch.NO_MATCH
    assert check(config, number="GHA-712345678-3", scheme="ghana_card", country="GH").match == KycMatch.MATCH
    assert check(config, number="1234567890123", scheme="nin", country="SN").match == KycMatch.MATCH


def test_unsupported_scheme(config):
    assert not SmileStyleKycConnector().supports(country="NG", scheme="passport")
    with pytest.raises(UserFixableError):
        check(config, scheme="passport")


@pytest.mark.parametrize(("mode", "outcome"), [("authority_down", KycMatch.PENDING)])
def test_unclear_answer_is_pending(config, kyc_simulator, mode, outcome):
    kyc_simulator.set_mode(mode)
    assert check(config).match == outcome


@pytest.mark.parametrize(("mode", "error"), [("unavailable", ProviderUnavailable), ("bad_auth", ProviderAuthError),
                                             ("timeout", ProviderTimeout)])
def test_faults(config, kyc_simulator, mode, error):
    kyc_simulator.set_mode(mode)
    with pytest.raises(error) as raised:
        check(config)
    assert "22212345678" not in str(raised.value)


def test_an_answer_not_signed_with_our_key_is_not_believed(config, kyc_simulator):
    """A validated answer signed with another key (or not signed) is a provider fault, never a match."""
    from provider_plugins.interfaces.common import ProviderProtocolError

    assert check(config).match == KycMatch.MATCH
    kyc_simulator.set_mode("forged_answer")
    with pytest.raises(ProviderProtocolError) as raised:
        check(config)
    assert raised.value.provider_code == "answer_signature" and raised.value.raw["ResultCode"] == "1012"


def test_wrong_signature_refused(config):
    wrong = ProviderConfig(base_url=config.base_url, credentials={"partner_id": "1001", "api_key": "forged"})
    with pytest.raises(ProviderAuthError):
        check(wrong)
