"""Every provider call checks the address it connects to (``provider_plugins.interfaces.egress``), sync and async.

A provider's ``base_url`` passed ``validate_endpoint_url`` when it was saved; later its host name resolves to an
internal address (a record changed, DNS rebinding). The call must not reach it: refused when the connection is
made, as a provider fault with nothing sent (the order fails over, as for a connection refused), and logged.
The rule is the one of user-supplied URLs (``OUTBOUND_URLS["ALLOW_LOOPBACK"]``: the test settings let the local
simulators in; ``production_rules`` switches it off as prod.py does). Real sockets and servers; only the resolver
(``socket.getaddrinfo``) is replaced, for the names under ``.rebind.test``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from provider_plugins.interfaces import (
    AirtimeTopupRequest,
    OutcomeStatus,
    ProviderConfig,
    ProviderUnavailable,
    egress,
    gateway_http,
)
from provider_plugins.interfaces import http as plugin_http
from provider_plugins.interfaces.egress import DestinationRefused
from provider_plugins.interfaces.observe import ObservedSession, observe_exchanges, observed_session
from provider_plugins.interfaces.sms import SmsMessage
from provider_plugins.sms_gateway.connector import TermiiSmsConnector
from provider_plugins.vtpass import VTPassConnector
from shared_apps.providers.services import validate_endpoint_url
from tests.support.waiting import wait_for

from .helpers import CLIENT_TIMEOUT, VTPASS_API_KEYS, vtpass_request_id

HOST = "provider.rebind.test"
PUBLIC_IP = "93.184.215.14"  # what the name resolved to when the provider was saved
INTERNAL = ["10.0.0.5", "169.254.169.254", "172.16.3.4", "192.168.1.1", "100.64.0.1", "::ffff:169.254.169.254",
            "fd00:ec2::254"]


class Listener:
    """A real server on 127.0.0.1 standing for an internal service: counts every TCP connection it accepts and
    every byte it is sent, answers each request with an HTTP 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                data = conn.recv(65536)
                with self._lock:
                    self.received += data
                if data:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            except OSError:
                pass

    def untouched(self) -> bool:
        """Nothing connected (given a moment: a connection accepted just now is counted by another thread)."""
        time.sleep(0.1)
        return self.connections == 0 and self.received == b""

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def production_rules(settings):
    settings.OUTBOUND_URLS = {**settings.OUTBOUND_URLS, "ALLOW_LOOPBACK": False}


class FakeDns(dict[str, list[list[str]]]):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []  # the names under test asked for, in order


@pytest.fixture
def fake_dns(monkeypatch):
    """``answers[name]``: the successive answers for ``name`` (the last one repeats); other names: the resolver."""
    answers = FakeDns()
    asked = answers.asked
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        asked.append(name)
        queue = answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port), 0, 0))
                if ":" in address else
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))
                for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def _airtime(request_id: str) -> AirtimeTopupRequest:
    return AirtimeTopupRequest(request_id=request_id, recipient_phone="+2348011111111", amount_minor=10_000,
                               currency="NGN", country="NG", operator_code="mtn")


def _vtpass(url: str, session=None) -> VTPassConnector:
    return VTPassConnector(ProviderConfig(base_url=url, credentials=dict(VTPASS_API_KEYS),
                                          timeout_seconds=CLIENT_TIMEOUT, session=session))


def _refusals(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == egress.__name__ and "destination refused" in r.getMessage()]


# --- the sync path: the sessions connectors send with ------------------------------------------------------------

@pytest.mark.parametrize("session", ["core's pooled session", "none given"])
def test_a_host_rebound_to_loopback_is_refused_at_call_time_and_nothing_reaches_it(
        session, production_rules, fake_dns, listener, caplog):
    fake_dns[HOST] = [[PUBLIC_IP], ["127.0.0.1"]]
    url = f"https://{HOST}:{listener.port}"
    validate_endpoint_url(url)  # when it was saved, the name pointed at a public address
    connector = _vtpass(url, observed_session() if session == "core's pooled session" else None)
    with caplog.at_level(logging.WARNING, logger=egress.__name__), pytest.raises(ProviderUnavailable) as refused:
        connector.airtime(_airtime(vtpass_request_id()))
    assert refused.value.code == "provider_destination_refused"  # a provider fault, nothing sent: fail over
    assert fake_dns.asked == [HOST, HOST]  # resolved once at save, once for the connection
    assert listener.untouched()
    [record] = _refusals(caplog)
    assert HOST in record.getMessage() and "127.0.0.1" in record.getMessage()
    assert VTPASS_API_KEYS["api_key"] not in caplog.text and VTPASS_API_KEYS["secret_key"] not in caplog.text
    # The listener was there all along: the same name is served once loopback is allowed (dev, tests, bench).
    socket.create_connection(("127.0.0.1", listener.port)).close()
    wait_for(lambda: listener.connections == 1)


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused_even_where_loopback_is_allowed(address, fake_dns, caplog):
    """The test settings allow loopback (the simulators) and nothing else private: not the metadata service, not
    a private network; an IP literal in the URL is checked the same way, without asking the resolver."""
    fake_dns[HOST] = [[address]]
    literal = f"[{address}]" if ":" in address else address
    for url in (f"https://{HOST}/api/pay", f"https://{literal}/api/pay", f"http://{HOST}/api/pay"):
        with caplog.at_level(logging.WARNING, logger=egress.__name__), pytest.raises(DestinationRefused):
            ObservedSession().post(url, json={}, timeout=1)
    assert fake_dns.asked == [HOST, HOST]  # never for the literal
    assert len(_refusals(caplog)) == 3


