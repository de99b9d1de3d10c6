"""A real local HTTP server speaking the Open Exchange Rates ``/api/latest.json`` API.

    python -m provider_plugins.openexchangerates.simulator --port 8742

The answer is the documented envelope (https://docs.openexchangerates.org/reference/latest-json):
``disclaimer``, ``license``, ``timestamp`` (Unix seconds), ``base`` and ``rates``; errors are the documented
``{"error": true, "status", "message", "description"}`` (https://docs.openexchangerates.org/reference/errors),
``missing_app_id`` / ``invalid_app_id`` with 401, ``not_found`` with 404.

Rates per US dollar are written into the JSON as decimal text (as the real service does). Set them with
``POST /_sim/rates {"NGN": "1500", ...}``; fault modes (``POST /_sim/mode``): ``ok``; ``unavailable``
(503); ``bad_auth`` (401); ``timeout`` (sleeps ``timeout_sleep`` seconds, longer than our client timeout, then
answers); ``malformed`` (200 with an HTML body, not JSON); ``garbage`` (200 JSON without rates); ``bad_rates`` (200,
the envelope right but every rate ``true`` instead of a number). ``GET /_sim/requests`` counts calls.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

DISCLAIMER = "Usage subject to terms: https://openexchangerates.org/terms"
LICENSE = "https://openexchangerates.org/license"
NOT_FOUND = {"error": True, "status": 404, "message": "not_found",
             "description": "Client requested a non-existent resource/route"}
MODES = {"ok", "unavailable", "bad_auth", "timeout", "malformed", "garbage", "bad_rates"}
MALFORMED_BODY = "<html><body><h1>502 Bad Gateway</h1></body></html>"  # a proxy's page, with a 200
# Per US dollar; round figures so the tests' hand computations stay readable.
DEFAULT_RATES = {
    "USD": "1", "NGN": "1500", "GHS": "15", "XOF": "600", "GMD": "70", "GNF": "8600", "LRD": "190",
    "SLE": "22.5", "CVE": "100.5", "MRU": "40",
}


class OpenExchangeRatesSimulator(LocalServer):
    thread_name = "oxr-simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_id: str = "sim-oxr-app",
                 timeout_sleep: float = 15.0) -> None:
        super().__init__(host=host, port=port)
        self.app_id = app_id
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep  # ``timeout``: past the client's (10 s by default)
        self.rates: dict[str, str] = dict(DEFAULT_RATES)
        self.requests = 0
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def latest(self, query: dict[str, list[str]]) -> tuple[int, str]:
        with self._lock:
            self.requests += 1
            rates = dict(self.rates)
        if self.mode == "timeout":
            time.sleep(self.timeout_sleep)
        if self.mode == "unavailable":
            return 503, json.dumps({"error": True, "status": 503, "message": "unavailable",
                                    "description": "The service is temporarily unavailable."})
        app_id = query.get("app_id", [""])[0]
        if not app_id:
            return 401, json.dumps({"error": True, "status": 401, "message": "missing_app_id",
                                    "description": "Client did not provide an App ID"})
        if self.mode == "bad_auth" or app_id != self.app_id:
            return 401, json.dumps({"error": True, "status": 401, "message": "invalid_app_id",
                                    "description": "Invalid App ID provided - please sign up at "
                                                   "https://openexchangerates.org/signup, or contact "
                                                   "support@openexchangerates.org."})
        if self.mode == "garbage":
            return 200, '{"disclaimer": "nothing here"}'
        if self.mode == "malformed":
            return 200, MALFORMED_BODY
        wanted = [s for s in query.get("symbols", [""])[0].split(",") if s]
        chosen = {code: value for code, value in rates.items() if not wanted or code in wanted}
        if self.mode == "bad_rates":
            chosen = dict.fromkeys(chosen, "true")
        body = ", ".join(f'"{code}": {value}' for code, value in sorted(chosen.items()))
        return 200, f'{{"disclaimer": {json.dumps(DISCLAIMER)}, "license": {json.dumps(LICENSE)}, ' \
                    f'"timestamp": {int(time.time())}, "base": "USD", "rates": {{{body}}}}}'

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path == "/api/latest.json":
                    self.reply(*simulator.latest(parse_qs(parsed.query)))
                elif parsed.path == "/_sim/requests":
                    self.reply(200, {"requests": simulator.requests})
                elif parsed.path == "/health":
                    self.reply(200, {"status": "ok", "mode": simulator.mode})
                else:
                    self.reply(404, NOT_FOUND)

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.read_json_object()
                if path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"error": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                elif path == "/_sim/rates":
                    with simulator._lock:
                        simulator.rates.update({str(k): str(v) for k, v in body.items()})
                    self.reply(200, {"rates": simulator.rates})
                else:
                    self.reply(404, {"error": "Not found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Open Exchange Rates simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8742)
    parser.add_argument("--app-id", default="sim-oxr-app")
    args = parser.parse_args()
    simulator = OpenExchangeRatesSimulator(host=args.host, port=args.port, app_id=args.app_id).start()
    serve_until_interrupted(simulator, f"Open Exchange Rates simulator on {simulator.url}")


if __name__ == "__main__":
    main()
