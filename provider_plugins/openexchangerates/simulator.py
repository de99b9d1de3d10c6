"""A real local HTTP server speaking the Open Exchange Rates API (``/api/...``).

    python -m provider_plugins.openexchangerates.simulator --port 8742

Routes, as documented at https://docs.openexchangerates.org/reference/api-introduction:

* ``latest.json`` (https://docs.openexchangerates.org/reference/latest-json) and ``historical/YYYY-MM-DD.json``
  (https://docs.openexchangerates.org/reference/historical-json): the envelope ``disclaimer``, ``license``,
  ``timestamp`` (Unix seconds), ``base`` and ``rates``; ``symbols`` limits the rates, ``base`` other than USD is a
  paid feature (``403 not_allowed`` on the Free plan, cross rates otherwise); a date that is not ``YYYY-MM-DD``, before
  1999-01-01 or in the future is ``400 invalid_date``.
* ``currencies.json`` (https://docs.openexchangerates.org/reference/currencies-json): code to name, no App ID needed.
* ``usage.json`` (https://docs.openexchangerates.org/reference/usage-json): ``{"status": 200, "data": {app_id,
  status, plan: {name, quota, update_frequency, features}, usage: {requests, requests_quota, ...}}}``.
* ``convert/{amount}/{from}/{to}`` (https://docs.openexchangerates.org/reference/convert, Unlimited plan),
  ``time-series.json`` (https://docs.openexchangerates.org/reference/time-series-json, Enterprise and Unlimited) and
  ``ohlc.json`` (https://docs.openexchangerates.org/reference/ohlc-json, Unlimited): ``403 not_allowed`` when the
  simulator's ``plan`` lacks the feature.

Errors are the documented ``{"error": true, "status", "message", "description"}``
(https://docs.openexchangerates.org/reference/errors): ``missing_app_id`` / ``invalid_app_id`` with 401,
``not_allowed`` with 403, ``invalid_base`` / ``invalid_date`` / ``invalid_date_range`` with 400, ``not_found`` with 404.

Fidelity: tests/remittances/test_oxr_sdk_fidelity.py runs the community SDK ``oxr`` against this server.

Rates per US dollar are written into the JSON as decimal text (as the real service does). Set them with
``POST /_sim/rates {"NGN": "1500", ...}``; fault modes (``POST /_sim/mode``): ``ok``; ``unavailable``
(503); ``bad_auth`` (401); ``timeout`` (sleeps ``timeout_sleep`` seconds, longer than our client timeout, then
answers); ``malformed`` (200 with an HTML body, not JSON); ``garbage`` (200 JSON without rates); ``bad_rates`` (200,
the envelope right but every rate ``true`` instead of a number). ``GET /_sim/requests`` counts calls.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from typing import Any
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
CURRENCY_NAMES = {
    "USD": "United States Dollar", "NGN": "Nigerian Naira", "GHS": "Ghanaian Cedi", "XOF": "CFA Franc BCEAO",
    "GMD": "Gambian Dalasi", "GNF": "Guinean Franc", "LRD": "Liberian Dollar", "SLE": "Sierra Leonean Leone",
    "CVE": "Cape Verdean Escudo", "MRU": "Mauritanian Ouguiya", "EUR": "Euro", "GBP": "British Pound Sterling",
}
# What each plan may do (https://openexchangerates.org/signup): the ``features`` of usage.json.
PLANS: dict[str, dict[str, Any]] = {
    "Free": {"quota": "1,000 requests / month", "requests_quota": 1000, "update_frequency": "3600s",
             "features": {"base": False, "symbols": True, "experimental": True, "time-series": False,
                          "convert": False, "bid-ask": False, "ohlc": False, "spot": False}},
    "Developer": {"quota": "10,000 requests / month", "requests_quota": 10_000, "update_frequency": "1800s",
                  "features": {"base": True, "symbols": True, "experimental": True, "time-series": False,
                               "convert": False, "bid-ask": False, "ohlc": False, "spot": False}},
    "Enterprise": {"quota": "100,000 requests / month", "requests_quota": 100_000, "update_frequency": "600s",
                   "features": {"base": True, "symbols": True, "experimental": True, "time-series": True,
                                "convert": False, "bid-ask": True, "ohlc": False, "spot": False}},
    "Unlimited": {"quota": "Unlimited requests", "requests_quota": -1, "update_frequency": "60s",
                  "features": {"base": True, "symbols": True, "experimental": True, "time-series": True,
                               "convert": True, "bid-ask": True, "ohlc": True, "spot": True}},
}
FIRST_DAY = date(1999, 1, 1)
SIX_PLACES = Decimal("0.000001")
Answer = tuple[int, str]


class _Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer[1])
        self.answer = answer


def _error(status: int, message: str, description: str) -> Answer:
    return status, json.dumps({"error": True, "status": status, "message": message, "description": description})


def _not_allowed(feature: str) -> Answer:
    return _error(403, "not_allowed", f"{feature} is not available on your current plan. Please upgrade, or "
                                      "contact support@openexchangerates.org with any questions.")


def _number(value: Decimal) -> str:
    """A rate as JSON number text: exact, no exponent, no trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class OpenExchangeRatesSimulator(LocalServer):
    thread_name = "oxr-simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_id: str = "sim-oxr-app",
                 timeout_sleep: float = 15.0, plan: str = "Free") -> None:
        super().__init__(host=host, port=port)
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}")
        self.app_id = app_id
        self.plan = plan
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep  # ``timeout``: past the client's (10 s by default)
        self.rates: dict[str, str] = dict(DEFAULT_RATES)
        self.requests = 0
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def _allows(self, feature: str) -> bool:
        return bool(PLANS[self.plan]["features"][feature])

    def _authorize(self, query: dict[str, list[str]]) -> Answer | None:
        """Count the call, apply the fault mode, check the App ID: an answer to give at once, or None."""
        with self._lock:
            self.requests += 1
        if self.mode == "timeout":
            time.sleep(self.timeout_sleep)
        if self.mode == "unavailable":
            return _error(503, "unavailable", "The service is temporarily unavailable.")
        app_id = query.get("app_id", [""])[0]
        if not app_id:
            return _error(401, "missing_app_id", "Client did not provide an App ID")
        if self.mode == "bad_auth" or app_id != self.app_id:
            return _error(401, "invalid_app_id", "Invalid App ID provided - please sign up at "
                                                 "https://openexchangerates.org/signup, or contact "
                                                 "support@openexchangerates.org.")
        return None

    def _table(self, query: dict[str, list[str]]) -> tuple[str, dict[str, Decimal]]:
        """The base and the rates per unit of it that the query asks for (``_Refused``: an error answer)."""
        with self._lock:
            per_usd = {code: Decimal(value) for code, value in self.rates.items() if _decimal(value) is not None}
        base = query.get("base", ["USD"])[0].upper() or "USD"
        if base != "USD" and not self._allows("base"):
            raise _Refused(_not_allowed("Changing the API `base` currency"))
        if base not in per_usd or per_usd[base] <= 0:
            raise _Refused(_error(400, "invalid_base", "Client requested rates for an unsupported base currency"))
        wanted = [s.strip().upper() for s in query.get("symbols", [""])[0].split(",") if s.strip()]
        chosen = {code: rate for code, rate in per_usd.items() if not wanted or code in wanted}
        if base == "USD":
            return base, chosen
        return base, {code: (rate / per_usd[base]).quantize(SIX_PLACES) if code != base else Decimal(1)
                      for code, rate in chosen.items()}

    def _envelope(self, query: dict[str, list[str]], timestamp: int) -> Answer:
        if self.mode == "garbage":
            return 200, '{"disclaimer": "nothing here"}'
        if self.mode == "malformed":
            return 200, MALFORMED_BODY
        base, rates = self._table(query)
        shown = {code: "true" if self.mode == "bad_rates" else _number(rate) for code, rate in rates.items()}
        body = ", ".join(f'"{code}": {value}' for code, value in sorted(shown.items()))
        return 200, f'{{"disclaimer": {json.dumps(DISCLAIMER)}, "license": {json.dumps(LICENSE)}, ' \
                    f'"timestamp": {timestamp}, "base": "{base}", "rates": {{{body}}}}}'

    def latest(self, query: dict[str, list[str]]) -> Answer:
        return self._authorize(query) or self._envelope(query, int(time.time()))

    def historical(self, day: str, query: dict[str, list[str]]) -> Answer:
        refused = self._authorize(query)
        if refused:
            return refused
        when = _day(day)
        if when is None:
            return _error(400, "invalid_date", "Client requested an invalid date - dates must be in the format "
                                               "YYYY-MM-DD, from 1999-01-01 to yesterday or today")
        end_of_day = datetime(when.year, when.month, when.day, 23, 59, 59, tzinfo=UTC)
        return self._envelope(query, min(int(end_of_day.timestamp()), int(time.time())))

    def currencies(self) -> Answer:
        with self._lock:
            codes = sorted(set(self.rates) | set(CURRENCY_NAMES))
        return 200, json.dumps({code: CURRENCY_NAMES.get(code, code) for code in codes})

    def usage(self, query: dict[str, list[str]]) -> Answer:
        refused = self._authorize(query)
        if refused:
            return refused
        plan = PLANS[self.plan]
        used, quota = self.requests, plan["requests_quota"]
        today = datetime.now(UTC).date()
        elapsed = today.day
        return 200, json.dumps({"status": 200, "data": {
            "app_id": self.app_id, "status": "active",
            "plan": {"name": self.plan, "quota": plan["quota"], "update_frequency": plan["update_frequency"],
                     "features": plan["features"]},
            "usage": {"requests": used, "requests_quota": quota,
                      "requests_remaining": -1 if quota < 0 else max(quota - used, 0),
                      "days_elapsed": elapsed, "days_remaining": 30 - min(elapsed, 30),
                      "daily_average": used // max(elapsed, 1)}}})

    def convert(self, amount: str, source: str, target: str, query: dict[str, list[str]]) -> Answer:
        refused = self._authorize(query)
        if refused:
            return refused
        if not self._allows("convert"):
            return _not_allowed("The convert API")
        value = _decimal(amount)
        with self._lock:
            per_usd = {code: Decimal(v) for code, v in self.rates.items() if _decimal(v) is not None}
        if value is None or value < 0:
            return _error(400, "invalid_amount", "Client requested conversion of an invalid amount")
        if source.upper() not in per_usd or target.upper() not in per_usd:
            return _error(400, "invalid_currency", "Client requested conversion to or from an unsupported currency")
        rate = (per_usd[target.upper()] / per_usd[source.upper()]).quantize(SIX_PLACES)
        return 200, f'{{"disclaimer": {json.dumps(DISCLAIMER)}, "license": {json.dumps(LICENSE)}, ' \
                    f'"request": {{"query": "/convert/{amount}/{source}/{target}", "amount": {_number(value)}, ' \
                    f'"from": "{source.upper()}", "to": "{target.upper()}"}}, ' \
                    f'"meta": {{"timestamp": {int(time.time())}, "rate": {_number(rate)}}}, ' \
                    f'"response": {_number((value * rate).quantize(SIX_PLACES))}}}'

    def time_series(self, query: dict[str, list[str]]) -> Answer:
        refused = self._authorize(query)
        if refused:
            return refused
        if not self._allows("time-series"):
            return _not_allowed("The time-series API")
        start, end = _day(query.get("start", [""])[0]), _day(query.get("end", [""])[0])
        if start is None or end is None or end < start or (end - start).days > 366:
            return _error(400, "invalid_date_range", "Client requested a time-series with an invalid start or "
                                                     "end date, or a range longer than one year")
        base, rates = self._table(query)
        day_rates = "{" + ", ".join(f'"{c}": {_number(r)}' for c, r in sorted(rates.items())) + "}"
        days = ", ".join(f'"{start + timedelta(days=n)}": {day_rates}' for n in range((end - start).days + 1))
        return 200, f'{{"disclaimer": {json.dumps(DISCLAIMER)}, "license": {json.dumps(LICENSE)}, ' \
                    f'"start_date": "{start}", "end_date": "{end}", "base": "{base}", "rates": {{{days}}}}}'

    def ohlc(self, query: dict[str, list[str]]) -> Answer:
        refused = self._authorize(query)
        if refused:
            return refused
        if not self._allows("ohlc"):
            return _not_allowed("The OHLC API")
        periods = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "12h": 43_200, "1d": 86_400,
                   "1w": 604_800, "1mo": 2_592_000}
        period = query.get("period", [""])[0]
        try:
            start = datetime.fromisoformat(query.get("start_time", [""])[0].replace("Z", "+00:00"))
        except ValueError:
            start = None
        if period not in periods or start is None:
            return _error(400, "invalid_period", "Client requested an invalid start_time or period")
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        base, rates = self._table(query)
        end = start + timedelta(seconds=periods[period])
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        ohlc = ", ".join(f'"{c}": {{"open": {n}, "high": {n}, "low": {n}, "close": {n}, "average": {n}}}'
                         for c, n in ((c, _number(r)) for c, r in sorted(rates.items())))
        return 200, f'{{"disclaimer": {json.dumps(DISCLAIMER)}, "license": {json.dumps(LICENSE)}, ' \
                    f'"start_time": "{start.astimezone(UTC).strftime(stamp)}", ' \
                    f'"end_time": "{end.astimezone(UTC).strftime(stamp)}", "base": "{base}", "rates": {{{ohlc}}}}}'

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        try:
            return self._route(path, query)
        except _Refused as refused:
            return refused.answer

    def _route(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path == "/api/latest.json":
            return self.latest(query)
        if path == "/api/currencies.json":
            return self.currencies()
        if path == "/api/usage.json":
            return self.usage(query)
        if path == "/api/time-series.json":
            return self.time_series(query)
        if path == "/api/ohlc.json":
            return self.ohlc(query)
        historical = re.fullmatch(r"/api/historical/([^/]+)\.json", path)
        if historical:
            return self.historical(historical.group(1), query)
        convert = re.fullmatch(r"/api/convert/([^/]+)/([A-Za-z]{3})/([A-Za-z]{3})(?:\.json)?", path)
        if convert:
            amount, source, target = convert.groups()
            return self.convert(amount, source, target, query)
        return 404, json.dumps(NOT_FOUND)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                if parsed.path == "/_sim/requests":
                    self.reply(200, {"requests": simulator.requests})
                elif parsed.path == "/health":
                    self.reply(200, {"status": "ok", "mode": simulator.mode})
                else:
                    self.reply(*simulator.answer(parsed.path, parse_qs(parsed.query)))

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


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _day(text: str) -> date | None:
    """A ``YYYY-MM-DD`` day with published rates (1999-01-01 to today), else None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= datetime.now(UTC).date() else None


def main() -> None:
    parser = argparse.ArgumentParser(description="Open Exchange Rates simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8742)
    parser.add_argument("--app-id", default="sim-oxr-app")
    parser.add_argument("--plan", default="Free", choices=sorted(PLANS))
    args = parser.parse_args()
    simulator = OpenExchangeRatesSimulator(host=args.host, port=args.port, app_id=args.app_id,
                                           plan=args.plan).start()
    serve_until_interrupted(simulator, f"Open Exchange Rates simulator on {simulator.url}")


if __name__ == "__main__":
    main()
