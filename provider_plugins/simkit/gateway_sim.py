"""Shared machinery for gateway simulators: a real HTTP server in a thread, fault modes,
webhook delivery, and a webhook sink for tests and demos.

Fault modes (``FaultMode``) can be switched

* per run: ``sim.set_fault("timeout", count=2)`` (``count=None``: until cleared; an outcome mode's ``count`` is
  the number of new payments/transfers it applies to: ``set_fault("failure", count=1)`` fails the next one only),
  or over HTTP: ``POST /_simulator/fault {"mode": "timeout", "count": 2}``;
* per reference: ``sim.fault_for("ref-1", "failure")``;
* per request: header ``X-Simulator-Fault: server_error``.

Transport modes act on the HTTP exchange: ``latency`` (answer after ``latency``
seconds), ``timeout`` (process, then hang ``hang`` seconds before answering, so the
client gives up although the provider acted), ``server_error`` (503, nothing done).
Outcome modes decide what happens to a payment or transfer: ``failure``,
``pending_then_success`` (stays pending for ``polls`` status queries), ``reversed``,
``duplicate_webhook`` (each webhook delivered ``duplicates`` times, byte-identical),
``bad_signature`` (webhooks signed with the wrong secret) and ``out_of_order`` (a transfer's
callbacks sent newest first). ``server_error_after`` (act, then 500) and ``malformed`` (act, then
a 200 whose body is not JSON) are transport modes too.
"""

from __future__ import annotations

import enum
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import requests

from .local_server import LocalServer, QuietHandler

__all__ = ["Fault", "FaultMode", "SimRequest", "SimResponse", "SimulatorServer", "WebhookSink"]


class FaultMode(enum.StrEnum):
    LATENCY = "latency"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    FAILURE = "failure"
    PENDING_THEN_SUCCESS = "pending_then_success"
    REVERSED = "reversed"
    DUPLICATE_WEBHOOK = "duplicate_webhook"
    BAD_SIGNATURE = "bad_signature"
    SERVER_ERROR_AFTER = "server_error_after"  # the provider acted, then answered 500
    MALFORMED = "malformed"  # the provider acted, then answered 200 with a body that is not JSON
    OUT_OF_ORDER = "out_of_order"  # a transfer's callbacks delivered newest first (reversal before success)


TRANSPORT_MODES = {FaultMode.LATENCY, FaultMode.TIMEOUT, FaultMode.SERVER_ERROR, FaultMode.SERVER_ERROR_AFTER,
                   FaultMode.MALFORMED}


def _known_mode(value: str) -> FaultMode | None:
    try:
        return FaultMode(value) if value else None
    except ValueError:
        return None


@dataclass
class Fault:
    mode: FaultMode
    count: int | None = None  # run faults: acting requests (transport) or new payments/transfers (outcome) left;
    # None = until cleared
    latency: float = 0.5
    hang: float = 35.0  # longer than the default 30 s client timeout
    polls: int = 2
    duplicates: int = 3
    path: str = ""  # transport faults: only requests whose path fully matches this regex

    @classmethod
    def build(cls, mode: str | FaultMode, **params: Any) -> Fault:
        known = {k: v for k, v in params.items() if k in {"count", "latency", "hang", "polls", "duplicates", "path"}}
        if "count" not in known and params.get("times") is not None:  # the provider simulators' (simkit) word
            known["count"] = params["times"]
        return cls(mode=FaultMode(mode), **known)


@dataclass
class SimRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    groups: tuple[str, ...] = ()

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode()))

    def header(self, name: str) -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return ""


@dataclass
class SimResponse:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str -> HTML; bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[SimRequest], SimResponse]


