"""Building blocks for provider simulators: real HTTP servers with fault modes.

A simulator is a ``ThreadingHTTPServer`` on ``127.0.0.1`` (port 0 by default)
in a daemon thread. Subclasses declare routes and keep the provider's state:
transactions keyed by the client's request id (idempotent like the real
thing) and a list of *deliveries* (value actually handed to a customer), so a
test can assert "exactly one fulfilment".

Fault modes, chosen per request (``X-Simulator-Fault`` header, or a magic
recipient the subclass recognises) or per run (``sim.set_fault(...)`` or
``POST /__simulator__/fault {"mode": ..., "times": n}``):

* ``latency``: answer normally after ``latency_seconds``.
* ``timeout``: act on the request, then hang ``hang_seconds`` (client times out).
* ``no_response``: act, then close the connection without an answer.
* ``server_error``: answer 500 *without* acting.
* ``pending_then_success``: accept as pending; it becomes delivered after
  ``pending_requeries`` status queries (or when ``resolve_pending()`` is called).
* ``failure``: the provider fails the transaction (final).
* ``duplicate_reply``: act, then answer as if the request id was a duplicate.
* ``garbage``: act, then answer an HTML page instead of JSON.
* ``bad_signature``: callbacks built for this transaction carry a wrong signature.

Simulators are test and demo tools; they never hold real credentials.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .local_server import LocalServer, QuietHandler

__all__ = ["SUFFIX_FAULTS", "Delivery", "FaultMode", "Request", "Response", "SimulatorServer"]

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/__simulator__"
FAULT_HEADER = "X-Simulator-Fault"


class FaultMode(enum.StrEnum):
    NONE = "none"
    LATENCY = "latency"
    TIMEOUT = "timeout"
    NO_RESPONSE = "no_response"
    SERVER_ERROR = "server_error"
    PENDING_THEN_SUCCESS = "pending_then_success"
    FAILURE = "failure"
    DUPLICATE_REPLY = "duplicate_reply"
    GARBAGE = "garbage"
    BAD_SIGNATURE = "bad_signature"


# Generic magic recipients: a phone number ending in one of these suffixes triggers the fault.
SUFFIX_FAULTS: dict[str, FaultMode] = {
    "9990": FaultMode.FAILURE,
    "9991": FaultMode.PENDING_THEN_SUCCESS,
    "9992": FaultMode.TIMEOUT,
    "9993": FaultMode.SERVER_ERROR,
    "9994": FaultMode.DUPLICATE_REPLY,
    "9995": FaultMode.NO_RESPONSE,
    "9996": FaultMode.GARBAGE,
    "9997": FaultMode.LATENCY,
    "9998": FaultMode.BAD_SIGNATURE,
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str -> raw
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[], None] | None = None  # runs before answering (state changes under a fault)


@dataclass(frozen=True)
class Delivery:
    request_id: str
    recipient: str
    amount_minor: int
    product: str
    at: float


class _Abort(Exception):
    """Close the connection without answering."""


class SimulatorServer(LocalServer):
    """Base class: subclass, set ``name``, and implement ``route(request, fault)``."""

    name = "simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency_seconds: float = 0.0,
                 hang_seconds: float = 2.0, pending_requeries: int = 1) -> None:
        super().__init__(host=host, port=port)
        self.thread_name = f"sim-{self.name}"
        self.latency_seconds = latency_seconds
        self.hang_seconds = hang_seconds
        self.pending_requeries = pending_requeries
        self.lock = threading.RLock()
        self.deliveries: list[Delivery] = []
        self.requests_seen: list[tuple[str, str]] = []
        # The ``request_id`` of each JSON request that carries one, in order (which order a POST was about).
        self.request_ids_seen: list[tuple[str, str]] = []
        self._fault = FaultMode.NONE
        self._fault_times: int | None = None
        self._stopping = threading.Event()

    # --- lifecycle (LocalServer) ------------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def _handle(self) -> None:
                simulator._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler

    def stop(self) -> None:
        self._stopping.set()
        super().stop()

    # --- faults ----------------------------------------------------------------------
    def set_fault(self, mode: FaultMode | str, *, times: int | None = None) -> None:
        """Apply ``mode`` to the next ``times`` acting requests (all of them when None)."""
        with self.lock:
            self._fault = FaultMode(mode)
            self._fault_times = times

    def clear_fault(self) -> None:
        self.set_fault(FaultMode.NONE)

    def recipient_fault(self, recipient: str) -> FaultMode:
        """Magic recipients; subclasses may add the provider's own sandbox numbers."""
        digits = "".join(ch for ch in str(recipient) if ch.isdigit())
        return SUFFIX_FAULTS.get(digits[-4:], FaultMode.NONE)

    def take_fault(self, request: Request, recipient: str = "") -> FaultMode:
        """The fault for an *acting* request: header, then magic recipient, then the run setting."""
        header = request.headers.get(FAULT_HEADER.lower())
        if header:
            return FaultMode(header)
        by_recipient = self.recipient_fault(recipient) if recipient else FaultMode.NONE
        if by_recipient != FaultMode.NONE:
            return by_recipient
        with self.lock:
            mode = self._fault
            if mode != FaultMode.NONE and self._fault_times is not None:
                self._fault_times -= 1
                if self._fault_times <= 0:
                    self._fault, self._fault_times = FaultMode.NONE, None
            return mode

    # --- records ---------------------------------------------------------------------
    def record_delivery(self, *, request_id: str, recipient: str, amount_minor: int, product: str) -> None:
        with self.lock:
            self.deliveries.append(Delivery(request_id, recipient, amount_minor, product, time.time()))

    def delivery_count(self, request_id: str) -> int:
        with self.lock:
            return sum(1 for d in self.deliveries if d.request_id == request_id)

    # --- HTTP ------------------------------------------------------------------------
    def route(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply_transport_fault(self, fault: FaultMode, response: Response) -> Response:
        """Shape the answer for transport-level faults after the subclass acted."""
        if fault == FaultMode.TIMEOUT:
            self._stopping.wait(self.hang_seconds)
            return response
        if fault == FaultMode.NO_RESPONSE:
            raise _Abort
        if fault == FaultMode.GARBAGE:
            return Response(200, "<html><body>Service temporarily degraded</body></html>",
                            {"Content-Type": "text/html"})
        if fault == FaultMode.LATENCY:
            time.sleep(self.latency_seconds or 0.05)
        return response

    def _control(self, request: Request) -> Response:
        if request.path == CONTROL_PREFIX + "/fault" and request.method == "POST":
            payload = request.json() or {}
            self.set_fault(payload.get("mode", "none"), times=payload.get("times"))
            return Response(200, {"mode": self._fault.value, "times": self._fault_times})
        if request.path == CONTROL_PREFIX + "/deliveries":
            with self.lock:
                return Response(200, [d.__dict__ for d in self.deliveries])
        return Response(404, {"error": "unknown control endpoint"})

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(handler.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                          {k.lower(): v for k, v in handler.headers.items()}, body)
        request_id = _request_id_of(body) if b'"request_id"' in body else ""
        with self.lock:
            self.requests_seen.append((request.method, request.path))
            if request_id:
                self.request_ids_seen.append((request.path, request_id))
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        try:
            if request.path.startswith(CONTROL_PREFIX):
                response = self._control(request)
            else:
                response = self.route(request)
        except _Abort:
            handler.close_connection = True
            try:
                handler.connection.shutdown(2)
            except OSError:
                pass
            return
        except Exception:  # a simulator bug must look like a provider 500, not hang the client
            logger.exception("simulator %s crashed", self.name)
            response = Response(500, {"error": "internal simulator error"})
        self._write(handler, response)

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: Response) -> None:
        body = response.body
        headers = dict(response.headers)
        if isinstance(body, dict | list):
            raw = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body or b""
        try:
            handler.send_response(response.status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout fault): exactly what a real provider sees


def _request_id_of(body: bytes) -> str:
    """A JSON body's top-level ``request_id`` ("" when there is none or the body is not JSON)."""
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    return str(value.get("request_id") or "") if isinstance(value, dict) else ""

