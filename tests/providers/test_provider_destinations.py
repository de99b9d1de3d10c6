"""Every provider call checks the address it connects to (``provider_plugins.interfaces.egress``), sync and async.

A provider's ``base_url`` passed ``validate_endpoint_url`` when it was saved; later its host name resolves to an
internal address (a record changed, DNS rebinding). The call must not reach it: refused when the connection is
made, as a provider fault with nothing sent (the order fails over, as for a connection refused), and logged.
The rule is the one of user-supplied URLs (``OUTBOUND_URLS["ALLOW_LOOPBACK"]``: the test settings let the local
simulators in; ``production_rules`` switches it off as prod.py does). Real sockets and servers; only the resolver
(``socket.getaddrinfo``) is replaced, for the names under ``.rebind.test``.
"""

from __future__ import annotations

import http.server
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from provider_plugins.aggregator import AggregatorConnector
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
from tenant_apps.orders.dispatch.batch import run_coroutine
from tenant_apps.orders.dispatch.calls import outcome_of_error
from tenant_apps.orders.dispatch.transport import ProviderTransport, Transports
from tests.support.tls import write_test_certificates
from tests.support.waiting import wait_for

from .helpers import AGGREGATOR_CREDENTIALS, CLIENT_TIMEOUT, VTPASS_API_KEYS, vtpass_request_id

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


# --- the dispatcher's transport ----------------------------------------------------------------------------------

def _submit(connector, request) -> object:
    """``connector.submit_async`` through the dispatcher's transports; returns the result or the exception."""
    async def main():
        transports = Transports(limit=4)
        try:
            return await connector.submit_async(request, transport=transports.for_provider(1))
        except Exception as exc:  # what call_one hands to outcome_of_error
            return exc
        finally:
            await transports.close()

    return run_coroutine(main())


def _send(transport: ProviderTransport, url: str):
    async def main():
        return await transport.send(method="POST", url=url, headers={}, body=b"{}", timeout=2.0)

    return run_coroutine(main())


def test_the_dispatcher_refuses_a_rebound_host_and_nothing_reaches_it(production_rules, fake_dns, listener, caplog):
    fake_dns[HOST] = [[PUBLIC_IP], ["127.0.0.1"]]
    url = f"https://{HOST}:{listener.port}"
    validate_endpoint_url(url)
    transport = ProviderTransport(limit=2)
    with caplog.at_level(logging.WARNING, logger=egress.__name__), pytest.raises(DestinationRefused):
        _send(transport, f"{url}/api/pay")
    assert transport.connections_made == 0 and listener.untouched()
    assert len(_refusals(caplog)) == 1
    run_coroutine(transport.close())


@pytest.mark.parametrize("plugin", ["vtpass (native send_async)", "aggregator (replayed sync code)"])
def test_a_dispatched_order_to_a_refused_destination_fails_over_like_a_refused_connection(
        plugin, settings, production_rules, fake_dns, listener):
    """The outcome is the one of a connection refused (nothing was sent): FAILED, a provider fault, another
    provider may take the order; never pending, never the user's error."""
    fake_dns[HOST] = [["127.0.0.1"]]

    def connector(url: str):
        if plugin.startswith("vtpass"):
            return _vtpass(url)
        return AggregatorConnector(ProviderConfig(base_url=url, credentials=dict(AGGREGATOR_CREDENTIALS),
                                                  timeout_seconds=CLIENT_TIMEOUT))

    request = _airtime(vtpass_request_id())
    refused = _submit(connector(f"https://{HOST}:{listener.port}"), request)
    assert isinstance(refused, ProviderUnavailable) and refused.code == "provider_destination_refused"
    assert listener.untouched()
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there: a connection refused
    settings.OUTBOUND_URLS = {**settings.OUTBOUND_URLS, "ALLOW_LOOPBACK": True}
    unreachable = _submit(connector(f"http://127.0.0.1:{closed_port}"), request)
    assert isinstance(unreachable, ProviderUnavailable)
    refused_outcome = outcome_of_error(refused, plugin="p", reference="r")
    unreachable_outcome = outcome_of_error(unreachable, plugin="p", reference="r")
    assert refused_outcome.status == unreachable_outcome.status == OutcomeStatus.FAILED
    assert refused_outcome.fault and refused_outcome.failover
    assert (refused_outcome.fault, refused_outcome.failover) == (unreachable_outcome.fault,
                                                                 unreachable_outcome.failover)
    assert refused_outcome.reason == "provider_destination_refused"


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "::ffff:10.0.0.5"])
def test_the_dispatcher_refuses_internal_addresses_where_loopback_is_allowed(address, fake_dns):
    fake_dns[HOST] = [[address]]
    transport = ProviderTransport(limit=2)
    literal = f"[{address}]" if ":" in address else address
    for url in (f"https://{HOST}/api/pay", f"http://{literal}/api/pay"):
        with pytest.raises(DestinationRefused):
            _send(transport, url)
    assert transport.connections_made == 0


