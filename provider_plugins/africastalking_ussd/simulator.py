"""A local Africa's Talking USSD gateway: phones dial a service code, the gateway calls the application.

    python -m provider_plugins.africastalking_ussd.simulator --port 8030      (a phone page at /)

It holds sessions the way the real gateway does (protocol.py cites the public pages):

* A channel maps a service code (``*384*123#``) to the application's callback URL and, optionally, its
  end-of-session notification URL (``POST /_sim/channels``, like creating a channel in the dashboard).
* Each session has an ``ATUid_<32 hex>`` id; every screen POSTs the form fields ``sessionId``,
  ``serviceCode``, ``phoneNumber``, ``networkCode`` and ``text`` (all the inputs so far, ``*``-separated).
* ``CON ...`` waits for the customer, ``END ...`` closes. An HTTP error, an answer that starts otherwise or
  no answer within the application timeout (15 s) fails the session. The customer has 60 s per screen and
  180 s per session (then the session times out), and may hang up at any time.
* When a session is over the gateway POSTs the end-of-session notification (``Success`` after ``END``,
  ``Incomplete`` when the customer hung up or timed out, ``Failed`` on an application error) to the
  notification URL: ``date``, ``sessionId``, ``serviceCode``, ``networkCode``, ``phoneNumber``, ``status``,
  ``cost``, ``durationInMillis``, ``hopsCount``, ``input``, ``lastAppResponse``, ``errorMessage``.
* Host names under ``.localhost`` resolve to 127.0.0.1 (RFC 6761) with the name kept in the Host header, so
  ``http://ng.localhost:8000/...`` reaches a local tenant domain.

Fault modes (``POST /_sim/mode {"mode": ...}``): ``ok``; ``duplicate`` (every screen is sent twice at once,
as a retransmission racing the first: the first answer is shown, the twin's is recorded); ``late_retry``
(after the final answer the last request is sent once more, late, as a gateway retrying would: its answer
is recorded); ``drop_answer`` (the application's answer to the next screen is lost on the way back: the
session fails and the request is resent late, once).

Phone API (JSON; what tests and the phone page use): ``POST /_sim/dial {phoneNumber, serviceCode,
networkCode?}``, ``POST /_sim/sessions/<id>/input {input}``, ``POST /_sim/sessions/<id>/hangup``,
``GET /_sim/sessions/<id>``, ``GET /_sim/notifications[?sessionId=]``, ``POST /_sim/timeouts
{appTimeout, inputTimeout, sessionTimeout}``. A screen: ``{sessionId, status: active|ended|failed|timeout,
message, final}``.
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import requests

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

MODES = {"ok", "duplicate", "late_retry", "drop_answer"}
SANDBOX_NETWORK = "99999"  # Africa's Talking's sandbox network code
APP_ERROR_SCREEN = "Connection problem or invalid MMI code."  # what a handset shows when the session breaks
MAX_SCREEN_CHARS = 182


@dataclass
class Channel:
    service_code: str
    callback_url: str
    events_url: str = ""


@dataclass
class Session:
    id: str
    phone: str
    service_code: str
    network_code: str
    channel: Channel
    started: float
    last_activity: float
    inputs: list[str] = field(default_factory=list)
    status: str = "active"  # active | ended | failed | timeout | hung_up
    message: str = ""
    last_response: str = ""
    hops: int = 0
    error: str = ""
    screens: list[dict[str, Any]] = field(default_factory=list)
    twin_answers: list[str] = field(default_factory=list)
    late_answers: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def screen(self) -> dict[str, Any]:
        return {"sessionId": self.id, "status": self.status, "message": self.message,
                "final": self.status != "active"}

    def as_dict(self) -> dict[str, Any]:
        return {**self.screen(), "phoneNumber": self.phone, "serviceCode": self.service_code, "text": self.text,
                "hops": self.hops, "error": self.error, "screens": list(self.screens),
                "twinAnswers": list(self.twin_answers), "lateAnswers": list(self.late_answers)}


def _target(url: str) -> tuple[str, dict[str, str]]:
    """``url`` to connect to, and the Host header: ``*.localhost`` names are loopback (RFC 6761)."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        netloc = f"127.0.0.1:{parsed.port}" if parsed.port else "127.0.0.1"
        return urlunparse(parsed._replace(netloc=netloc)), {"Host": parsed.netloc}
    return url, {}


