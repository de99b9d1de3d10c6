"""A real local HTTP server speaking the OpenSanctions ``/match/{dataset}`` API.

    python -m provider_plugins.opensanctions.simulator --port 8743

The watch list is a set of names (``POST /_sim/watchlist {"names": [...]}``); a query name matches when,
lower-cased and with its words sorted, it equals a listed name (score 0.99), or shares all but one word
with it (score 0.75, ``match`` false: below the service's threshold). Fault modes (``POST /_sim/mode``):
``ok``, ``unavailable`` (503), ``bad_auth`` (401). ``GET /_sim/queries`` lists the names received.
"""

from __future__ import annotations

import argparse
import itertools
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

MODES = {"ok", "unavailable", "bad_auth"}
DEFAULT_WATCHLIST = ("Viktor Sanctionov", "Ama Blocked Person")


def _words(name: str) -> tuple[str, ...]:
    return tuple(sorted(w for w in "".join(c if c.isalnum() else " " for c in name.lower()).split() if w))


class OpenSanctionsSimulator(LocalServer):
    thread_name = "opensanctions-simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str = "sim-sanctions-key") -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.mode = "ok"
        self.watchlist: list[str] = list(DEFAULT_WATCHLIST)
        self.queries: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def _results(self, names: list[str]) -> list[dict[str, Any]]:
        results = []
        for index, listed in enumerate(self.watchlist):
            target = set(_words(listed))
            for name in names:
                words = set(_words(name))
                if not words:
                    continue
                if words == target:
                    score, match = "0.99", True
                elif len(words & target) >= max(len(target) - 1, 1) and len(words & target) >= 1 and len(target) > 1:
                    score, match = "0.75", False
                else:
                    continue
                results.append({"id": f"NK-sim-{index}", "caption": listed, "schema": "Person", "score": score,
                                "match": match, "datasets": ["sim_sanctions"]})
                break
        return results

    def match(self, body: dict[str, Any], auth: str) -> tuple[int, Any]:
        if self.mode == "unavailable":
            return 503, {"detail": "unavailable"}
        if self.mode == "bad_auth" or auth != f"ApiKey {self.api_key}":
            return 401, {"detail": "Invalid API key"}
        queries = body.get("queries")
        if not isinstance(queries, dict):
            return 400, {"detail": "queries missing"}
        responses: dict[str, Any] = {}
        for key, query in queries.items():
            names = [str(n) for n in ((query or {}).get("properties", {}).get("name") or [])]
            with self._lock:
                self.queries.extend(names)
            # Text scores are written as JSON numbers below (the real API sends floats).
            responses[key] = {"status": 200, "results": self._results(names), "total": {"value": 0}}
        return 200, {"id": f"sim-{next(self._ids)}", "responses": responses}

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.read_json_object()
                if path.startswith("/match/"):
                    status, answer = simulator.match(body, self.headers.get("Authorization", ""))
                    text = _dump(answer)
                    self.reply(status, text)
                elif path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"error": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                elif path == "/_sim/watchlist":
                    with simulator._lock:
                        simulator.watchlist = [str(n) for n in body.get("names", [])]
                    self.reply(200, {"names": simulator.watchlist})
                else:
                    self.reply(404, {"error": "Not found"})

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/_sim/queries":
                    with simulator._lock:
                        self.reply(200, {"queries": list(simulator.queries)})
                elif path == "/health":
                    self.reply(200, {"status": "ok", "mode": simulator.mode})
                else:
                    self.reply(404, {"error": "Not found"})

        return Handler


def _dump(answer: Any) -> str:
    """JSON with scores as numbers (``"score": 0.99``), as the real service writes them."""
    import json
    import re

    return re.sub(r'"score": "([0-9.]+)"', r'"score": \1', json.dumps(answer))


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenSanctions match API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8743)
    parser.add_argument("--api-key", default="sim-sanctions-key")
    args = parser.parse_args()
    simulator = OpenSanctionsSimulator(host=args.host, port=args.port, api_key=args.api_key).start()
    serve_until_interrupted(simulator, f"OpenSanctions simulator on {simulator.url}")


if __name__ == "__main__":
    main()
