"""Fidelity: the community SDK ``paygate-africa`` (0.1.2; its CinetPay provider speaks payment v2, the one API
our simulator and connector use), pointed at the CinetPay simulator by its documented ``CINETPAY_BASE_URL``
setting only, initialises and checks payments unmodified: ``code`` ``"201"`` -> ``payment_url``, then
``"00"`` / ``ACCEPTED`` for a paid transaction and the simulator's other documented codes otherwise.

CinetPay publishes no Python SDK for payment v2 or Transfer v1. Not used here, with the reason: ``cinetpay-python``
0.1.0 targets another API (JWT from ``/v1/oauth/login`` on api.cinetpay.net, ``/v1/payment``, ``/v1/balances``,
``/v1/transfer``) that docs.cinetpay.com does not describe; ``easyswitch`` 0.1.3 sends ``api_key`` where the
published protocol says ``apikey`` (CinetPay answers 609 AUTH_NOT_FOUND); ``cinetpay`` 0.0.1 checks payments on
``//v2/payment/check`` and has one release."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from paygate_africa.cinetpay.client import CinetPayProvider
from paygate_africa.cinetpay.settings import get_cinetpay_settings

from provider_plugins.cinetpay.simulator import DEFAULT_APIKEY, DEFAULT_SECRET_KEY, DEFAULT_SITE_ID, CinetPaySimulator
from tests.support.waiting import wait_for


def _run(coroutine):
    """The SDK is async: each call runs to completion on a thread of its own, whose event loop is its own (this
    thread's may be running already: a browser test's Playwright keeps one for the session)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class Order:
    """The SDK's ``Transaction`` protocol."""

    id: str
    amount: float
    currency: str = "XOF"
    description: str | None = "Recharge NexusTop"
    user_name: str | None = "Awa Kone"
    user_email: str = "awa@example.test"
    user_phone: str | None = "0707070707"


@pytest.fixture(scope="module")
def sim() -> Iterator[CinetPaySimulator]:
    with CinetPaySimulator() as server:
        yield server


@pytest.fixture
def provider(sim, hook, monkeypatch) -> Iterator[CinetPayProvider]:
    """The SDK configured as its README says, by environment; its settings are cached, so read afresh."""
    for name, value in {"CINETPAY_BASE_URL": f"{sim.url}/v2/", "CINETPAY_API_KEY": DEFAULT_APIKEY,
                        "CINETPAY_SITE_ID": DEFAULT_SITE_ID, "CINETPAY_SECRET_KEY": DEFAULT_SECRET_KEY,
                        "SITE_URL": hook.url.removesuffix("/webhook")}.items():
        monkeypatch.setenv(name, value)
    get_cinetpay_settings.cache_clear()
    yield CinetPayProvider()
    get_cinetpay_settings.cache_clear()


def test_initialise_check_pay_and_check_again(sim, hook, provider):
    order = Order(id=f"NT{uuid.uuid4().hex[:12]}", amount=1000)
    payment_url = _run(provider.initiate_payment(order))
    assert payment_url.startswith(f"{sim.url}/payment/")

    waiting = _run(provider.verify_payment(order.id))
    assert waiting["status"] == "FAILED"  # the SDK's word for anything not paid
    assert (waiting["raw_data"]["code"], waiting["raw_data"]["message"]) == ("662", "WAITING_CUSTOMER_PAYMENT")
    assert waiting["raw_data"]["data"]["status"] == "WAITING_FOR_CUSTOMER"

    sim.complete(order.id)
    paid = _run(provider.verify_payment(order.id))
    assert paid["status"] == "SUCCESS"
    raw = paid["raw_data"]
    assert (raw["code"], raw["message"], raw["data"]["status"]) == ("00", "SUCCES", "ACCEPTED")
    assert (raw["data"]["amount"], raw["data"]["currency"]) == ("1000", "XOF") and raw["data"]["operator_id"]
    notice = wait_for(lambda: next((r for r in hook.received if order.id.encode() in r["body"]), None))
    assert notice["path"] == "/webhooks/cinetpay" and notice["headers"]["x-token"]  # the SDK's notify_url


def test_a_declined_payment_and_the_refusals(sim, provider, monkeypatch):
    order = Order(id=f"NT{uuid.uuid4().hex[:12]}", amount=500)
    _run(provider.initiate_payment(order))
    sim.complete(order.id, approve=False)
    refused = _run(provider.verify_payment(order.id))
    assert refused["status"] == "FAILED" and refused["raw_data"]["data"]["status"] == "REFUSED"
    assert refused["raw_data"]["code"] == "600"

    with pytest.raises(RuntimeError, match="TRANSACTION_EXIST"):
        _run(provider.initiate_payment(order))
    monkeypatch.setenv("CINETPAY_API_KEY", "0000000000000000000000.00000000")
    get_cinetpay_settings.cache_clear()
    with pytest.raises(RuntimeError, match="AUTH_NOT_FOUND"):
        _run(CinetPayProvider().initiate_payment(Order(id=f"NT{uuid.uuid4().hex[:12]}", amount=100)))
