"""A real local HTTP server speaking the OpenSanctions (yente) API: match, search, entity fetch, catalog, health.

    python -m provider_plugins.opensanctions.simulator --port 8743

Shapes follow the published API, field for field:

- API reference: https://api.opensanctions.org/ (yente's OpenAPI; ``POST /match/{dataset}``,
  ``GET /search/{dataset}``, ``GET /entities/{entity_id}``, ``GET /catalog``, ``GET /healthz``, ``GET /readyz``).
- Matching guide: https://www.opensanctions.org/docs/api/matching/ and the quickstart
  https://www.opensanctions.org/docs/api/quickstart/ (``Authorization: ApiKey <key>``, ``{"queries": {...}}``,
  ``responses[<key>].results``).
- Response models: yente ``yente/data/common.py`` (github.com/opensanctions/yente): ``EntityMatchResponse``
  ``{"responses": {key: {"status", "results", "total", "query"}}, "limit"}``; ``ScoredEntityResponse`` = entity
  (``id, caption, schema, properties, datasets, referents, target, first_seen, last_seen, last_change``) plus
  ``score``, ``match`` (score >= ``threshold``, default 0.70) and ``explanations``; ``SearchResponse``
  ``{"results", "facets", "total", "limit", "offset"}``; errors ``{"detail": "..."}``.

Scoring is a stand-in for yente's algorithms: a query name matches a listed name when, lower-cased with its words
sorted, the two are equal (score 0.99), or share all but one word (0.65: below the default threshold, and so
dropped unless the caller lowers ``cutoff``, as yente drops results scoring at or under the cutoff). ``total`` counts
the matches, as yente's ``score_results`` does. Only ``best``/``logic-v2`` are accepted as ``algorithm``;
``weights`` and ``config`` are accepted and ignored. Not modelled (404): ``/algorithms`` (its ``docs`` shape is
nomenklatura's), ``/entities/{id}/adjacent``, ``/statements`` (hosted API only) and ``/updatez``.

The watch list is a set of Person names (``POST /_sim/watchlist {"names": [...]}``). Fault modes
(``POST /_sim/mode``), on ``/match``: ``ok``; ``unavailable`` (503); ``bad_auth`` (401); ``timeout`` (sleeps
``timeout_sleep`` seconds, longer than our client timeout, then answers); ``malformed`` (200 with an HTML body, not
JSON); ``wrong_shape`` (200 JSON whose entries carry ``status: 200`` but no ``results``/``total``); ``partial``
(200, the batch's last query answered as yente's ``PartialErrorResponse`` ``{"status": 500, "detail": ...}``:
``EntityMatchResponse.responses`` is ``Dict[str, Union[EntityMatches, PartialErrorResponse]]``).
``GET /_sim/queries`` lists the names received.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, unquote, urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

MODES = {"ok", "unavailable", "bad_auth", "timeout", "malformed", "wrong_shape", "partial"}
MALFORMED_BODY = "<html><body><h1>502 Bad Gateway</h1></body></html>"  # a proxy's page, with a 200


class Raw(str):
    """A body sent as it is (not JSON-encoded): the ``malformed`` fault."""

DEFAULT_WATCHLIST = ("Viktor Sanctionov", "Ama Blocked Person")
SOURCE_DATASET = "sim_sanctions"
COLLECTIONS = ("default", "sanctions")  # the hosted API's collections scoped by /match/{dataset}
ALGORITHMS = {"best", "logic-v2"}  # yente: "best" resolves to BEST_ALGORITHM (logic-v2)
SCORE_THRESHOLD = 0.70  # yente settings.SCORE_THRESHOLD
MATCH_PAGE, MAX_MATCHES, MAX_BATCH = 5, 500, 100  # yente settings: MATCH_PAGE, MAX_MATCHES, MAX_BATCH
DEFAULT_PAGE, MAX_PAGE = 10, 500  # yente settings for /search
# Schemata a Person entity can answer for (yente matches a query against entities of compatible schemata).
PERSON_COMPATIBLE = {"Person", "LegalEntity", "Thing"}
MATCHABLE = PERSON_COMPATIBLE | {"Company", "Organization", "PublicBody", "Vessel", "Airplane", "Security",
                                 "CryptoWallet", "Address", "Position", "Identification", "Passport"}
SEEN = "2024-03-01T00:00:00"  # yente writes timestamps as ISO seconds without a zone
SHORTUUID = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _words(name: str) -> tuple[str, ...]:
    return tuple(sorted(w for w in "".join(c if c.isalnum() else " " for c in name.lower()).split() if w))


def _canonical_id(name: str) -> str:
    """``NK-`` and 22 shortuuid characters, the shape of OpenSanctions' canonical ids."""
    number = int.from_bytes(hashlib.sha256(name.encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, len(SHORTUUID))
        chars.append(SHORTUUID[digit])
    return "NK-" + "".join(chars)


def _entity(name: str) -> dict[str, Any]:
    """A listed person as yente's ``EntityResponse``."""
    referent = f"{SOURCE_DATASET}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
    return {"id": _canonical_id(name), "caption": name, "schema": "Person",
            "properties": {"name": [name], "topics": ["sanction"]}, "datasets": [SOURCE_DATASET],
            "referents": [referent], "target": True, "first_seen": SEEN, "last_seen": SEEN, "last_change": SEEN}


N = TypeVar("N", int, float)


def _query_number(params: dict[str, list[str]], key: str, default: N, kind: type[N]) -> N | None:
    """The query parameter's last value as ``kind``, ``default`` when absent, None when it is not a number."""
    values = params.get(key)
    if not values:
        return default
    try:
        return kind(values[-1])
    except ValueError:
        return None


def _invalid(loc: str, message: str) -> tuple[int, Any]:
    """FastAPI's request-validation answer (422, ``detail`` a list of ``{loc, msg, type}``)."""
    return 422, {"detail": [{"loc": ["query", loc], "msg": message, "type": "value_error"}]}


class OpenSanctionsSimulator(LocalServer):
    thread_name = "opensanctions-simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str = "sim-sanctions-key",
                 timeout_sleep: float = 15.0) -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep  # ``timeout``: past the client's (10 s by default)
        self.watchlist: list[str] = list(DEFAULT_WATCHLIST)
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def refusal(self, auth: str) -> tuple[int, Any] | None:
        """The hosted API wants ``Authorization: ApiKey <key>`` on every data call."""
        if self.mode == "unavailable":
            return 503, {"detail": "Service unavailable"}
        if self.mode == "bad_auth" or auth != f"ApiKey {self.api_key}":
            return 401, {"detail": "Invalid API key"}
        return None

    def _scored(self, names: list[str], threshold: float, cutoff: float) -> list[dict[str, Any]]:
        with self._lock:
            listed_names = list(self.watchlist)
        results = []
        for listed in listed_names:
            target = set(_words(listed))
            best = 0.0
            for name in names:
                words = set(_words(name))
                if not words:
                    continue
                if words == target:
                    best = max(best, 0.99)
                elif len(target) > 1 and len(words & target) >= len(target) - 1:
                    best = max(best, 0.65)
            if best and best > cutoff:
                results.append({**_entity(listed), "score": best, "match": best >= threshold, "explanations": {}})
        return sorted(results, key=lambda r: r["score"], reverse=True)

    def match(self, dataset: str, params: dict[str, list[str]], body: dict[str, Any],
              auth: str) -> tuple[int, Any]:
        mode = self.mode
        if mode == "timeout":
            time.sleep(self.timeout_sleep)
        refused = self.refusal(auth)
        if refused:
            return refused
        if mode == "malformed":
            return 200, Raw(MALFORMED_BODY)
        limit = _query_number(params, "limit", MATCH_PAGE, int)
        if limit is None or limit > MAX_MATCHES:
            return _invalid("limit", f"Input should be less than or equal to {MAX_MATCHES}")
        threshold = _query_number(params, "threshold", SCORE_THRESHOLD, float)
        cutoff = _query_number(params, "cutoff", SCORE_THRESHOLD, float)
        if threshold is None or cutoff is None:
            return _invalid("threshold", "Input should be a valid number")
        cutoff = min(cutoff, threshold)  # yente: the cutoff never exceeds the threshold
        if dataset not in COLLECTIONS:
            return 404, {"detail": "No such dataset."}
        algorithm = (params.get("algorithm") or ["best"])[-1]
        if algorithm.lower().strip() not in ALGORITHMS:
            return 400, {"detail": f"Invalid algorithm: {algorithm}"}
        queries = body.get("queries")
        if not isinstance(queries, dict):
            return 422, {"detail": [{"loc": ["body", "queries"], "msg": "Field required", "type": "missing"}]}
        if len(queries) > MAX_BATCH:
            return 400, {"detail": f"Too many queries in one batch (limit: {MAX_BATCH})"}
        responses: dict[str, Any] = {}
        for key, query in queries.items():
            if query is None:
                continue
            if not isinstance(query, dict) or query.get("schema") not in MATCHABLE:
                schema = query.get("schema") if isinstance(query, dict) else None
                return 400, {"detail": f"Cannot parse example entity: Schema is not matchable: {schema}"}
            properties: dict[str, list[str]] = {}
            for prop, value in (query.get("properties") or {}).items():
                values = value if isinstance(value, list) else [value]
                cleaned = [str(v).strip() for v in values if isinstance(v, (str, int, float)) and str(v).strip()]
                if cleaned:
                    properties[str(prop)] = cleaned
            names = properties.get("name", []) if query["schema"] in PERSON_COMPATIBLE else []
            with self._lock:
                self.queries.extend(properties.get("name", []))
            results = self._scored(names, threshold, cutoff)
            responses[str(key)] = {
                "status": 200, "results": results[:limit],
                "total": {"value": sum(1 for r in results if r["match"]), "relation": "eq"},
                "query": {"id": query.get("id"), "schema": query["schema"], "properties": properties}}
        if not responses:
            return 400, {"detail": "No queries provided."}
        if mode == "wrong_shape":
            responses = {key: {"status": 200, "query": answer["query"]} for key, answer in responses.items()}
        elif mode == "partial":
            responses[list(responses)[-1]] = {"status": 500, "detail": "Search index error"}
        return 200, {"responses": responses, "limit": limit}

    def search(self, dataset: str, params: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        refused = self.refusal(auth)
        if refused:
            return refused
        limit = _query_number(params, "limit", DEFAULT_PAGE, int)
        offset = _query_number(params, "offset", 0, int)
        if limit is None or offset is None or limit > MAX_PAGE:
            return _invalid("limit", f"Input should be less than or equal to {MAX_PAGE}")
        if dataset not in COLLECTIONS:
            return 404, {"detail": "No such dataset."}
        words = set(_words((params.get("q") or [""])[-1]))
        with self._lock:
            listed = list(self.watchlist)
        found = [_entity(n) for n in listed if not words or words & set(_words(n))]
        facets = {
            "countries": {"label": "Countries", "values": []},
            "topics": {"label": "Topics", "values": [
                {"name": "sanction", "label": "Sanctioned entity", "count": len(found)}] if found else []},
            "datasets": {"label": "Data sources", "values": [
                {"name": SOURCE_DATASET, "label": SOURCE_DATASET, "count": len(found)}] if found else []},
        }
        wanted = params.get("facets")
        if wanted is not None:
            facets = {k: v for k, v in facets.items() if k in wanted}
        return 200, {"results": found[offset:offset + limit], "facets": facets,
                     "total": {"value": len(found), "relation": "eq"}, "limit": limit, "offset": offset}

    def entity(self, entity_id: str, auth: str) -> tuple[int, Any]:
        """The entity, or ``308`` to its canonical id when ``entity_id`` is one of its referents."""
        refused = self.refusal(auth)
        if refused:
            return refused
        with self._lock:
            listed = list(self.watchlist)
        for name in listed:
            entity = _entity(name)
            if entity["id"] == entity_id:
                return 200, entity
            if entity_id in entity["referents"]:
                return 308, "/entities/" + quote(entity["id"], safe="")
        return 404, {"detail": "No such entity!"}

    def catalog(self) -> dict[str, Any]:
        """``DataCatalogModel``: the indexed collections (loaded, current) and the source they hold."""
        collections = [{"name": name, "title": f"Simulated {name} collection", "load": True,
                        "index_current": True, "index_version": "sim", "children": [SOURCE_DATASET]}
                       for name in COLLECTIONS]
        source = {"name": SOURCE_DATASET, "title": "Simulated sanctions list", "load": False, "children": []}
        return {"datasets": [*collections, source], "current": list(COLLECTIONS), "outdated": [],
                "index_stale": False}

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def answer(self, status: int, body: Any) -> None:
                if status == 308:
                    self.send_response(308)
                    self.send_header("Location", str(body))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(body, Raw):
                    self.reply(status, str(body), content_type="text/html")
                    return
                self.reply(status, json.dumps(body))

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = self.read_json_object()
                if url.path.startswith("/match/"):
                    dataset = unquote(url.path[len("/match/"):])
                    self.answer(*simulator.match(dataset, parse_qs(url.query), body,
                                                 self.headers.get("Authorization", "")))
                elif url.path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"error": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                elif url.path == "/_sim/watchlist":
                    with simulator._lock:
                        simulator.watchlist = [str(n) for n in body.get("names", [])]
                    self.reply(200, {"names": simulator.watchlist})
                else:
                    self.reply(404, {"detail": "Not Found"})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                auth = self.headers.get("Authorization", "")
                if url.path.startswith("/search/"):
                    self.answer(*simulator.search(unquote(url.path[len("/search/"):]), parse_qs(url.query), auth))
                elif url.path.startswith("/entities/") and "/" not in url.path[len("/entities/"):]:
                    self.answer(*simulator.entity(unquote(url.path[len("/entities/"):]), auth))
                elif url.path == "/catalog":
                    self.reply(200, simulator.catalog())
                elif url.path == "/healthz":
                    self.reply(200, {"status": "ok"})
                elif url.path == "/readyz":
                    if simulator.mode == "unavailable":
                        self.reply(503, {"detail": "Index not ready."})
                    else:
                        self.reply(200, {"status": "ok"})
                elif url.path == "/_sim/queries":
                    with simulator._lock:
                        self.reply(200, {"queries": list(simulator.queries)})
                else:
                    self.reply(404, {"detail": "Not Found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="OpenSanctions (yente) API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8743)
    parser.add_argument("--api-key", default="sim-sanctions-key")
    args = parser.parse_args()
    simulator = OpenSanctionsSimulator(host=args.host, port=args.port, api_key=args.api_key).start()
    serve_until_interrupted(simulator, f"OpenSanctions simulator on {simulator.url}")


if __name__ == "__main__":
    main()
