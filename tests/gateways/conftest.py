"""Fixtures for gateway plugins: each simulator is a real HTTP server on 127.0.0.1:<free port>,
with a webhook sink (another real server) receiving what the simulator sends."""

from __future__ import annotations

import pytest
import requests

from provider_plugins.simkit.gateway_sim import WebhookSink


@pytest.fixture
def sink():
    receiver = WebhookSink()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def hook():
    """One webhook sink for a whole module (a module-scoped simulator sends its notifications there)."""
    receiver = WebhookSink()
    yield receiver
    receiver.close()


@pytest.fixture
def fault_session():
    """A pooled session that asks the simulator for a fault on every request it sends."""
    def make(mode: str) -> requests.Session:
        session = requests.Session()
        session.headers["X-Simulator-Fault"] = mode
        return session
    return make
