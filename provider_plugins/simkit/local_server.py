"""The lifecycle every simulator shares: a threaded HTTP server on a daemon thread.

Simulators (telecom, gateways, SMS, KYC) differ in their protocol, never in how
they bind, serve, stop or are used as a context manager; that lives here once.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["LocalServer", "QuietHandler", "serve_until_interrupted"]


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under concurrent clients (1 s retransmits)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self) -> None:
        """A stopped server also drops its keep-alive connections, as a dead provider would."""
        with self._connections_lock:
            connections, self.open_connections = list(self.open_connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive handler that never logs: request lines and bodies can hold OTPs and ID numbers."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive + split header/body writes would hit delayed ACKs

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_json_object(self) -> dict[str, Any]:
        """The request body as a JSON object; ``{}`` when it is empty, not JSON, or not an object."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def reply(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout faults)


class LocalServer:
    """Bind on ``start()`` (port 0 picks a free one), serve on a daemon thread, ``stop()`` once."""

    thread_name = "simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._bind_host, self._bind_port = host, port
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler; it reaches the simulator through a closure."""
        raise NotImplementedError

    def start(self) -> Self:
        self._server = _ThreadingServer((self._bind_host, self._bind_port), self.handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.thread_name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_open_connections()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "simulator not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        assert self._server is not None, "simulator not started"
        return f"http://{self._server.server_address[0]!s}:{self.port}"


def serve_until_interrupted(server: LocalServer, banner: str) -> None:
    """``python -m provider_plugins.<name>.simulator``: serve until Ctrl-C."""
    print(banner, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
