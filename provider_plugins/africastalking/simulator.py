"""A local Africa's Talking SMS API with an outbox, answering like ``api.africastalking.com``.

    python -m provider_plugins.africastalking.simulator --port 8029

* ``POST /version1/messaging`` (form: ``username``, ``to``, ``message``, ``from``, ``bulkSMSMode``; header
  ``apiKey``): 201 with ``SMSMessageData`` (per recipient ``statusCode`` 101 Success, or 403 InvalidPhoneNumber
  for a number that is not ``+`` and 10-15 digits, 405 InsufficientBalance when the balance is spent).
* ``GET /version1/messaging?username=`` (incoming messages: none here), ``GET /version1/user?username=``
  (``UserData.balance``, e.g. ``"NGN 9998.00"``).
* ``GET /outbox`` (HTML), ``GET /outbox.json[?to=+234...]``, ``DELETE /outbox``: what was accepted.
* ``POST /_sim/mode {"mode": ...}``: ``ok``, ``slow`` (1 s), ``timeout`` (sleeps past the client timeout),
  ``unavailable`` (503), ``reject`` (every recipient 403), ``bad_auth`` (401), ``low_balance`` (405),
  ``malformed`` (200 with a body that is not JSON).
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

MODES = {"ok", "slow", "timeout", "unavailable", "reject", "bad_auth", "low_balance", "malformed"}
DEFAULT_USERNAME = "nexustop"
DEFAULT_API_KEY = "atsk_" + "0" * 60 + "simulator"  # the real keys are long hex strings starting with atsk_
STATUS_TEXT = {101: "Success", 403: "InvalidPhoneNumber", 405: "InsufficientBalance"}
COST_MINOR = 220  # 2.20 per message, in the account currency


class AfricasTalkingSimulator(LocalServer):
    thread_name = "africastalking-sim"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, username: str = DEFAULT_USERNAME,
                 api_key: str = DEFAULT_API_KEY, currency: str = "NGN", balance_minor: int = 1_000_000,
                 timeout_sleep: float = 5.0) -> None:
        super().__init__(host=host, port=port)
        self.username, self.api_key, self.currency = username, api_key, currency
        self.balance_minor = balance_minor
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep
        self._messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = [m for m in self._messages if to is None or m["to"] == to]
        return list(reversed(found))

    def _money(self, minor: int) -> str:
        return f"{self.currency} {minor // 100}.{minor % 100:02d}00"

    # --- protocol -----------------------------------------------------------
    def _auth_failure(self, api_key: str, username: str) -> tuple[int, Any, str] | None:
        if self.mode == "bad_auth" or api_key != self.api_key or username != self.username:
            return 401, "The supplied authentication is invalid", "text/plain"
        return None

    def _send(self, form: dict[str, str], api_key: str) -> tuple[int, Any, str]:
        mode = self.mode
        if mode == "slow":
            time.sleep(1.0)
        elif mode == "timeout":
            time.sleep(self.timeout_sleep)
        elif mode == "unavailable":
            return 503, "Service Unavailable", "text/plain"
        refused = self._auth_failure(api_key, form.get("username", ""))
        if refused:
            return refused
        if mode == "malformed":
            return 200, "<html>maintenance</html>", "text/html"
        if not form.get("message") or not form.get("to"):
            return 400, "Request is missing required form field 'to' or 'message'", "text/plain"
        recipients = []
        cost = 0
        for number in [n.strip() for n in form["to"].split(",") if n.strip()]:
            digits = number[1:]
            if mode == "reject" or not (number.startswith("+") and digits.isdigit() and 10 <= len(digits) <= 15):
                code = 403
            elif mode == "low_balance" or self.balance_minor < COST_MINOR:
                code = 405
            else:
                code = 101
            entry: dict[str, Any] = {"statusCode": code, "number": number, "status": STATUS_TEXT[code],
                                     "cost": self._money(COST_MINOR) if code == 101 else "0", "messageId": "None"}
            if code == 101:
                with self._lock:
                    self.balance_minor -= COST_MINOR
                    entry["messageId"] = f"ATXid_{next(self._ids):032x}"
                    self._messages.append({"message_id": entry["messageId"], "to": number,
                                           "from": form.get("from", ""), "sms": form["message"],
                                           "received_at": datetime.now(UTC).isoformat(timespec="seconds")})
                cost += COST_MINOR
            recipients.append(entry)
        sent = sum(1 for r in recipients if r["statusCode"] == 101)
        return 201, {"SMSMessageData": {"Message": f"Sent to {sent}/{len(recipients)} Total Cost: "
                                                   f"{self._money(cost)}", "Recipients": recipients}}, \
            "application/json"

    def _outbox_html(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(m['received_at'])}</td><td>{html.escape(m['to'])}</td>"
                       f"<td>{html.escape(m['from'])}</td><td>{html.escape(m['sms'])}</td></tr>"
                       for m in self.messages())
        return ("<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
                "<title>SMS outbox (Africa's Talking simulator)</title></head><body><h1>SMS outbox</h1>"
                f"<table><tr><th>time (UTC)</th><th>to</th><th>from</th><th>text</th></tr>{rows}</table>"
                "</body></html>")

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                return {key: values[-1] for key, values in parse_qs(raw).items()}

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                if path == "/version1/messaging":
                    status, body, content_type = simulator._send(self._form(), self.headers.get("apiKey", ""))
                    self.reply(status, body, content_type)
                elif path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(self.read_json_object().get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"message": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                else:
                    self.reply(404, "Not Found", "text/plain")

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
                if parsed.path in ("/version1/messaging", "/version1/user"):
                    refused = simulator._auth_failure(self.headers.get("apiKey", ""), query.get("username", ""))
                    if refused:
                        self.reply(*refused)
                    elif parsed.path == "/version1/user":
                        self.reply(200, {"UserData": {"balance": simulator._money(simulator.balance_minor)}})
                    else:
                        self.reply(200, {"SMSMessageData": {"Messages": []}})
                elif parsed.path in ("/", "/outbox"):
                    self.reply(200, simulator._outbox_html(), "text/html; charset=utf-8")
                elif parsed.path == "/outbox.json":
                    self.reply(200, {"messages": simulator.messages(query.get("to"))})
                else:
                    self.reply(404, "Not Found", "text/plain")

            def do_DELETE(self) -> None:
                if urlparse(self.path).path == "/outbox":
                    with simulator._lock:
                        simulator._messages.clear()
                    self.reply(200, {"cleared": True})
                else:
                    self.reply(404, "Not Found", "text/plain")

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Africa's Talking SMS simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8029)
    args = parser.parse_args()
    simulator = AfricasTalkingSimulator(host=args.host, port=args.port).start()
    serve_until_interrupted(simulator,
                            f"Africa's Talking simulator on {simulator.url} (outbox: {simulator.url}/outbox)")


if __name__ == "__main__":
    main()
