"""A real local HTTP server speaking the Termii-shaped SMS API, with an outbox.

    python -m provider_plugins.sms_gateway.simulator --port 8025

* ``POST /api/sms/send``: accept a message (checks ``api_key``; ``to`` is one number
  or an array of at most 100, each 10-15 digits) and answer ``{"code": "ok", "message_id",
  "message_id_str", "message": "Successfully Sent", "balance", "user"}``, as Termii's
  https://developers.termii.com/messaging-api documents.
* ``GET /outbox``: an HTML page listing sent messages, newest first (for people).
* ``GET /outbox.json[?to=+234...]``: the same as JSON (for tests).
* ``DELETE /outbox``: empty it.
* ``POST /_sim/mode`` ``{"mode": "..."}``: fault mode for the next sends:
  ``ok``, ``slow`` (1 s delay), ``timeout`` (sleeps past any sane client timeout),
  ``unavailable`` (503), ``reject`` (400 invalid number), ``bad_auth`` (401),
  ``low_balance`` (402).
"""

from __future__ import annotations

import argparse
import html
import itertools
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

MODES = {"ok", "slow", "timeout", "unavailable", "reject", "bad_auth", "low_balance"}


class SmsGatewaySimulator(LocalServer):
    """Start with ``start()`` (port 0 picks a free one), read ``url``, stop with ``stop()``."""

    thread_name = "sms-simulator"


    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str = "sim-sms-key",
                 timeout_sleep: float = 5.0) -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep
        self.balance = 10_000
        self._messages: list[dict[str, Any]] = []
        self._ids = itertools.count(9_122_821_270_554_876_000)
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = [m for m in self._messages if to is None or m["to"] == to]
        return list(reversed(found))

    # --- protocol -----------------------------------------------------------
    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        mode = self.mode
        if mode == "slow":
            time.sleep(1.0)
        elif mode == "timeout":
            time.sleep(self.timeout_sleep)
        elif mode == "unavailable":
            return 503, {"message": "Service temporarily unavailable"}
        if body.get("api_key") != self.api_key or mode == "bad_auth":
            return 401, {"message": "Invalid API key"}
        if mode == "low_balance":
            return 402, {"message": "Insufficient balance"}
        # ``to`` is one number or, as Termii documents, an array of at most 100.
        raw_to = body.get("to", "")
        recipients = [str(n) for n in raw_to] if isinstance(raw_to, list) else [str(raw_to)]
        if mode == "reject" or not 1 <= len(recipients) <= 100 or not all(
                to.isdigit() and 10 <= len(to) <= 15 for to in recipients):
            return 400, {"message": "Invalid phone number"}
        if not body.get("sms") or not body.get("from"):
            return 400, {"message": "sms and from are required"}
        with self._lock:
            message_id = str(next(self._ids))
            self.balance -= len(recipients)
            received_at = datetime.now(UTC).isoformat(timespec="seconds")
            self._messages.extend({
                "message_id": message_id, "to": "+" + to, "from": body["from"], "sms": body["sms"],
                "channel": body.get("channel", "generic"), "received_at": received_at,
            } for to in recipients)
            balance = self.balance
        return 200, {"code": "ok", "message_id": message_id, "message_id_str": message_id,
                     "message": "Successfully Sent", "balance": balance, "user": "NexusTop Simulator"}

    def _outbox_html(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(m['received_at'])}</td><td>{html.escape(m['to'])}</td>"
            f"<td>{html.escape(m['from'])}</td><td>{html.escape(m['sms'])}</td></tr>"
            for m in self.messages())
        return ("<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
                "<title>SMS outbox (simulator)</title><style>body{font-family:sans-serif}td,th{padding:4px 8px;"
                "border-bottom:1px solid #ddd;text-align:left}</style></head><body>"
                "<h1>SMS outbox</h1><p>Messages the SMS gateway simulator accepted, newest first.</p>"
                f"<table><tr><th>time (UTC)</th><th>to</th><th>from</th><th>text</th></tr>{rows}</table>"
                "</body></html>")

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.read_json_object()
                if path == "/api/sms/send":
                    status, answer = simulator._send(body)
                    self.reply(status, answer)
                elif path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"message": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                else:
                    self.reply(404, {"message": "Not found"})

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path in ("/", "/outbox"):
                    self.reply(200, simulator._outbox_html(), "text/html; charset=utf-8")
                elif parsed.path == "/outbox.json":
                    to = parse_qs(parsed.query).get("to", [None])[0]
                    self.reply(200, {"messages": simulator.messages(to)})
                elif parsed.path == "/health":
                    self.reply(200, {"status": "ok", "mode": simulator.mode})
                else:
                    self.reply(404, {"message": "Not found"})

            def do_DELETE(self) -> None:
                if urlparse(self.path).path == "/outbox":
                    with simulator._lock:
                        simulator._messages.clear()
                    self.reply(200, {"cleared": True})
                else:
                    self.reply(404, {"message": "Not found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="SMS gateway simulator (Termii-shaped API)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--api-key", default="sim-sms-key")
    args = parser.parse_args()
    simulator = SmsGatewaySimulator(host=args.host, port=args.port, api_key=args.api_key).start()
    serve_until_interrupted(simulator, f"SMS simulator on {simulator.url} (outbox: {simulator.url}/outbox)")


if __name__ == "__main__":
    main()
