"""OnePipe v2 connector against the OnePipe simulator over real HTTP: signed, encrypted requests; account and
BVN lookups; disburse with its fault modes (timeout, 5xx, failure, pending then success, malformed, low balance)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest
import requests
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from provider_plugins.interfaces.common import (
    InvalidAmount,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.kyc import KycCheckRequest, KycMatch
from provider_plugins.interfaces.payouts import InvalidAccount, TransferRequest
from provider_plugins.onepipe import PLUGIN, OnePipeConnector
from provider_plugins.onepipe.crypto import decrypt_secure, encrypt_secure, signature
from provider_plugins.onepipe.simulator import OnePipeSimulator

API_KEY, SECRET = "op_key_test", "op_secret_test"
onepipe = OnePipeConnector()


@pytest.fixture(scope="module")
def sim():
    with OnePipeSimulator(api_key=API_KEY, secret=SECRET) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(sim):
    yield
    sim.clear_faults()
    sim.malformed_next = 0


def config_for(sim, *, timeout: float = 2.0, secret: str = SECRET) -> ProviderConfig:
    return ProviderConfig(base_url=sim.url, credentials={"api_key": API_KEY, "secret": secret},
                          timeout_seconds=timeout, options={"auth_provider": "Polaris", "mock_mode": "Inspect"})


def payout(sim, *, amount=50_000, reference=None, account="0123456789", bank="058", config=None):
    request = TransferRequest(amount_minor=amount, currency="NGN", reference=reference or "po_" + uuid.uuid4().hex,
                              bank_code=bank, account_number=account, account_name="ADA OBI LOVELACE",
                              narration="NexusTop payout")
    return request, onepipe.initiate_transfer(request, config=config or config_for(sim))


def test_secure_element_and_signature_are_as_documented():
    # Key: MD5 of the secret in UTF-16LE, extended to 24 bytes with its first 8; DESede/CBC, zero IV, PKCS5.
    digest = hashlib.md5("s3cret".encode("utf-16-le")).digest()
    padder = padding.PKCS7(64).padder()
    data = padder.update(b"0123456789;058") + padder.finalize()
    encryptor = Cipher(TripleDES(digest + digest[:8]), modes.CBC(b"\0" * 8)).encryptor()
    expected = base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()
    assert encrypt_secure("0123456789;058", "s3cret") == expected
    assert decrypt_secure(expected, "s3cret") == "0123456789;058" and decrypt_secure(expected, "other") is None
    # The Java sample of OnePipe's page encrypts UTF-16LE text: read as well.
    padder = padding.PKCS7(64).padder()
    wide = padder.update("22212345678".encode("utf-16-le")) + padder.finalize()
    encryptor = Cipher(TripleDES(digest + digest[:8]), modes.CBC(b"\0" * 8)).encryptor()
    assert decrypt_secure(base64.b64encode(encryptor.update(wide) + encryptor.finalize()).decode(),
                          "s3cret") == "22212345678"
    assert signature("123;abc", "s") == hashlib.md5(b"123;abc;s").hexdigest()


def test_requests_are_authenticated_and_request_refs_never_reused(sim):
    with pytest.raises(ProviderAuthError):
        onepipe.resolve_account(config=config_for(sim, secret="wrong"), bank_code="058", account_number="0123456789")
    body: dict[str, Any] = {"request_ref": "fixed-ref-1", "request_type": "lookup_account_min",
            "auth": {"type": "bank.account", "secure": encrypt_secure("0123456789;058", SECRET),
                     "auth_provider": "Polaris"}, "transaction": {"transaction_ref": "t1"}}
    headers = {"Authorization": f"Bearer {API_KEY}", "Signature": signature("fixed-ref-1", SECRET)}
    first = requests.post(sim.url + "/v2/transact", json=body, headers=headers, timeout=2)
    assert first.status_code == 200 and first.json()["data"]["provider_response"]["account_name"] == \
        "ADA OBI LOVELACE"
    again = requests.post(sim.url + "/v2/transact", json=body, headers=headers, timeout=2)
    assert again.status_code == 400 and again.json()["status"] == "Failed"
    assert "0123456789" not in str(sim.lookups)  # the simulator keeps last digits only


def test_account_lookups_and_bank_list(sim):
    config = config_for(sim)
    name = onepipe.resolve_account(config=config, bank_code="058", account_number="0123456789")
    assert name.account_name == "ADA OBI LOVELACE"
    with pytest.raises(InvalidAccount):
        onepipe.resolve_account(config=config, bank_code="058", account_number="9912345678")
    full = onepipe.lookup_account_max(config=config, bank_code="044", account_number="1234567890")
    assert full["account_number"] == "1234567890" and full["bank_name"] == "Access Bank"
    banks = onepipe.list_banks(config=config, country="NG")
    assert ("058", "Guaranty Trust Bank") in {(b.code, b.name) for b in banks}
    assert onepipe.list_banks(config=config, country="GH") == []
    assert PLUGIN.key == "onepipe" and set(PLUGIN.capabilities) == {"payouts", "kyc"}


def test_bvn_lookup_for_kyc(sim):
    config = config_for(sim)
    sim.register_identity("22212345678", first_name="Chidi", last_name="Okeke")
    check = KycCheckRequest(country="NG", scheme="bvn", number="22212345678", reference="k1", user_reference="u1",
                            first_name="Chidi", last_name="Okeke")
    assert onepipe.check(config, check).match is KycMatch.MATCH
    wrong = KycCheckRequest(country="NG", scheme="bvn", number="22212345678", first_name="Ada", last_name="Okeke")
    assert onepipe.check(config, wrong).match is KycMatch.NO_MATCH
    unknown = onepipe.check(config, KycCheckRequest(country="NG", scheme="bvn", number="22212340000"))
    assert unknown.match is KycMatch.NO_MATCH and "22212340000" not in str(unknown)
    bare = onepipe.check(config, KycCheckRequest(country="NG", scheme="nin", number="12345678901"))
    assert bare.match is KycMatch.MATCH and "12345678901" not in str(bare.raw)
    assert onepipe.supports(country="NG", scheme="bvn") and not onepipe.supports(country="GH", scheme="ghana_card")
    sim.set_fault("server_error", path="/v2/transact")
    with pytest.raises(ProviderUnavailable) as error:
        onepipe.check(config, check)
    assert error.value.code == "provider_unavailable"


def test_disburse_once_per_reference_and_query(sim):
    before = sim.balance
    request, result = payout(sim)
    assert result.status is OutcomeStatus.SUCCESS and result.amount_minor == 50_000 and result.provider_reference
    assert sim.balance == before - 50_000
    # Re-sent with the same reference (a new request_ref): the same transaction, paid once.
    again = onepipe.initiate_transfer(request, config=config_for(sim))
    assert again.status is OutcomeStatus.SUCCESS and sim.balance == before - 50_000
    assert onepipe.transfer_status(config=config_for(sim), reference=request.reference).status is \
        OutcomeStatus.SUCCESS
    missing = onepipe.transfer_status(config=config_for(sim), reference="po_never_sent")
    assert (missing.status, missing.provider_status) == (OutcomeStatus.PENDING, "not_found")


def test_disburse_outcomes_and_faults(sim):
    config = config_for(sim)
    reference = "po_" + uuid.uuid4().hex
    sim.fault_for(reference, "failure")
    assert payout(sim, reference=reference)[1].status is OutcomeStatus.FAILED
    reference = "po_" + uuid.uuid4().hex
    sim.fault_for(reference, "pending_then_success", polls=2)
    assert payout(sim, reference=reference)[1].status is OutcomeStatus.PENDING
    assert onepipe.transfer_status(config=config, reference=reference).status is OutcomeStatus.PENDING
    assert onepipe.transfer_status(config=config, reference=reference).status is OutcomeStatus.SUCCESS
    with pytest.raises(InvalidAccount):
        payout(sim, account="9900000000")
    with pytest.raises(InvalidAmount):
        onepipe.initiate_transfer(TransferRequest(amount_minor=100, currency="GHS", reference="x", bank_code="058",
                                                  account_number="0123456789"), config=config)
    balance, sim.balance = sim.balance, 10
    with pytest.raises(ProviderLowBalance):
        payout(sim)
    sim.balance = balance
    # 5xx after sending / no answer in time / a body that is not OnePipe's: unclear -> PENDING, never FAILED.
    sim.set_fault("server_error", count=1)
    request, result = payout(sim)
    assert result.status is OutcomeStatus.PENDING
    assert onepipe.transfer_status(config=config, reference=request.reference).provider_status == "not_found"
    assert onepipe.initiate_transfer(request, config=config).status is OutcomeStatus.SUCCESS  # re-sent: paid once
    sim.set_fault("timeout", count=1, hang=1.0)
    request, result = payout(sim, config=config_for(sim, timeout=0.3))
    assert result.status is OutcomeStatus.PENDING and result.provider_status == "provider_timeout"
    assert onepipe.transfer_status(config=config, reference=request.reference).status is OutcomeStatus.SUCCESS
    sim.malformed_next = 1
    assert payout(sim)[1].status is OutcomeStatus.PENDING
    sim.malformed_next = 1
    with pytest.raises(ProviderProtocolError):
        onepipe.resolve_account(config=config, bank_code="058", account_number="0123456789")
    sim.set_fault("timeout", count=1, hang=1.0)
    with pytest.raises(ProviderTimeout):
        onepipe.resolve_account(config=config_for(sim, timeout=0.3), bank_code="058", account_number="0123456789")
