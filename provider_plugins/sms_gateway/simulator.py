"""A real local HTTP server speaking the Termii-shaped SMS API, with an outbox.

    python -m provider_plugins.sms_gateway.simulator --port 8025

* ``POST /api/sms/send``: accept a message (checks ``api_key``; ``to`` is one number
  or an array of at most 100, each 10-15 digits) and answer ``{"code": "ok", "message_id",
  "message_id_str", "message": "Successfully Sent", "balance", "user"}``, as Termii's
  https://developers.termii.com/messaging-api documents.
* ``POST /api/sms/send/bulk``: the same to an array of at most 10,000 numbers (same page).
* ``POST /api/sms/number/send``: from Termii's auto-generated number, no ``from``
  (https://developers.termii.com/number).
* ``GET /api/sender-id?api_key=&page=``: the paginated sender IDs (``current_page``, ``data`` of
  ``{sender_id, status, company, usecase, country, created_at}``, ``per_page``, ``total``...) and
  ``POST /api/sender-id/request`` (https://developers.termii.com/sender-id).
* ``GET /api/get-balance?api_key=``: ``{"user", "balance", "currency"}`` and ``GET /api/sms/inbox?api_key=
  [&message_id=]``: the message history, ``[{sender, receiver, message, amount, reroute, status, sms_type,
  send_by, media_url, message_id, notify_url, notify_id, created_at}]``
  (https://developers.termii.com/events-and-reports).
* ``GET /outbox``: an HTML page listing sent messages, newest first (for people).
* ``GET /outbox.json[?to=+234...]``: the same as JSON (for tests).
* ``DELETE /outbox``: empty it.
* ``POST /_sim/mode`` ``{"mode": "..."}``: fault mode for the next sends:
  ``ok``, ``slow`` (1 s delay), ``timeout`` (sleeps past any sane client timeout),
  ``unavailable`` (503), ``reject`` (400 invalid number), ``bad_auth`` (401),
  ``low_balance`` (402).

Fidelity: tests/accounts/test_termii_sdk_fidelity.py runs the community SDK ``termii-py`` against this server.
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
USER = "NexusTop Simulator"
SENDER_IDS = [("NexusTop", "unblock", "NexusTop", "Payment and PIN notifications"),
              ("NexusPay", "pending", "NexusTop", "Transaction alerts")]
PER_PAGE = 15


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
    def _refusal(self, api_key: Any) -> tuple[int, dict[str, Any]] | None:
        """The fault mode and the key check every call goes through: an answer to give at once, or None."""
        mode = self.mode
        if mode == "slow":
            time.sleep(1.0)
        elif mode == "timeout":
            time.sleep(self.timeout_sleep)
        elif mode == "unavailable":
            return 503, {"message": "Service temporarily unavailable"}
        if api_key != self.api_key or mode == "bad_auth":
            return 401, {"message": "Invalid API key"}
        return None

    def _send(self, body: dict[str, Any], *, most: int = 100, sender: str | None = None) -> tuple[int, dict[str, Any]]:
        """``most``: 100 recipients on /sms/send, 10,000 on /sms/send/bulk; ``sender``: the auto-generated
        number's (/sms/number/send takes no ``from``)."""
        refused = self._refusal(body.get("api_key"))
        if refused:
            return refused
        if self.mode == "low_balance":
            return 402, {"message": "Insufficient balance"}
        # ``to`` is one number or, as Termii documents, an array.
        raw_to = body.get("to", "")
        recipients = [str(n) for n in raw_to] if isinstance(raw_to, list) else [str(raw_to)]
        if self.mode == "reject" or not 1 <= len(recipients) <= most or not all(
                to.isdigit() and 10 <= len(to) <= 15 for to in recipients):
            return 400, {"message": "Invalid phone number"}
        from_ = sender or body.get("from")
        if not body.get("sms") or not from_:
            return 400, {"message": "sms and from are required"}
        with self._lock:
            message_id = str(next(self._ids))
            self.balance -= len(recipients)
            received_at = datetime.now(UTC).isoformat(timespec="seconds")
            self._messages.extend({
                "message_id": message_id, "to": "+" + to, "from": from_, "sms": body["sms"],
                "channel": body.get("channel", "generic"), "received_at": received_at,
            } for to in recipients)
            balance = self.balance
        return 200, {"code": "ok", "message_id": message_id, "message_id_str": message_id,
                     "message": "Successfully Sent", "balance": balance, "user": USER}

    def _sender_ids(self, query: dict[str, str], page_url: str) -> tuple[int, dict[str, Any]]:
        refused = self._refusal(query.get("api_key"))
        if refused:
            return refused
        rows = [{"sender_id": sender, "status": status, "company": company, "usecase": usecase, "country": None,
                 "created_at": "2025-03-03 15:29:02"} for sender, status, company, usecase in SENDER_IDS]
        page = int(query["page"]) if query.get("page", "").isdigit() and int(query["page"]) > 0 else 1
        last = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
        shown = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
        first = (page - 1) * PER_PAGE + 1 if shown else None
        return 200, {"current_page": page, "data": shown, "first_page_url": f"{page_url}?page=1",
                     "from": first, "last_page": last, "last_page_url": f"{page_url}?page={last}",
                     "next_page_url": f"{page_url}?page={page + 1}" if page < last else None, "path": page_url,
                     "per_page": PER_PAGE, "prev_page_url": f"{page_url}?page={page - 1}" if page > 1 else None,
                     "to": first + len(shown) - 1 if first else None, "total": len(rows)}

    def _request_sender_id(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        refused = self._refusal(body.get("api_key"))
        if refused:
            return refused
        sender_id = str(body.get("sender_id", ""))
        if not 3 <= len(sender_id) <= 11 or not body.get("usecase") or not body.get("company"):
            return 422, {"message": "sender_id (3 to 11 characters), usecase and company are required"}
        return 200, {"code": "ok",
                     "message": "Sender Id requested. You will be contacted by your account manager."}

    def _balance(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        refused = self._refusal(query.get("api_key"))
        if refused:
            return refused
        with self._lock:
            return 200, {"user": USER, "balance": self.balance, "currency": "NGN"}

    def _inbox(self, query: dict[str, str]) -> tuple[int, Any]:
        refused = self._refusal(query.get("api_key"))
        if refused:
            return refused
        wanted = query.get("message_id")
        return 200, [{"sender": m["from"], "receiver": m["to"].lstrip("+"), "message": m["sms"], "amount": 1,
                      "reroute": 0, "status": "Delivered", "sms_type": "plain", "send_by": "sender",
                      "media_url": None, "message_id": m["message_id"], "notify_url": None, "notify_id": None,
                      "created_at": m["received_at"].replace("T", " ")[:19]}
                     for m in self.messages() if wanted is None or m["message_id"] == wanted]

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
                    self.reply(*simulator._send(body))
                elif path == "/api/sms/send/bulk":
                    self.reply(*simulator._send(body, most=10_000))
                elif path == "/api/sms/number/send":
                    self.reply(*simulator._send(body, sender="Termii Number"))
                elif path == "/api/sender-id/request":
                    self.reply(*simulator._request_sender_id(body))
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
                query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                if parsed.path == "/api/sender-id":
                    self.reply(*simulator._sender_ids(query, simulator.url + parsed.path))
                elif parsed.path == "/api/get-balance":
                    self.reply(*simulator._balance(query))
                elif parsed.path == "/api/sms/inbox":
                    self.reply(*simulator._inbox(query))
                elif parsed.path in ("/", "/outbox"):
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
