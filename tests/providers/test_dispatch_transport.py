"""The dispatcher's HTTP/1.1 client (``tenant_apps.orders.dispatch.transport``) over real sockets: TLS verified
against the CA it is given, bodies framed every way a provider may frame them, timeouts, connection reuse and
the per-provider limit. Local servers and the VTPass simulator; no mocks."""

from __future__ import annotations

import gzip
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from provider_plugins.interfaces import AirtimeTopupRequest, OutcomeStatus
from provider_plugins.simkit.simulator import FaultMode
from tenant_apps.orders.dispatch.batch import run_coroutine
from tenant_apps.orders.dispatch.transport import ProviderTransport
from tests.support.tls import write_test_certificates

from .helpers import vtpass_request_id

BODY = b'{"code": "000", "content": "' + b"x" * 3000 + b'"}'


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str, int]]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a path says otherwise

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self) -> None:
        assert isinstance(self.server, _Server)
        self.server.seen.append((self.command, self.path, self.client_address[1]))
        path = self.path.split("?")[0]
        if path == "/hang":
            time.sleep(1.5)
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BODY), 1000):
                piece = BODY[start:start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/until-close":  # no length, no chunks: the body ends when the server closes
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BODY)
            self.close_connection = True
            return
        body, extra = BODY, {}
        if path == "/gzip":
            body, extra = gzip.compress(BODY), {"Content-Encoding": "gzip"}
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        if path == "/then-close":
            self.close_connection = True  # closed as if idle too long, without saying so


@contextmanager
def _server(tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, _Server]]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.seen = []
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://localhost:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


def _send(transport: ProviderTransport, url: str, *, method: str = "GET", body: bytes | None = None,
          timeout: float = 5.0):
    async def main():
        return await transport.send(method=method, url=url, headers={"Accept": "application/json"}, body=body,
                                    timeout=timeout)

    return run_coroutine(main())


