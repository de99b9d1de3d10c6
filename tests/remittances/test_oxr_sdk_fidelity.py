"""Fidelity: the community SDK ``oxr`` (0.1.1, "Type-safe client for the openexchangerates API": pydantic models
for every answer), pointed at the Open Exchange Rates simulator by its ``base_url`` argument only, parses every
answer unmodified: latest, historical, currencies and usage on the Free plan, the Free plan's refusals (base change,
time-series, OHLC) as its typed ``NoAccessError``, a bad App ID and a bad date as ``InvalidAppID`` and
``InvalidDate``; and on the Unlimited plan the cross rates, time-series and OHLC answers.

Left out: ``Client.convert``, which asks ``/api/convert.json?from=&to=&amount=`` where Open Exchange Rates publishes
``/api/convert/{value}/{from}/{to}`` (https://docs.openexchangerates.org/reference/convert): the real service and the
simulator both answer it 404 ``not_found``.

Open Exchange Rates publishes no Python SDK. The older ``openexchangerates`` 0.1.1 is Python 2 only
(``except E, e``) and its Python 3 fork ``openexchangerates3`` reads a class constant and parses nothing; ``oxr``
validates each answer. It is installed with ``--no-deps`` into a directory of its own (tests/support/sdk_envs.py:
built once per machine, reused while the pin stays the same) and run in a child of our interpreter: its
requirements (pydantic, requests, typing-extensions) are ours, already pinned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider_plugins.openexchangerates.simulator import OpenExchangeRatesSimulator
from tests.support.sdk_envs import sdk_target

SDK_PIN = "oxr==0.1.1"

SCRIPT = r"""
import datetime as dt, json, sys
from oxr import Client
from oxr.exceptions import InvalidAppID, InvalidDate, NoAccessError

base_url, app_id, plan = sys.argv[1], sys.argv[2], sys.argv[3]
client = Client(app_id, base_url=base_url + "/api")  # the only change: where the SDK sends its requests
yesterday = dt.date.today() - dt.timedelta(days=1)
out = {}


def rates(answer):
    return {"time": answer.time.isoformat(), "base": answer.base, "rates": {k: str(v) for k, v in answer.rates.items()}}


def refused(call):
    try:
        call()
    except (NoAccessError, InvalidAppID, InvalidDate) as error:
        return type(error).__name__
    return "accepted"


out["latest"] = rates(client.latest())
out["latest_symbols"] = rates(client.latest(symbols=["NGN", "XOF"]))
out["historical"] = rates(client.historical(yesterday, symbols=["GHS"]))
out["currencies"] = dict(client.currencies())
out["usage"] = client.usage()
out["bad_app_id"] = refused(lambda: Client("0" * 32, base_url=base_url + "/api").latest())
out["future_date"] = refused(lambda: client.historical(dt.date.today() + dt.timedelta(days=2)))
week_ago = dt.date.today() - dt.timedelta(days=7)
calls = {"base": lambda: client.latest(base="NGN", symbols=["GHS", "XOF"]),
         "time_series": lambda: client.time_series(week_ago, yesterday, symbols=["NGN"]),
         "ohlc": lambda: client.ohlc(dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc), "1h", symbols=["NGN"])}
if plan == "Free":
    out["refusals"] = {name: refused(call) for name, call in calls.items()}
else:
    out["cross"] = rates(calls["base"]())
    series = calls["time_series"]()
    out["time_series"] = {"start": series.start_date.isoformat(), "end": series.end_date.isoformat(),
                          "days": len(series.rates), "ngn": str(series.rates[yesterday]["NGN"])}
    ohlc = calls["ohlc"]()
    out["ohlc"] = {"start": ohlc.start_time.isoformat(), "end": ohlc.end_time.isoformat(),
                   "ngn": {k: str(v) for k, v in ohlc.rates["NGN"].model_dump().items()}}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def sdk_path() -> Path:
    return sdk_target("oxr", [SDK_PIN])


def _run(sdk_path: Path, plan: str) -> dict:
    app_id = "5f1c0e3a9b2d4c6e8f0a1b2c3d4e5f60"  # an App ID has 32 hex digits
    with OpenExchangeRatesSimulator(app_id=app_id, plan=plan) as sim:
        run = subprocess.run([sys.executable, "-c", SCRIPT, sim.url, app_id, plan], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "PYTHONPATH": str(sdk_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_free_plan_answers_and_refusals_parse(sdk_path):
    out = _run(sdk_path, "Free")
    assert out["latest"]["base"] == "USD" and out["latest"]["rates"]["NGN"] == "1500"
    assert out["latest"]["rates"]["SLE"] == "22.5" and out["latest"]["rates"]["USD"] == "1"
    assert out["latest_symbols"]["rates"] == {"NGN": "1500", "XOF": "600"}
    assert out["historical"]["rates"] == {"GHS": "15"} and out["historical"]["time"] < out["latest"]["time"]
    assert out["currencies"]["XOF"] == "CFA Franc BCEAO" and out["currencies"]["NGN"] == "Nigerian Naira"
    usage = out["usage"]
    assert usage["status"] == 200 and usage["data"]["plan"]["name"] == "Free"
    assert usage["data"]["plan"]["features"]["base"] is False and usage["data"]["usage"]["requests"] >= 3
    assert (out["bad_app_id"], out["future_date"]) == ("InvalidAppID", "InvalidDate")
    assert out["refusals"] == dict.fromkeys(("base", "time_series", "ohlc"), "NoAccessError")


def test_the_unlimited_plan_cross_rates_series_and_ohlc_parse(sdk_path):
    out = _run(sdk_path, "Unlimited")
    assert out["cross"]["base"] == "NGN" and out["cross"]["rates"] == {"GHS": "0.01", "XOF": "0.4"}
    assert out["time_series"]["days"] == 7 and out["time_series"]["ngn"] == "1500"
    assert out["ohlc"]["start"] == "2026-01-05T12:00:00+00:00" and out["ohlc"]["end"] == "2026-01-05T13:00:00+00:00"
    assert out["ohlc"]["ngn"] == dict.fromkeys(("open", "high", "low", "close", "average"), "1500")
    assert out["usage"]["data"]["plan"]["features"]["ohlc"] is True
