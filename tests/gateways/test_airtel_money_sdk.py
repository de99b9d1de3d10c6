"""Fidelity: the community SDK ``mtn-momo-client`` (2.0.1, module ``momo_api.airtel``: Airtel Money Open API v1
collections, disbursements, enquiry, balance), pointed at the Airtel Money simulator by its ``base_url``
constructor argument only, runs token, USSD push, payment enquiry, disbursement with the RSA-encrypted PIN,
disbursement enquiry and balance unmodified, and reads Airtel's HTTP-200 refusals as its typed errors.

Not used: ``airtelmoney-py`` 1.0.6 speaks Collections v2 (``/merchant/v2/payments/`` with a signed, AES-encrypted
body) and Disbursements v2, which the simulator does not model; ``pyairtel`` 0.1.1 has no base URL setting (sandbox
or production host only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from momo_api.airtel.api import AirtelApi
from momo_api.airtel.config import AirtelConfig
from momo_api.exceptions import MomoException
from momo_api.support.airtel_pin import encrypt_airtel_pin

from provider_plugins.airtel_money.simulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PIN,
    AirtelMoneySimulator,
)
from tests.support.waiting import wait_for

MARKET = {"country": "NE", "currency": "XOF"}


@pytest.fixture(scope="module")
def sim() -> Iterator[AirtelMoneySimulator]:
    with AirtelMoneySimulator(approve_delay=0.01, disburse_delay=0.01) as server:
        yield server


@pytest.fixture
def api(sim) -> AirtelApi:
    return AirtelApi(sim.url)  # the only change: where the SDK sends its requests


def test_collection_push_and_enquiry(sim, api):
    collection = api.get_collection(AirtelConfig.collection(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, **MARKET))
    external_id = collection.request_to_pay("1500", "22790123456", reference="nexustop-sdk")  # +227: national sent
    assert sim.payments[external_id]["msisdn"] == "90123456"
    done = wait_for(lambda: (t := collection.get_payment_status(external_id)).status != "TIP" and t)
    assert done.id == external_id and done.is_successful() and done.airtel_money_id
    assert collection.get_balance().currency == "XOF"


def test_a_push_to_no_wallet_fails_and_an_unknown_id_is_not_found(api):
    collection = api.get_collection(AirtelConfig.collection(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, **MARKET))
    external_id = collection.request_to_pay("100", "90120000", reference="nexustop-sdk")
    failed = wait_for(lambda: (t := collection.get_payment_status(external_id)).status != "TIP" and t)
    assert failed.is_failed()
    with pytest.raises(MomoException):
        collection.get_payment_status(str(uuid.uuid4()))


def test_disbursement_with_the_encrypted_pin_enquiry_and_balance(sim, api):
    pin = encrypt_airtel_pin(DEFAULT_PIN, sim.public_key)
    disbursement = api.get_disbursement(AirtelConfig.disbursement(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, pin,
                                                              **MARKET))
    before = float(disbursement.get_balance().available_balance)
    external_id = disbursement.transfer("2500", "90123456", reference="nexustop-payout")
    assert sim.pin_checks[-1] is True
    done = wait_for(lambda: (t := disbursement.get_transfer_status(external_id)).status != "TIP" and t)
    assert done.id == external_id and done.is_successful()
    assert float(disbursement.get_balance().available_balance) == before - 2500


def test_a_wrong_pin_is_refused_as_the_sdk_reads_airtel_refusals(sim, api):
    wrong = encrypt_airtel_pin("9999", sim.public_key)
    disbursement = api.get_disbursement(AirtelConfig.disbursement(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, wrong,
                                                              **MARKET))
    with pytest.raises(MomoException) as refused:
        disbursement.transfer("100", "90123456", reference="nexustop-payout")
    assert "Invalid PIN" in str(refused.value) or "DP00900001004" in str(refused.value)