def _gather(transport: ProviderTransport, urls: list[str]):
    import asyncio

    async def main():
        return await asyncio.gather(*(transport.send(method="POST", url=url, headers={}, body=b"{}", timeout=5.0)
                                      for url in urls))

    return run_coroutine(main())


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate it signed for localhost (and 127.0.0.1)."""
    return write_test_certificates(tmp_path_factory.mktemp("tls"), dns_names=["localhost"],
                                   ip_addresses=("127.0.0.1",))


def test_https_is_verified_against_the_ca_bundle(certificates):
    """A certificate the default bundle does not trust is refused before anything is sent (nothing sent: the
    connectors fail over); trusted through its CA, the same server answers."""
    ca_path, cert_path, key_path = certificates
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_path, key_path)
    with _server(server_tls) as (url, server):
        untrusting = ProviderTransport(limit=2)  # the CA bundle (certifi) only
        with pytest.raises(requests.ConnectionError) as refused:
            _send(untrusting, f"{url}/json", method="POST", body=b"{}")
        assert "refused" in str(refused.value).lower() and "certificate" in str(refused.value).lower()
        assert server.seen == []  # the request never left
        trusting = ProviderTransport(limit=2, tls=ssl.create_default_context(cafile=str(ca_path)))
        for _ in range(3):
            answer = _send(trusting, f"{url}/json", method="POST", body=b"{}")
            assert answer.status_code == 200 and answer.content == BODY
        assert trusting.connections_made == 1  # kept alive over TLS
        other_name = ProviderTransport(limit=2, tls=ssl.create_default_context(cafile=str(ca_path)))
        with pytest.raises(requests.ConnectionError):  # the certificate does not name this host
            _send(other_name, url.replace("localhost", "127.0.0.2"), method="POST", body=b"{}")
        run_coroutine(trusting.close())


@pytest.mark.parametrize("path", ["/json", "/chunked", "/until-close", "/gzip"])
def test_every_framing_of_a_response_body(path):
    with _server() as (url, _):
        transport = ProviderTransport(limit=2)
        for _ in range(2):
            answer = _send(transport, f"{url}{path}?q=1")
            assert answer.status_code == 200 and answer.content == BODY
        # The server closes after a read-until-close body; every other framing keeps the connection.
        assert transport.connections_made == (2 if path == "/until-close" else 1)
        run_coroutine(transport.close())


def test_a_timeout_is_unclear_and_a_refused_connection_is_nothing_sent():
    with _server() as (url, _):
        transport = ProviderTransport(limit=2)
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            _send(transport, f"{url}/hang", method="POST", body=b"{}", timeout=0.3)
        assert time.monotonic() - started < 1.0
        assert _send(transport, f"{url}/json").status_code == 200  # the timed-out connection was not reused
        assert transport.connections_made == 2
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(requests.ConnectionError, match=r"(?i)refused"):
            _send(transport, f"http://127.0.0.1:{port}/json")


def test_connections_are_reused_within_the_per_provider_limit():
    with _server() as (url, server):
        transport = ProviderTransport(limit=3)
        answers = _gather(transport, [f"{url}/json"] * 12)
        assert [a.status_code for a in answers] == [200] * 12
        assert transport.connections_made == 3  # never more in flight than the limit, each connection reused
        answers = _gather(transport, [f"{url}/json"] * 6)
        assert transport.connections_made == 3 and len({port for _, _, port in server.seen}) == 3
        run_coroutine(transport.close())


def test_a_connection_the_server_closed_while_idle_is_not_used_again():
    """The server drops each connection right after its answer (no ``Connection: close``). Between two
    in-process runs the loop does not run, so the close is unseen: the socket's readability tells it, and the
    next request goes over a new connection instead of failing as unclear."""
    with _server() as (url, _):
        transport = ProviderTransport(limit=2)
        for _ in range(3):
            assert _send(transport, f"{url}/then-close").status_code == 200
            time.sleep(0.05)
        assert transport.connections_made == 3
        run_coroutine(transport.close())


@pytest.fixture
def vtpass_transport(vtpass_sim):
    transport = ProviderTransport(limit=4)
    yield transport
    run_coroutine(transport.close())


def test_the_simulator_over_one_kept_alive_pool(vtpass, vtpass_sim, vtpass_transport):
    """Real top-ups through ``submit_async``: 16 at once through 4 connections; a hang past the connector's
    timeout is pending (never failed)."""
    import asyncio

    def airtime(request_id: str) -> AirtimeTopupRequest:
        return AirtimeTopupRequest(request_id=request_id, recipient_phone="+2348011111111", amount_minor=10_000,
                                   currency="NGN", country="NG", operator_code="mtn")

    ids = [vtpass_request_id() for _ in range(16)]

    async def many():
        return await asyncio.gather(*(vtpass.submit_async(airtime(rid), transport=vtpass_transport) for rid in ids))

    results = run_coroutine(many())
    assert [r.status for r in results] == [OutcomeStatus.SUCCESS] * 16
    assert all(vtpass_sim.delivery_count(rid) == 1 for rid in ids)
    assert vtpass_transport.connections_made <= 4
    vtpass_sim.set_fault(FaultMode.TIMEOUT, times=1)
    hung = run_coroutine(vtpass.submit_async(airtime(vtpass_request_id()), transport=vtpass_transport))
    assert hung.status == OutcomeStatus.PENDING and hung.reason == "timeout"


def test_the_replay_sends_each_exchange_once_and_prepares_it_once(monkeypatch):
    """``replay_async`` over the transport: a call of two exchanges is run three times (stopped at each new one),
    each exchange sent once and prepared once (an answered one, asked again alike, is not prepared again); a
    call whose requests change between rounds is refused."""
    from itertools import count

    from provider_plugins.interfaces import aio

    prepared = []
    original = aio._ReplaySession.prepare_request

    def counting(self, request):
        prepared.append(request.url)
        return original(self, request)

    monkeypatch.setattr(aio._ReplaySession, "prepare_request", counting)
    with _server() as (url, server):
        transport = ProviderTransport(limit=2)

        def call(session):
            first = session.post(f"{url}/json", json={"a": 1}, timeout=5)
            second = session.get(f"{url}/chunked", params={"q": "1"}, timeout=5)
            return first.status_code, second.status_code, second.content

        assert run_coroutine(aio.replay_async(call, transport=transport)) == (200, 200, BODY)
        assert [path for _, path, _ in server.seen] == ["/json", "/chunked?q=1"]
        assert prepared == [f"{url}/json", f"{url}/chunked"]
        rounds = count()

        def changing(session):
            session.get(f"{url}/json", params={"round": str(next(rounds))}, timeout=5)
            return session.get(f"{url}/json", timeout=5)

        with pytest.raises(RuntimeError, match="changed on replay"):
            run_coroutine(aio.replay_async(changing, transport=transport))
        run_coroutine(transport.close())


def test_from_a_thread_whose_loop_runs_every_call_shares_one_loop_and_keeps_the_callers_context():
    """A browser test's thread has Playwright's event loop running for the session: ``run_coroutine`` then runs
    every coroutine on ONE side thread's kept loop (a transport's keep-alive pool made in one call is used by the
    next), with the caller's context (the exchange observer)."""
    import asyncio
    import contextvars

    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")

    async def where() -> tuple[int, str, str]:
        return id(asyncio.get_running_loop()), threading.current_thread().name, marker.get()

    async def failing() -> None:
        raise ValueError("from the side loop")

    async def caller_with_a_running_loop() -> list[tuple[int, str, str]]:
        marker.set("the caller's")
        seen = [run_coroutine(where()) for _ in range(3)]  # blocking calls, as Playwright's thread makes them
        with pytest.raises(ValueError, match="from the side loop"):
            run_coroutine(failing())
        return seen

    results: list[list[tuple[int, str, str]]] = []
    caller = threading.Thread(target=lambda: results.append(asyncio.run(caller_with_a_running_loop())))
    caller.start()  # a thread of its own: this one may have Playwright's loop already (a browser module ran)
    caller.join(timeout=30)
    (seen,) = results
    assert len({loop for loop, _thread, _marker in seen}) == 1
    assert {(thread, value) for _loop, thread, value in seen} == {("dispatch-side-loop", "the caller's")}
