"""The transport reads a plain answer without h11 (``transport._Plain``, issue 18) and hands everything else to h11
with what it has read: every answer below, well formed or not, split or whole, gives what h11 alone gives (the
answer or the error, the connection kept or not, what the next exchange on it reads) and the server gets the same
bytes. Raw sockets; each case runs twice, once as it runs and once with h11 from the first byte."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from tenant_apps.orders.dispatch import transport as transport_module
from tenant_apps.orders.dispatch.batch import run_coroutine
from tenant_apps.orders.dispatch.transport import ProviderTransport

CLOSE = None  # in a script: the server closes the connection here
PAUSE = b""  # in a script: the server waits 0.2 s (what it sent before is read alone)
JSON = b'{"code": "000", "content": {"transactions": {"status": "delivered"}}}'


def _ok(body: bytes = JSON, *extra: bytes, version: bytes = b"1.1") -> bytes:
    head = b"HTTP/" + version + b" 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return head + b"".join(line + b"\r\n" for line in extra) + b"\r\n" + body


ZIPPED = gzip.compress(JSON)

# Each case: per request, the pieces the server sends (CLOSE: it closes); two requests on the origin.
CASES: dict[str, list[list[bytes | None]]] = {
    "plain": [[_ok()], [_ok(b"{}")]],
    "plain, byte by byte": [[bytes([b]) for b in _ok()], [_ok()]],
    "plain, head and body apart": [[_ok()[:40], _ok()[40:90], _ok()[90:]], [_ok()]],
    "empty body": [[_ok(b"")], [_ok()]],
    "repeated and odd headers": [[_ok(JSON, b"Set-Cookie: a=1", b"set-cookie: b=2", b"X-Spaces:   padded  \t",
                                      b"X-Empty:", b"X-Obs: caf\xe9")], [_ok()]],
    "gzip": [[_ok(ZIPPED, b"Content-Encoding: gzip")], [_ok()]],
    "broken gzip": [[_ok(b"not gzip", b"Content-Encoding: gzip")], [_ok()]],
    "server says close": [[_ok(JSON, b"Connection: keep-alive, Close"), CLOSE], [_ok()]],
    "HTTP/1.0": [[_ok(JSON, version=b"1.0"), CLOSE], [_ok()]],
    "chunked": [[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"], [_ok()]],
    "until close": [[b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome body", CLOSE], [_ok()]],
    "no length, kept open then closed": [[b"HTTP/1.1 200 OK\r\n\r\nbody", CLOSE], [_ok()]],
    "204": [[b"HTTP/1.1 204 No Content\r\n\r\n"], [_ok()]],
    "304 with a length": [[b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"], [_ok()]],
    "100 then 200": [[b"HTTP/1.1 100 Continue\r\n\r\n", _ok()], [_ok()]],
    "500": [[b"HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nfail"], [_ok()]],
    "no reason phrase": [[b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "same length twice": [[_ok(JSON, b"Content-Length: %d" % len(JSON))], [_ok()]],
    "length as a list": [[b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n{}"], [_ok()]],
    "conflicting lengths": [[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"], [_ok()]],
    "signed length": [[b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}"], [_ok()]],
    "gzip transfer coding": [[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}", CLOSE], [_ok()]],
    "folded header": [[b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "line feeds only": [[b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}"], [_ok()]],
    "a bare line feed inside": [[b"HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "a blank line first": [[b"\r\n" + _ok()], [_ok()]],
    "bad header line": [[b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "space before the colon": [[b"HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "bad status line": [[b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "not HTTP": [[b"SSH-2.0-OpenSSH_9.6\r\n\r\n", CLOSE], [_ok()]],
    "HTTP/2 preface": [[b"HTTP/2 200\r\ncontent-length: 2\r\n\r\n{}"], [_ok()]],
    "more than the length": [[_ok(b"{}") + _ok(b"[]")], [CLOSE]],  # the second answer read with the first
    "body cut short": [[_ok()[:-5], CLOSE], [_ok()]],
    "head cut short": [[_ok()[:30], CLOSE], [_ok()]],
    "closed before answering": [[CLOSE], [_ok()]],
    "a long head": [[b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 12_000 + b"\r\nContent-Length: 2\r\n\r\n{}"], [_ok()]],
    "head too long": [[b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 17_000, PAUSE, b"\r\nContent-Length: 2\r\n\r\n{}",
                       CLOSE], [_ok()]],
}


@contextmanager
def _raw_server(script: list[list[bytes | None]]) -> Iterator[tuple[str, list[bytes]]]:
    """A server answering the n-th request it reads (on whatever connection) with ``script[n]``'s pieces.

    On leaving, it waits for its connections' threads: a client that gave up on a connection early (the answer
    before the request, read with the previous one) may have sent a request the server had not read yet, and
    what the server read is compared between runs."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    answered = [0]
    serving: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while answered[0] < len(script):
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                received.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                pieces = script[answered[0]]
                answered[0] += 1
                for piece in pieces:
                    if piece is CLOSE:
                        return
                    if piece == PAUSE:
                        time.sleep(0.2)
                        continue
                    conn.sendall(piece)
                    if len(pieces) > 1:
                        time.sleep(0.002)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            serving.append(thread)
            thread.start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        listener.close()
        for thread in list(serving):
            thread.join(timeout=5)  # each ends when its client closed the connection (or the script did)


def _run(script: list[list[bytes | None]]) -> tuple[list[tuple], int, list[bytes]]:
    """Two POSTs through one transport: each one's answer (or error), the connections made, what the server read."""
    outcomes: list[tuple] = []
    with _raw_server(script) as (url, received):
        transport = ProviderTransport(limit=1)
        for number in range(2):
            async def send(number: int = number):
                return await transport.send(method="POST", url=f"{url}/api/pay?n={number}",
                                            headers={"Accept": "application/json", "api-key": "k"},
                                            body=b'{"n": %d}' % number, timeout=2.0)
            try:
                answer = run_coroutine(send())
                outcomes.append(("answer", answer.status_code, answer.headers, answer.content))
            except requests.RequestException as exc:
                outcomes.append(("error", type(exc).__name__, str(exc)))
        made = transport.connections_made
        run_coroutine(transport.close())  # the server's threads see their connections end
    port = url.rsplit(":", 1)[1].encode()
    return outcomes, made, [request.replace(b":" + port, b":PORT") for request in received]  # all of it read


@pytest.mark.parametrize("case", list(CASES))
def test_an_answer_read_without_h11_is_what_h11_reads(case, monkeypatch):
    fast = _run(CASES[case])
    with monkeypatch.context() as patched:
        patched.setattr(transport_module, "_request_head", lambda *args: None)  # h11 from the first byte
        with_h11 = _run(CASES[case])
    assert fast == with_h11


def test_plain_answers_are_read_without_h11(monkeypatch):
    """The common answer (and the next on the same connection) never reaches h11's reader."""
    import h11

    def refused(*args, **kwargs):
        raise AssertionError("h11 read a plain answer")

    monkeypatch.setattr(h11.Connection, "next_event", refused)
    outcomes, made, received = _run(CASES["plain"])
    assert [outcome[:2] for outcome in outcomes] == [("answer", 200), ("answer", 200)]
    assert outcomes[0][2] == {"content-type": "application/json", "content-length": str(len(JSON))}
    assert made == 1 and len(received) == 2
    assert received[0].startswith(b"POST /api/pay?n=0 HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n")
    assert received[0].endswith(b"\r\nContent-Length: 8\r\n\r\n{\"n\": 0}")
