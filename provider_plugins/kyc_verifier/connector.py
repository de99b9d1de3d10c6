"""Smile ID-shaped "basic KYC" call: ``POST {base}/v1/id_verification``.

Request (JSON): ``partner_id``, ``timestamp`` (ISO 8601), ``signature`` =
base64(HMAC-SHA256(api_key, timestamp + partner_id + "sid_request")),
``country``, ``id_type`` (``BVN``, ``NIN_V2``, ``GHANA_CARD``, ...), ``id_number``,
optional names, ``partner_params`` ``{job_id, user_id, job_type: 5}``.
Answer: ``ResultCode`` 1012 validated, 1013 not found, 1022 no match,
1015 authority unavailable (unclear), 1014 unsupported id type; plus
``SmileJobID``. Smile ID signs its answers as requests are signed (``signature`` over the answer's own
``timestamp``): an answer that does not verify with our key is not believed (a provider fault: the check
stays pending for people). The answer echoes the number and personal data: this module keeps none of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
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
from provider_plugins.interfaces.http import session_for
from provider_plugins.interfaces.kyc import KycCheckRequest, KycCheckResult, KycMatch

VERIFY_PATH = "/v1/id_verification"
DEFAULT_ID_TYPES = {
    ("NG", "bvn"): "BVN",
    ("NG", "nin"): "NIN_V2",
    ("GH", "ghana_card"): "GHANA_CARD",
}
UEMOA = {"BJ", "BF", "CI", "GW", "ML", "NE", "SN", "TG"}
MATCH_CODES = {"1012", "1020", "1021"}
NO_MATCH_CODES = {"1013", "1022"}
UNCLEAR_CODES = {"1015", "1016"}
UNSUPPORTED_CODES = {"1014"}
SAFE_ANSWER_KEYS = ("ResultCode", "ResultText", "SmileJobID", "Actions", "IsFinalResult", "IDType", "Country")


def sign(*, api_key: str, partner_id: str, timestamp: str) -> str:
    digest = hmac.new(api_key.encode(), (timestamp + partner_id + "sid_request").encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class SmileStyleKycConnector:
    def id_type(self, *, country: str, scheme: str, options: dict[str, Any] | None = None) -> str | None:
        custom = (options or {}).get("id_types", {})
        if scheme in custom:
            return custom[scheme]
        if (country, scheme) in DEFAULT_ID_TYPES:
            return DEFAULT_ID_TYPES[(country, scheme)]
        if country in UEMOA and scheme in ("national_id", "nin", "cni", "nina", "cnib"):
            return "NATIONAL_ID"
        return None

    def supports(self, *, country: str, scheme: str) -> bool:
        return self.id_type(country=country, scheme=scheme) is not None

    def check(self, config: ProviderConfig, request: KycCheckRequest) -> KycCheckResult:
        id_type = self.id_type(country=request.country, scheme=request.scheme, options=config.options)
        if id_type is None:
            raise UserFixableError(f"{request.scheme} numbers of {request.country} cannot be checked automatically",
                                   code="kyc_scheme_unsupported")
        partner_id = config.credentials.get("partner_id", "")
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        payload: dict[str, Any] = {
            "partner_id": partner_id,
            "timestamp": timestamp,
            "signature": sign(api_key=config.credentials.get("api_key", ""), partner_id=partner_id,
                              timestamp=timestamp),
            "country": request.country,
            "id_type": id_type,
            "id_number": request.number,
            "first_name": request.first_name,
            "last_name": request.last_name,
            "partner_params": {"job_id": request.reference, "user_id": request.user_reference, "job_type": 5},
            "source_sdk": "rest_api",
            "source_sdk_version": "1.0.0",
        }
        http = session_for(config)
        try:
            response = http.post(config.base_url.rstrip("/") + VERIFY_PATH, json=payload,
                                 timeout=config.timeout_seconds)
        except requests.ConnectionError:
            raise ProviderUnavailable("KYC verifier unreachable") from None
        except requests.Timeout:
            raise ProviderTimeout("KYC verifier did not answer in time") from None
        body = _json(response)
        safe = {key: body[key] for key in SAFE_ANSWER_KEYS if key in body}
        if response.status_code in (401, 403):
            raise ProviderAuthError("The KYC verifier refused our credentials",
                                    provider_code=str(response.status_code))
        if response.status_code >= 500:
            raise ProviderUnavailable(f"KYC verifier error {response.status_code}",
                                      provider_code=str(response.status_code))
        code = str(body.get("ResultCode", ""))
        if response.status_code != 200 or not code:
            raise ProviderProtocolError(f"Unexpected KYC verifier answer {response.status_code}",
                                        provider_code=code or str(response.status_code), raw=safe)
        if not _signed_with(body, api_key=config.credentials.get("api_key", ""), partner_id=partner_id):
            raise ProviderProtocolError("The KYC verifier's answer is not signed with our key",
                                        provider_code="answer_signature", raw=safe)
        text = str(body.get("ResultText", ""))
        job_id = str(body.get("SmileJobID", ""))
        if code in MATCH_CODES:
            match = KycMatch.MATCH
        elif code in NO_MATCH_CODES:
            match = KycMatch.NO_MATCH
        elif code in UNSUPPORTED_CODES:
            raise UserFixableError(text or "Unsupported id type", code="kyc_scheme_unsupported",
                                   provider_code=code, raw=safe)
        else:  # 1015 authority down, anything unknown: not final
            match = KycMatch.PENDING
        return KycCheckResult(match=match, provider_reference=job_id, result_code=code, result_text=text, raw=safe)


def _signed_with(body: dict[str, Any], *, api_key: str, partner_id: str) -> bool:
    """Whether the answer carries Smile ID's signature for our partner id and key over its own timestamp."""
    timestamp, signature = body.get("timestamp"), body.get("signature")
    if not isinstance(timestamp, str) or not isinstance(signature, str) or not timestamp:
        return False
    return hmac.compare_digest(sign(api_key=api_key, partner_id=partner_id, timestamp=timestamp), signature)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
