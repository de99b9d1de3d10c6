"""Fixtures for gateway plugins: each simulator is a real HTTP server on 127.0.0.1:<free port>,
with a webhook sink (another real server) receiving what the simulator sends."""

from __future__ import annotations

import time

import pytest
import requests

from provider_plugins.simkit.gateway_sim import WebhookSink


@pytest.fixture
def sink():
    receiver = WebhookSink()
    yield receiver
    receiver.close()


def wait_for(predicate, timeout: float = 3.0):
    """Poll until ``predicate()`` is truthy (webhooks arrive from simulator threads)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def fault_session():
    """A pooled session that asks the simulator for a fault on every request it sends."""
    def make(mode: str) -> requests.Session:
        session = requests.Session()
        session.headers["X-Simulator-Fault"] = mode
        return session
    return make
