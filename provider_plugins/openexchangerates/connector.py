"""Open Exchange Rates-shaped rate source: ``GET {base}/api/latest.json?app_id=...&symbols=NGN,GHS``.

Answer: ``{"timestamp": 1767225600, "base": "USD", "rates": {"NGN": 1500.0, "GHS": 15.0}}``; every rate is
per US dollar. A cross rate base->quote is ``rates[quote] / rates[base]``, computed with ``Decimal`` parsed
from the JSON text itself (``parse_float=Decimal``: never a float) and scaled to an integer by the interface.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

import requests

from provider_plugins.interfaces.common import (
    ProviderAuthError,
    ProviderConfig,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
    UserFixableError,
)
from provider_plugins.interfaces.fx import FxRate, rate_e9_from_decimal
from provider_plugins.interfaces.http import session_for

LATEST_PATH = "/api/latest.json"


class OpenExchangeRatesConnector:
    def __init__(self, config: ProviderConfig | None = None) -> None:
        """Stateless: every call takes its ``ProviderConfig``."""

    def rate(self, config: ProviderConfig, *, base: str, quote: str) -> FxRate:
        http = session_for(config)
        params = {"app_id": config.credentials.get("app_id", ""), "symbols": f"{base},{quote}"}
        try:
            response = http.get(config.base_url.rstrip("/") + LATEST_PATH, params=params,
                                timeout=config.timeout_seconds)
        except requests.ConnectionError:
            raise ProviderUnavailable("rate source unreachable") from None
        except requests.Timeout:
            raise ProviderTimeout("rate source did not answer in time") from None
        except requests.RequestException:  # a body cut short, too many redirects: unreadable, never a rate
            raise ProviderProtocolError("unreadable rate source answer") from None
        if response.status_code in (401, 403):
            raise ProviderAuthError("the rate source refused our app id", provider_code=str(response.status_code))
        if response.status_code >= 500:
            raise ProviderUnavailable(f"rate source error {response.status_code}",
                                      provider_code=str(response.status_code))
        body = _json(response.text)
        rates = body.get("rates")
        if response.status_code != 200 or not isinstance(rates, dict):
            raise ProviderProtocolError(f"unexpected rate source answer {response.status_code}",
                                        provider_code=str(body.get("message", response.status_code))[:40])
        missing = [code for code in (base, quote) if code not in rates]
        if missing:
            raise UserFixableError(f"no rate for {', '.join(missing)}", code="fx_currency_unknown")
        # A rate is a JSON number (parsed as Decimal): ``true`` (Decimal(True) == 1), text or null is garbage.
        if not all(isinstance(rates[code], Decimal) for code in (base, quote)):
            raise ProviderProtocolError("the rate source sent a rate that is not a number")
        try:
            cross = rates[quote] / rates[base]
            rate_e9 = rate_e9_from_decimal(cross)
        except (InvalidOperation, DivisionByZero, ValueError, TypeError):
            raise ProviderProtocolError("the rate source sent an unusable rate") from None
        if rate_e9 <= 0:
            raise ProviderProtocolError("the rate source sent a rate too small to use")
        stamp = body.get("timestamp")
        try:
            as_of = datetime.fromtimestamp(int(stamp), tz=UTC) if isinstance(stamp, int) else datetime.now(UTC)
        except (ValueError, OverflowError, OSError):
            raise ProviderProtocolError("the rate source sent an impossible timestamp") from None
        return FxRate(base=base, quote=quote, rate_e9=rate_e9, as_of=as_of,
                      provider_reference=f"oxr:{stamp}")


def _json(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text or "{}", parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("timestamp"), Decimal):
        body["timestamp"] = int(body["timestamp"])
    return body if isinstance(body, dict) else {}