class AfricasTalkingUssdSimulator(LocalServer):
    thread_name = "africastalking-ussd-sim"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_timeout: float = 15.0,
                 input_timeout: float = 60.0, session_timeout: float = 180.0, sweep_interval: float = 0.25) -> None:
        super().__init__(host=host, port=port)
        self.app_timeout, self.input_timeout, self.session_timeout = app_timeout, input_timeout, session_timeout
        self.sweep_interval = sweep_interval
        self.mode = "ok"
        self._channels: dict[str, Channel] = {}
        self._sessions: dict[str, Session] = {}
        self._notifications: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self):
        super().start()
        self._stop.clear()
        self._sweeper = threading.Thread(target=self._sweep_forever, name=f"{self.thread_name}-sweeper",
                                         daemon=True)
        self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        super().stop()

    def _sweep_forever(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            self.expire_idle()

    # --- configuration ----------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def register_channel(self, *, service_code: str, callback_url: str, events_url: str = "") -> Channel:
        channel = Channel(service_code, callback_url, events_url)
        with self._lock:
            self._channels[service_code] = channel
        return channel

    def set_timeouts(self, *, app: float | None = None, customer: float | None = None,
                     session: float | None = None) -> None:
        if app is not None:
            self.app_timeout = float(app)
        if customer is not None:
            self.input_timeout = float(customer)
        if session is not None:
            self.session_timeout = float(session)

    # --- the phone side ---------------------------------------------------------------------------
    def dial(self, *, phone: str, service_code: str, network_code: str = SANDBOX_NETWORK) -> dict[str, Any]:
        with self._lock:
            channel = self._channels.get(service_code)
        if channel is None:
            return {"sessionId": "", "status": "failed", "message": "UNKNOWN APPLICATION", "final": True}
        now = time.monotonic()
        session = Session(id=f"ATUid_{secrets.token_hex(16)}", phone=phone, service_code=service_code,
                          network_code=network_code, channel=channel, started=now, last_activity=now)
        with self._lock:
            self._sessions[session.id] = session
        return self._hop(session)

    def reply(self, session_id: str, value: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session is None or session.status != "active":
            return session.screen() if session else {"sessionId": session_id, "status": "failed",
                                                     "message": "", "final": True}
        session.inputs.append(value)
        return self._hop(session)

    def hang_up(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session is not None and session.status == "active":
            self._finish(session, "hung_up", "Incomplete")
        return session.screen() if session else {"sessionId": session_id, "status": "failed", "message": "",
                                                 "final": True}

    def resend(self, session_id: str) -> str:
        """The gateway sending a session's last request again, late (after the session ended): the answer,
        recorded in ``lateAnswers``."""
        session = self._session(session_id)
        if session is None:
            return ""
        late, error = self._ask(session, self._form(session))
        session.late_answers.append(late or error)
        return late or error

    def expire_idle(self, now: float | None = None) -> int:
        """Sessions whose customer stopped answering (or that ran past their length) time out."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s in self._sessions.values() if s.status == "active"
                    and (now - s.last_activity > self.input_timeout or now - s.started > self.session_timeout)]
        for session in idle:
            self._finish(session, "timeout", "Incomplete")
        return len(idle)

    # --- what the simulator saw --------------------------------------------------------------------
    def session(self, session_id: str) -> dict[str, Any] | None:
        session = self._session(session_id)
        return session.as_dict() if session else None

    def notifications(self, session_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(n) for n in self._notifications if session_id is None or n["form"]["sessionId"] == session_id]

    def _session(self, session_id: str) -> Session | None:
        with self._lock:
            return self._sessions.get(session_id)

    # --- the application side ---------------------------------------------------------------------
    def _form(self, session: Session) -> dict[str, str]:
        return {"sessionId": session.id, "serviceCode": session.service_code, "phoneNumber": session.phone,
                "networkCode": session.network_code, "text": session.text}

    def _post(self, url: str, form: dict[str, str], timeout: float) -> tuple[int, str]:
        target, headers = _target(url)
        # One connection per request (the twin of a duplicate runs in another thread at the same time).
        answer = requests.post(target, data=form, headers=headers, timeout=timeout, allow_redirects=False)
        return answer.status_code, answer.text

    def _ask(self, session: Session, form: dict[str, str]) -> tuple[str, str]:
        """(answer text or "", error or "")."""
        try:
            status, body = self._post(session.channel.callback_url, form, self.app_timeout)
        except requests.Timeout:
            return "", "Application response timeout"
        except requests.RequestException:
            return "", "Application unreachable"
        if status != 200:
            return "", f"Application responded with HTTP {status}"
        if not body.startswith(("CON ", "END ")):
            return "", "Invalid application response"
        return body, ""

    def _hop(self, session: Session) -> dict[str, Any]:
        form = self._form(session)
        mode = self.mode
        session.hops += 1
        if mode == "duplicate":
            twin: dict[str, Any] = {}
            thread = threading.Thread(target=lambda: twin.update(zip(("body", "error"), self._ask(session, form),
                                                                     strict=True)))
            thread.start()
            body, error = self._ask(session, form)
            thread.join(self.app_timeout + 1)
            session.twin_answers.append(twin.get("body") or twin.get("error", ""))
        else:
            body, error = self._ask(session, form)
        session.screens.append({"text": form["text"], "answer": body, "error": error})
        if mode == "drop_answer" and not error:
            self.mode = "ok"
            session.last_response, session.error = body, "Answer lost on the network"
            self._finish(session, "failed", "Failed", error=session.error)
            session.late_answers.append(self._ask(session, form)[0])  # the gateway resends it, late
            return session.screen()
        if error:
            session.error = error
            self._finish(session, "failed", "Failed", error=error)
            return session.screen()
        session.last_response = body
        session.last_activity = time.monotonic()
        session.message = body[4:][:MAX_SCREEN_CHARS]
        if body.startswith("END "):
            self._finish(session, "ended", "Success")
            if mode == "late_retry":
                late, _error = self._ask(session, form)
                session.late_answers.append(late)
        return session.screen()

    def _finish(self, session: Session, status: str, notice: str, *, error: str = "") -> None:
        with self._lock:
            if session.status != "active":
                return
            session.status = status
        if status == "failed":
            session.message = APP_ERROR_SCREEN
        elif status in ("timeout", "hung_up"):
            session.message = ""
        self._notify(session, notice, error)

    def _notify(self, session: Session, status: str, error: str) -> None:
        form = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "sessionId": session.id,
            "serviceCode": session.service_code, "networkCode": session.network_code,
            "phoneNumber": session.phone, "status": status, "cost": "0.0000",
            "durationInMillis": str(int((time.monotonic() - session.started) * 1000)),
            "hopsCount": str(session.hops), "input": session.text, "lastAppResponse": session.last_response,
            "errorMessage": error,
        }
        record: dict[str, Any] = {"form": form, "status": None}
        if session.channel.events_url:
            try:
                record["status"] = self._post(session.channel.events_url, form, self.app_timeout)[0]
            except requests.RequestException:
                record["status"] = 0
        with self._lock:
            self._notifications.append(record)

    # --- HTTP ----------------------------------------------------------------------------------------
    def _phone_page(self, screen: dict[str, Any] | None = None, phone: str = "+2348031234567",
                    service_code: str = "") -> str:
        codes = sorted(self._channels)
        options = "".join(f"<option{' selected' if code == service_code else ''}>{html.escape(code)}</option>"
                          for code in codes)
        shown = ""
        if screen:
            shown = (f"<pre>{html.escape(screen.get('message') or '(' + screen.get('status', '') + ')')}</pre>")
            if screen.get("status") == "active":
                shown += ("<form method='post' action='/phone'><input type='hidden' name='sessionId' "
                          f"value='{html.escape(screen['sessionId'])}'><input name='input' autofocus>"
                          "<button>Send</button></form>")
        return ("<!doctype html><html><head><meta charset='utf-8'><title>USSD phone (Africa's Talking "
                "simulator)</title></head><body><h1>USSD phone</h1>"
                "<form method='post' action='/phone'><label>Phone <input name='phoneNumber' "
                f"value='{html.escape(phone)}'></label> <label>Dial <select name='serviceCode'>{options}</select>"
                f"</label> <button>Call</button></form>{shown}</body></html>")

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                raw = self._body()
                if path == "/phone":  # the HTML phone
                    form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
                    if form.get("sessionId"):
                        screen = simulator.reply(form["sessionId"], form.get("input", ""))
                    else:
                        screen = simulator.dial(phone=form.get("phoneNumber", ""),
                                                service_code=form.get("serviceCode", ""))
                    self.reply(200, simulator._phone_page(screen), "text/html; charset=utf-8")
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                body = body if isinstance(body, dict) else {}
                parts = path.strip("/").split("/")
                if path == "/_sim/channels":
                    channel = simulator.register_channel(service_code=str(body.get("serviceCode", "")),
                                                         callback_url=str(body.get("callbackUrl", "")),
                                                         events_url=str(body.get("eventsUrl", "")))
                    self.reply(201, {"serviceCode": channel.service_code})
                elif path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"message": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                elif path == "/_sim/timeouts":
                    simulator.set_timeouts(app=body.get("appTimeout"), customer=body.get("inputTimeout"),
                                           session=body.get("sessionTimeout"))
                    self.reply(200, {"appTimeout": simulator.app_timeout, "inputTimeout": simulator.input_timeout,
                                     "sessionTimeout": simulator.session_timeout})
                elif path == "/_sim/dial":
                    self.reply(200, simulator.dial(phone=str(body.get("phoneNumber", "")),
                                                   service_code=str(body.get("serviceCode", "")),
                                                   network_code=str(body.get("networkCode") or SANDBOX_NETWORK)))
                elif len(parts) == 4 and parts[:2] == ["_sim", "sessions"] and parts[3] == "input":
                    self.reply(200, simulator.reply(parts[2], str(body.get("input", ""))))
                elif len(parts) == 4 and parts[:2] == ["_sim", "sessions"] and parts[3] == "hangup":
                    self.reply(200, simulator.hang_up(parts[2]))
                else:
                    self.reply(404, {"message": "Not Found"})

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
                parts = parsed.path.strip("/").split("/")
                if parsed.path in ("/", "/phone"):
                    self.reply(200, simulator._phone_page(), "text/html; charset=utf-8")
                elif parsed.path == "/_sim/notifications":
                    self.reply(200, {"notifications": simulator.notifications(query.get("sessionId"))})
                elif len(parts) == 3 and parts[:2] == ["_sim", "sessions"]:
                    found = simulator.session(parts[2])
                    self.reply(200 if found else 404, found or {"message": "Not Found"})
                else:
                    self.reply(404, {"message": "Not Found"})

        return Handler


class UssdPhone:
    """A handset driving the simulator over HTTP (its phone API): what tests and scripts use."""

    def __init__(self, simulator_url: str, *, phone: str, network_code: str = SANDBOX_NETWORK,
                 timeout: float = 30.0) -> None:
        self.base, self.phone, self.network_code, self.timeout = simulator_url.rstrip("/"), phone, network_code, timeout
        self.session_id = ""
        self.screen: dict[str, Any] = {}

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = requests.post(f"{self.base}{path}", json=body or {}, timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()

    def dial(self, service_code: str) -> dict[str, Any]:
        self.screen = self._post("/_sim/dial", {"phoneNumber": self.phone, "serviceCode": service_code,
                                                "networkCode": self.network_code})
        self.session_id = self.screen["sessionId"]
        return self.screen

    def send(self, value: str) -> dict[str, Any]:
        self.screen = self._post(f"/_sim/sessions/{self.session_id}/input", {"input": value})
        return self.screen

    def run(self, service_code: str, *inputs: str) -> dict[str, Any]:
        """Dial, then type each input while the session lasts; the last screen."""
        self.dial(service_code)
        for value in inputs:
            if self.screen.get("final"):
                break
            self.send(value)
        return self.screen

    def hang_up(self) -> dict[str, Any]:
        self.screen = self._post(f"/_sim/sessions/{self.session_id}/hangup")
        return self.screen

    def details(self) -> dict[str, Any]:
        answer = requests.get(f"{self.base}/_sim/sessions/{self.session_id}", timeout=self.timeout)
        return answer.json()

    def notifications(self) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.base}/_sim/notifications?{urlencode({'sessionId': self.session_id})}",
                              timeout=self.timeout)
        return answer.json()["notifications"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Africa's Talking USSD gateway simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8030)
    args = parser.parse_args()
    simulator = AfricasTalkingUssdSimulator(host=args.host, port=args.port).start()
    serve_until_interrupted(simulator, f"Africa's Talking USSD simulator on {simulator.url} (phone page: /)")


if __name__ == "__main__":
    main()