def test_one_internal_address_among_the_answers_refuses_the_host(fake_dns, listener):
    fake_dns[HOST] = [["127.0.0.1", "10.0.0.5"]]
    with pytest.raises(DestinationRefused):
        ObservedSession().get(f"http://{HOST}:{listener.port}/", timeout=1)
    assert listener.untouched()


def test_every_plugin_transport_maps_a_refusal_to_nothing_sent(production_rules, fake_dns, listener):
    """``http.send`` (reads and writes), ``gateway_http.call`` (payments, payouts) and a connector with its own
    error handling (SMS, which used bare ``requests`` when given no session): a provider fault, never sent."""
    fake_dns[HOST] = [["127.0.0.1"]]
    config = ProviderConfig(base_url=f"http://{HOST}:{listener.port}", credentials={"api_key": "k" * 32},
                            timeout_seconds=1)
    for write in (True, False):
        with pytest.raises(ProviderUnavailable) as refused:
            plugin_http.send(config, "POST", "/pay", write=write, json_body={})
        assert refused.value.code == "provider_destination_refused"
    with pytest.raises(ProviderUnavailable) as refused:
        gateway_http.call(config, "POST", "/transaction/initialize", json_body={})
    assert refused.value.code == "provider_destination_refused" and refused.value.sent is False
    assert not gateway_http.is_unclear(refused.value)
    with pytest.raises(ProviderUnavailable):
        TermiiSmsConnector().send(config, SmsMessage(to="+2348031234567", text="hello", reference="m-1"))
    assert listener.untouched()


def test_allowed_hosts_still_work_by_name(fake_dns, vtpass_sim):
    """Loopback allowed (the test settings): a name resolving to 127.0.0.1 reaches the simulator; the exchange is
    archived under the name, not the address."""
    fake_dns[HOST] = [["127.0.0.1"]]
    url = vtpass_sim.url.replace("127.0.0.1", HOST).replace("localhost", HOST)
    assert HOST in url
    rid = vtpass_request_id()
    with observe_exchanges() as exchanges:
        result = _vtpass(url, observed_session()).airtime(_airtime(rid))
    assert result.status == OutcomeStatus.SUCCESS and vtpass_sim.delivery_count(rid) == 1
    assert exchanges[0].url.startswith(f"http://{HOST}:")


def test_a_policy_is_required(fake_dns, listener):
    """Outside the platform (no policy installed) a plugin's transport connects nowhere."""
    from shared_apps.core.outbound import destination_refusal

    egress.set_destination_policy(None)
    try:
        with pytest.raises(DestinationRefused, match="no destination policy"):
            ObservedSession().get(f"http://127.0.0.1:{listener.port}/", timeout=1)
    finally:
        egress.set_destination_policy(lambda addresses, tls: destination_refusal(addresses, tls=tls))
    assert listener.untouched()
    assert ObservedSession().get(f"http://127.0.0.1:{listener.port}/", timeout=1).status_code == 200


def test_the_address_rule_is_the_one_of_user_supplied_urls(settings):
    from shared_apps.core.outbound import NOT_PUBLIC, PLAIN_HTTP, destination_refusal

    assert destination_refusal(["127.0.0.1", "::1"], tls=False) == ""  # test settings: loopback allowed
    assert destination_refusal([PUBLIC_IP], tls=True) == ""
    assert destination_refusal([PUBLIC_IP], tls=False) == PLAIN_HTTP
    assert all(destination_refusal([address], tls=True) == NOT_PUBLIC for address in INTERNAL)
    assert destination_refusal([], tls=True) == NOT_PUBLIC
    settings.OUTBOUND_URLS = {**settings.OUTBOUND_URLS, "ALLOW_LOOPBACK": False}
    assert destination_refusal(["127.0.0.1"], tls=True) == NOT_PUBLIC
