"""The purchase bench's load generator against a real HTTP server: every answer counted, pacing kept, and each way
a server ends a body (length, chunked, close) understood."""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nexustop_dev.loadgen import drive, purchase_request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict] = []
    counter = itertools.count()
    connections: set[int] = set()

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        number = next(self.counter)
        self.seen.append({"body": body, "key": self.headers["Idempotency-Key"], "host": self.headers["Host"],
                          "auth": self.headers["Authorization"]})
        self.connections.add(id(self.connection))
        mode = body["recipient_phone"][-1]
        if mode == "9":  # a refusal
            payload = b'{"code": "insufficient_funds"}'
            self.send_response(422)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        payload = json.dumps({"id": f"order-{number}"}).encode()
        self.send_response(202)
        if mode == "7":  # chunked
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(payload) // 2
            for part in (payload[:half], payload[half:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(payload)))
        if mode == "5":  # the server closes after this answer: the client reconnects
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server():
    _Handler.seen = []
    _Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _build(endings: str):
    def build(index: int, counter: int) -> bytes:
        ending = endings[counter % len(endings)]
        return purchase_request(host="bench.localhost", token=f"t{index}", product_id=7,
                                phone=f"08031{index:02d}{counter:04d}{ending}", amount="50.00")
    return build


def test_every_answer_is_counted_whatever_the_body_framing(server):
    result = drive(address=server.server_address, clients=3, seconds=0.6, rate=0, build=_build("01759"))
    total = len(result.accepted) + sum(result.refused.values())
    assert total == len(_Handler.seen) > 20
    assert set(result.refused) == {422}
    refused = sum(1 for seen in _Handler.seen if seen["body"]["recipient_phone"].endswith("9"))
    assert result.refused[422] == refused
    assert len({order for order, _ in result.accepted}) == len(result.accepted)  # chunked bodies parsed whole
    assert {seen["host"] for seen in _Handler.seen} == {"bench.localhost"}
    assert len({seen["key"] for seen in _Handler.seen}) == len(_Handler.seen)  # a fresh key every request
    assert {seen["auth"] for seen in _Handler.seen} == {"Bearer t0", "Bearer t1", "Bearer t2"}


def test_a_paced_drive_keeps_its_rate(server):
    result = drive(address=server.server_address, clients=4, seconds=1.0, rate=40, build=_build("0"))
    assert 36 <= len(result.accepted) <= 44, len(result.accepted)
    assert not result.refused
    assert len(_Handler.connections) == 4  # one keep-alive connection per client


def test_a_server_that_is_gone_is_counted_as_599_not_an_exception():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = sock.getsockname()
    result = drive(address=address, clients=2, seconds=0.2, rate=20, build=_build("0"))
    assert not result.accepted
    assert set(result.refused) == {599} and result.refused[599] >= 2


def test_it_drives_from_a_thread_whose_event_loop_is_running(server):
    import asyncio

    async def inside_a_loop():
        return drive(address=server.server_address, clients=1, seconds=0.2, rate=20, build=_build("0"))

    # On a thread of the test's own: the test runner's thread may itself be running a loop already.
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(result=asyncio.run(inside_a_loop())))
    thread.start()
    thread.join()
    assert 3 <= len(outcome["result"].accepted) <= 5