def test_the_dispatcher_still_reaches_allowed_hosts_by_name_and_keeps_connections(fake_dns, vtpass_sim):
    """One resolution per connection, none per request: kept-alive connections are reused."""
    fake_dns[HOST] = [["127.0.0.1"]]
    url = vtpass_sim.url.replace("127.0.0.1", HOST).replace("localhost", HOST)

    async def main():
        transports = Transports(limit=1)
        try:
            connector = _vtpass(url)
            results = [await connector.submit_async(_airtime(vtpass_request_id()), transport=transports.for_provider(1))
                       for _ in range(3)]
            return results, transports.for_provider(1).connections_made
        finally:
            await transports.close()

    results, made = run_coroutine(main())
    assert [r.status for r in results] == [OutcomeStatus.SUCCESS] * 3
    assert made == 1 and fake_dns.asked == [HOST]


# --- TLS: connected to the checked address, verified for the name --------------------------------------------------

@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A private CA and a certificate it signed for ``HOST`` only (not for 127.0.0.1)."""
    return write_test_certificates(tmp_path_factory.mktemp("egress-tls"), dns_names=[HOST],
                                   ca_name="egress test CA")


@contextmanager
def _tls_server(tls_files) -> Iterator[tuple[int, list[tuple[str | None, str | None]]]]:
    """An https server on 127.0.0.1 with the certificate for ``HOST``; records (SNI, Host header) per request."""
    _, cert_path, key_path = tls_files
    seen: list[tuple[str | None, str | None]] = []
    sni: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda _sock, name, _ctx: sni.append(name)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((sni[-1] if sni else None, self.headers.get("Host")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_for_the_name_while_connecting_to_the_checked_address(fake_dns, tls_files):
    """Sync and async: SNI, the certificate check and the Host header name the provider's host; the socket goes to
    the address checked for it. The certificate does not name 127.0.0.1, so a client that verified the address it
    connected to would fail; one that resolved the name again would have asked the resolver again."""
    ca_path = str(tls_files[0])
    fake_dns[HOST] = [["127.0.0.1"]]
    with _tls_server(tls_files) as (port, seen):
        url = f"https://{HOST}:{port}/api/pay"
        assert ObservedSession().post(url, json={}, verify=ca_path, timeout=2).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):  # the certifi bundle does not trust the test CA
            ObservedSession().post(url, json={}, timeout=2)
        transport = ProviderTransport(limit=1, tls=ssl.create_default_context(cafile=ca_path))
        assert _send(transport, url).status_code == 200
        run_coroutine(transport.close())
        assert seen == [(HOST, f"{HOST}:{port}")] * 2
        with pytest.raises(requests.exceptions.SSLError):  # by address, the certificate does not match
            ObservedSession().post(f"https://127.0.0.1:{port}/api/pay", json={}, verify=ca_path, timeout=2)
