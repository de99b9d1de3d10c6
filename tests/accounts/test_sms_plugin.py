"""The SMS connector against its simulator over real HTTP, fault mode by fault mode."""

from __future__ import annotations

import socket

import pytest
import requests

from provider_plugins.interfaces.common import (
    InvalidRecipient,
    OutcomeStatus,
    ProviderAuthError,
    ProviderConfig,
    ProviderLowBalance,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.sms import SmsMessage
from provider_plugins.sms_gateway import PLUGIN
from provider_plugins.sms_gateway.connector import TermiiSmsConnector


@pytest.fixture
def config(sms_simulator):
    return ProviderConfig(base_url=sms_simulator.url, credentials={"api_key": sms_simulator.api_key},
                          timeout_seconds=1.0, options={"sender_id": "NexusTop"})


MESSAGE = SmsMessage(to="+2348030000001", text="hello", reference="ref-1")


def test_plugin_descriptor():
    assert PLUGIN.key == "sms_gateway" and "sms" in PLUGIN.capabilities
    assert PLUGIN.connector("sms") is TermiiSmsConnector


def test_send_lands_in_outbox(config, sms_simulator):
    result = TermiiSmsConnector().send(config, MESSAGE)
    assert result.status == OutcomeStatus.SUCCESS and result.provider_message_id
    outbox = requests.get(f"{sms_simulator.url}/outbox.json", params={"to": "+2348030000001"}, timeout=5).json()
    assert outbox["messages"][0]["sms"] == "hello"
    assert outbox["messages"][0]["message_id"] == result.provider_message_id
    page = requests.get(f"{sms_simulator.url}/outbox", timeout=5)
    assert page.status_code == 200 and "hello" in page.text and "text/html" in page.headers["Content-Type"]


def test_documented_answer_and_array_of_recipients(sms_simulator):
    """Termii takes ``to`` as one number or an array (what community SDKs such as termii-py send) and answers
    ``code``/``message_id``/``message_id_str``/``balance``."""
    sent = requests.post(f"{sms_simulator.url}/api/sms/send", timeout=5, json={
        "to": ["2348030000002", "2348030000003"], "from": "NexusTop", "sms": "both", "type": "plain",
        "channel": "generic", "api_key": sms_simulator.api_key})
    body = sent.json()
    assert sent.status_code == 200 and body["code"] == "ok" and body["message_id_str"] == body["message_id"]
    assert isinstance(body["balance"], int) and body["message"] == "Successfully Sent"
    assert {m["to"] for m in sms_simulator.messages() if m["sms"] == "both"} == {"+2348030000002", "+2348030000003"}
    too_many = requests.post(f"{sms_simulator.url}/api/sms/send", timeout=5, json={
        "to": ["2348030000002"] * 101, "from": "NexusTop", "sms": "x", "type": "plain", "channel": "generic",
        "api_key": sms_simulator.api_key})
    assert too_many.status_code == 400


@pytest.mark.parametrize(("mode", "error"), [
    ("reject", InvalidRecipient), ("unavailable", ProviderUnavailable), ("bad_auth", ProviderAuthError),
    ("low_balance", ProviderLowBalance), ("timeout", ProviderTimeout),
])
def test_fault_modes(config, sms_simulator, mode, error):
    requests.post(f"{sms_simulator.url}/_sim/mode", json={"mode": mode}, timeout=5).raise_for_status()
    before = len(sms_simulator.messages())
    with pytest.raises(error):
        TermiiSmsConnector().send(config, MESSAGE)
    assert len(sms_simulator.messages()) == before


def test_slow_but_in_time(config, sms_simulator):
    sms_simulator.set_mode("slow")
    slow_config = ProviderConfig(base_url=config.base_url, credentials=config.credentials, timeout_seconds=3.0)
    assert TermiiSmsConnector().send(slow_config, MESSAGE).status == OutcomeStatus.SUCCESS


def test_wrong_key_and_unreachable(config):
    bad_key = ProviderConfig(base_url=config.base_url, credentials={"api_key": "nope"}, timeout_seconds=1.0)
    with pytest.raises(ProviderAuthError) as refused:
        TermiiSmsConnector().send(bad_key, MESSAGE)
    assert "nope" not in str(refused.value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = ProviderConfig(base_url=f"http://127.0.0.1:{port}", credentials=config.credentials, timeout_seconds=1.0)
    with pytest.raises(ProviderUnavailable):
        TermiiSmsConnector().send(down, MESSAGE)


def test_simulator_as_a_process(tmp_path):
    """`make run` starts it with `python -m`: it must really serve."""
    import subprocess
    import sys
    import time

    from tests.support.processes import child_env

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "provider_plugins.sms_gateway.simulator", "--port", str(port)],
                            env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