class SimulatorServer(LocalServer):
    """Subclasses register routes in ``routes()`` and sign webhooks in ``sign_webhook``."""

    name = "simulator"
    unfaulted_prefixes: tuple[str, ...] = ("/_simulator/", "/checkout/", "/payment/")  # control and browser pages

    def __init__(self, *, webhook_url: str = "", host: str = "127.0.0.1", port: int = 0) -> None:
        self.webhook_url = webhook_url
        self.lock = threading.RLock()
        self.deliveries: list[dict[str, Any]] = []
        self.requests_seen: list[tuple[str, str]] = []
        self._run_fault: Fault | None = None
        self._ref_faults: dict[str, Fault] = {}
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        super().__init__(host=host, port=port)
        self.thread_name = f"{self.name}-sim"
        self.route("POST", r"/_simulator/fault", self._control_set_fault)
        self.route("DELETE", r"/_simulator/fault", self._control_clear_fault)
        self.routes()

    # -- lifecycle (LocalServer) -------------------------------------------------
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class _Handler(QuietHandler):
            def _handle(self) -> None:
                simulator._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return _Handler

    # -- routing -----------------------------------------------------------------
    def routes(self) -> None:
        """Register the provider's endpoints with ``self.route``."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"$"), handler))

    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        request = SimRequest(http.command, parsed.path, dict(urllib.parse.parse_qsl(parsed.query)),
                             dict(http.headers.items()), body)
        with self.lock:
            self.requests_seen.append((request.method, request.path))
        control = parsed.path.startswith(self.unfaulted_prefixes)
        transport = None if control else self._transport_fault(request)
        if transport and transport.mode is FaultMode.LATENCY:
            time.sleep(transport.latency)
        if transport and transport.mode is FaultMode.SERVER_ERROR:
            response = SimResponse(503, {"status": False, "message": "Service temporarily unavailable"})
        else:
            response = self._dispatch(request)
        if transport and transport.mode is FaultMode.SERVER_ERROR_AFTER:
            response = SimResponse(500, {"status": False, "message": "Internal server error"})
        elif transport and transport.mode is FaultMode.MALFORMED:
            response = SimResponse(200, b'{"status": tru', {"Content-Type": "application/json"})
        if transport and transport.mode is FaultMode.TIMEOUT:
            time.sleep(transport.hang)
        self._write(http, response)

    def _dispatch(self, request: SimRequest) -> SimResponse:
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                request.groups = tuple(urllib.parse.unquote(g) for g in match.groups())
                try:
                    return handler(request)
                except Exception as exc:  # a simulator bug must look like a provider 500, not hang
                    return SimResponse(500, {"status": False, "message": f"simulator error: {exc}"})
        return SimResponse(405 if path_matched else 404, {"status": False, "message": "Not found"})

    @staticmethod
    def _write(http: BaseHTTPRequestHandler, response: SimResponse) -> None:
        body = response.body
        headers = dict(response.headers)
        if isinstance(body, (dict, list)):
            payload = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            payload = body.encode()
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            payload = body or b""
        try:
            http.send_response(response.status)
            for key, value in headers.items():
                http.send_header(key, value)
            http.send_header("Content-Length", str(len(payload)))
            http.end_headers()
            http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout mode)
            pass

    # -- faults ------------------------------------------------------------------
    def set_fault(self, mode: str | FaultMode, **params: Any) -> None:
        with self.lock:
            self._run_fault = Fault.build(mode, **params)

    def clear_faults(self) -> None:
        with self.lock:
            self._run_fault = None
            self._ref_faults.clear()

    def fault_for(self, reference: str, mode: str | FaultMode, **params: Any) -> None:
        with self.lock:
            self._ref_faults[reference] = Fault.build(mode, **params)

    def _transport_fault(self, request: SimRequest) -> Fault | None:
        header = _known_mode(request.header("X-Simulator-Fault"))
        if header in TRANSPORT_MODES:
            return Fault.build(header)
        with self.lock:
            fault = self._run_fault
            if fault is None or fault.mode not in TRANSPORT_MODES or (
                    fault.path and not re.fullmatch(fault.path, request.path)):
                return None
            return self._spend_run_fault(fault)

    def _spend_run_fault(self, fault: Fault) -> Fault:
        """One use of the run fault (under ``self.lock``): a fault set with ``count`` clears after that many uses,
        transport and outcome modes alike (``{"mode": "failure", "count": 1}`` fails the next payment only)."""
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._run_fault = None
        return fault

    def outcome_plan(self, reference: str, request: SimRequest | None = None) -> Fault | None:
        """The outcome fault for a new payment/transfer, captured when it is created."""
        with self.lock:
            if reference in self._ref_faults:
                return self._ref_faults[reference]
            if self._run_fault and self._run_fault.mode not in TRANSPORT_MODES:
                return self._spend_run_fault(self._run_fault)
        header = _known_mode(request.header("X-Simulator-Fault")) if request else None
        if header and header not in TRANSPORT_MODES:
            return Fault.build(header)
        return None

    def plan_for(self, reference: str, captured: Fault | None) -> Fault | None:
        """A per-reference fault set after creation wins over the plan captured at creation."""
        with self.lock:
            return self._ref_faults.get(reference, captured)

    def _control_set_fault(self, request: SimRequest) -> SimResponse:
        payload = request.json() or {}
        reference = payload.pop("reference", "")
        mode = payload.pop("mode")
        if reference:
            self.fault_for(reference, mode, **payload)
        else:
            self.set_fault(mode, **payload)
        return SimResponse(200, {"ok": True})

    def _control_clear_fault(self, request: SimRequest) -> SimResponse:
        self.clear_faults()
        return SimResponse(200, {"ok": True})

    # -- webhooks ----------------------------------------------------------------
    def sign_webhook(self, body: bytes, *, bad: bool = False) -> dict[str, str]:
        """The provider's signature headers for ``body`` (``bad``: signed wrongly)."""
        return {}

    def build_webhook(self, payload: dict[str, Any], *, bad_signature: bool = False) -> tuple[dict[str, str], bytes]:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **self.sign_webhook(body, bad=bad_signature)}
        return headers, body

    def deliver(self, payload: dict[str, Any], *, plan: Fault | None = None, url: str = "",
                method: str = "POST") -> list[int]:
        """Send one webhook (several identical copies under ``duplicate_webhook``)."""
        target = url or self.webhook_url
        bad = bool(plan and plan.mode is FaultMode.BAD_SIGNATURE)
        copies = plan.duplicates if plan and plan.mode is FaultMode.DUPLICATE_WEBHOOK else 1
        headers, body = self.build_webhook(payload, bad_signature=bad)
        statuses: list[int] = []
        for _ in range(copies):
            status: int | None = None
            if target:
                try:
                    status = requests.request(method, target, data=body, headers=headers, timeout=5).status_code
                except requests.RequestException:
                    status = 0
            with self.lock:
                self.deliveries.append({"url": target, "headers": headers, "body": body, "status": status})
            statuses.append(status or 0)
        return statuses


class WebhookSink(LocalServer):
    """A tiny receiving HTTP server that records every request (method, path, headers, body); started at once."""

    thread_name = "webhook-sink"

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.start()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class _Handler(QuietHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with sink._lock:
                    sink.received.append({"method": self.command, "path": self.path,
                                          "headers": dict(self.headers.items()), "body": body})
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _handle

        return _Handler

    @property
    def url(self) -> str:
        return f"{super().url}/webhook"

    def close(self) -> None:
        self.stop()
