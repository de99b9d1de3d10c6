"""OpenSanctions (yente) match API: ``POST {base}/match/{dataset}`` with ``Authorization: ApiKey <key>``.

Request: ``{"queries": {"<key>": {"schema": "Person", "properties": {"name": [...], "country": [...]}}}}``.
Answer (https://api.opensanctions.org/, https://www.opensanctions.org/docs/api/matching/):
``{"responses": {"<key>": {"status": 200, "query": {...}, "results": [{"id", "caption", "schema", "score",
"match", "datasets", ...}], "total": {...}}}, "limit": 5}``. A result with ``"match": true`` (score at or above the
service's threshold) is a match; the score is kept as text for the operator (parsed with ``Decimal`` only to apply
an optional stricter threshold). The answer carries no request id, so ``provider_reference`` stays empty.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from provider_plugins.interfaces.common import (
    ProviderAuthError,
    ProviderConfig,
    ProviderProtocolError,
    ProviderTimeout,
    ProviderUnavailable,
)
from provider_plugins.interfaces.http import session_for
from provider_plugins.interfaces.sanctions import ScreeningMatch, ScreeningResult, ScreeningSubject


class OpenSanctionsConnector:
    def __init__(self, config: ProviderConfig | None = None) -> None:
        """Stateless: every call takes its ``ProviderConfig``."""

    def screen(self, config: ProviderConfig, *, subjects: list[ScreeningSubject]) -> ScreeningResult:
        if not subjects:
            return ScreeningResult()
        dataset = str(config.options.get("dataset", "default"))
        queries: dict[str, Any] = {}
        for subject in subjects:
            properties: dict[str, list[str]] = {"name": [subject.name]}
            if subject.country:
                properties["country"] = [subject.country.lower()]
            if subject.birth_date:
                properties["birthDate"] = [subject.birth_date]
            queries[subject.key] = {"schema": "Person", "properties": properties}
        http = session_for(config)
        try:
            response = http.post(f"{config.base_url.rstrip('/')}/match/{dataset}", json={"queries": queries},
                                 headers={"Authorization": f"ApiKey {config.credentials.get('api_key', '')}"},
                                 timeout=config.timeout_seconds)
        except requests.ConnectionError:
            raise ProviderUnavailable("screening service unreachable") from None
        except requests.Timeout:
            raise ProviderTimeout("screening service did not answer in time") from None
        except requests.RequestException:  # a body cut short, too many redirects: unreadable, never "clear"
            raise ProviderProtocolError("unreadable screening answer") from None
        if response.status_code in (401, 403):
            raise ProviderAuthError("the screening service refused our key", provider_code=str(response.status_code))
        if response.status_code >= 500:
            raise ProviderUnavailable(f"screening service error {response.status_code}",
                                      provider_code=str(response.status_code))
        body = _json(response.text)
        responses = body.get("responses")
        if response.status_code != 200 or not isinstance(responses, dict):
            raise ProviderProtocolError(f"unexpected screening answer {response.status_code}")
        threshold = _decimal(config.options.get("threshold"))
        matches: list[ScreeningMatch] = []
        checked: list[str] = []
        for subject in subjects:
            # Only an entry that says 200 and carries its results list answers for the subject: yente answers a
            # query it could not run as ``{"status": 500, "detail": ...}``, and an entry without results is not an
            # empty list of matches (it would otherwise read as "clear").
            answer = responses.get(subject.key)
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(answer, dict) or answer.get("status") != 200 or not isinstance(results, list) \
                    or not all(isinstance(result, dict) for result in results):
                raise ProviderProtocolError(f"no screening answer for {subject.key}")
            checked.append(subject.key)
            for result in results:
                score = _decimal(result.get("score"))
                if not result.get("match") or (threshold is not None and (score is None or score < threshold)):
                    continue
                matches.append(ScreeningMatch(subject=subject.key, entity_id=str(result.get("id", ""))[:100],
                                              caption=str(result.get("caption", ""))[:200],
                                              score=str(result.get("score", ""))[:12],
                                              datasets=tuple(str(d) for d in result.get("datasets") or ())[:10]))
        return ScreeningResult(matches=tuple(matches), checked=tuple(checked))


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _json(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text or "{}", parse_float=Decimal)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
