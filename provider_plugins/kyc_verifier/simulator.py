"""A real local HTTP server speaking Smile ID's v1 Enhanced KYC API: ``POST /v1/id_verification``
(synchronous) and ``POST /v1/job_status``.

    python -m provider_plugins.kyc_verifier.simulator --port 8026

Published protocol it follows (checked with the official ``smile-id-core`` SDK, see
tests/providers/test_smile_id_sdk_fidelity.py):
- https://docs.usesmileid.com/products/for-individuals-kyc/identity-lookup (request and answer fields);
- https://docs.usesmileid.com/further-reading/job-status and
  https://docs.usesmileid.com/integration-options/rest-api/utilities (job status);
- https://docs.usesmileid.com/further-reading/result-codes/error-codes (2205 bad signature,
  2212 wrong job type, 2213 missing parameter; the body is ``{"code", "error"}``).
Every answer is signed the way requests are (``signature`` and ``timestamp``), so a client can
confirm it came from Smile ID.

Answers: a number ending in ``0000`` is unknown (1013), a ``first_name`` of ``Mismatch`` does
not match (1022), anything else is validated (1012). A job_status for a job never submitted is
a 404 ``{"error"}``: Smile ID publishes no code for it, so none is made up here.
Fault modes (``POST /_sim/mode {"mode": ...}``): ``ok``, ``slow`` (1 s),
``timeout`` (sleeps past the client timeout), ``unavailable`` (503),
``authority_down`` (1015: unclear), ``bad_auth`` (signature refused), ``forged_answer``
(a validated answer signed with another key: what a client must not believe).
``GET /_sim/jobs`` lists checks received (numbers masked).
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

from .connector import sign

MODES = {"ok", "slow", "timeout", "unavailable", "authority_down", "bad_auth", "forged_answer"}
KNOWN_ID_TYPES = {"BVN", "NIN_V2", "NIN", "GHANA_CARD", "NATIONAL_ID"}
ENHANCED_KYC = 5
REQUIRED = ("country", "id_type", "id_number")
NOT_AVAILABLE = "Not Available"
JOB_STATUS_FOUND = "2302"  # the code of a job_status answer for a job that exists (Smile's own example)
Answer = tuple[int, dict[str, Any]]


def _error(status: int, code: str, text: str) -> Answer:
    return status, {"code": code, "error": text}


class KycVerifierSimulator(LocalServer):
    thread_name = "kyc-simulator"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, partner_id: str = "1001",
                 api_key: str = "sim-kyc-key", timeout_sleep: float = 5.0) -> None:
        super().__init__(host=host, port=port)
        self.partner_id = partner_id
        self.api_key = api_key
        self.mode = "ok"
        self.timeout_sleep = timeout_sleep
        self.jobs: list[dict[str, Any]] = []
        self._results: dict[tuple[str, str], dict[str, Any]] = {}  # (user_id, job_id) -> answer
        self._ids = itertools.count(700_000_001)
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def _signed(self, body: dict[str, Any]) -> dict[str, Any]:
        """Smile ID signs its answers with the request scheme, over a timestamp of its own."""
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        key = "not-" + self.api_key if self.mode == "forged_answer" else self.api_key
        return {**body, "timestamp": timestamp,
                "signature": sign(api_key=key, partner_id=self.partner_id, timestamp=timestamp)}

    def _refused(self, body: dict[str, Any]) -> Answer | None:
        """The fault modes, then the signature check every call starts with."""
        mode = self.mode
        if mode == "slow":
            time.sleep(1.0)
        elif mode == "timeout":
            time.sleep(self.timeout_sleep)
        elif mode == "unavailable":
            return 503, {"error": "Service Unavailable"}
        expected = sign(api_key=self.api_key, partner_id=self.partner_id, timestamp=str(body.get("timestamp", "")))
        if (mode == "bad_auth" or str(body.get("partner_id")) != self.partner_id
                or not hmac.compare_digest(expected, str(body.get("signature", "")))):
            return _error(401, "2205", "You're not authorized to do that.")
        return None

    def _verify(self, body: dict[str, Any]) -> Answer:
        refused = self._refused(body)
        if refused:
            return refused
        partner_params = body.get("partner_params")
        if (not isinstance(partner_params, dict) or not all(partner_params.get(k) for k in ("job_id", "user_id"))
                or not all(body.get(k) for k in REQUIRED)):
            return _error(400, "2213", "A required parameter is missing")
        if str(partner_params.get("job_type")) != str(ENHANCED_KYC):
            return _error(400, "2212", "Invalid job type")
        id_type = str(body.get("id_type", ""))
        number = str(body.get("id_number", ""))
        with self._lock:
            job_id = str(next(self._ids))
            self.jobs.append({"job_id": job_id, "id_type": id_type, "id_number_last4": number[-4:],
                              "partner_params": partner_params})
        answer = self._signed({**self._outcome(body, id_type, number), "JSONVersion": "1.0.0", "SmileJobID": job_id,
                               "PartnerParams": partner_params, "ResultType": "ID Verification",
                               "Country": body.get("country", ""), "IDType": id_type, "IDNumber": number,
                               "Source": "ID API"})
        with self._lock:
            self._results[(str(partner_params["user_id"]), str(partner_params["job_id"]))] = answer
        return 200, answer

    def _outcome(self, body: dict[str, Any], id_type: str, number: str) -> dict[str, Any]:
        if id_type not in KNOWN_ID_TYPES:
            return {"ResultCode": "1014", "ResultText": "Unsupported ID Type", "IsFinalResult": "true"}
        if self.mode == "authority_down":
            return {"ResultCode": "1015", "ResultText": "ID Number Service Unavailable", "IsFinalResult": "false"}
        if number.replace("-", "").endswith("0000"):
            return {"ResultCode": "1013", "ResultText": "ID Number Not Found", "IsFinalResult": "true",
                    "Actions": {"Verify_ID_Number": "Not Verified", "Return_Personal_Info": "Not Returned"}}
        if str(body.get("first_name", "")).lower() == "mismatch":
            return {"ResultCode": "1022", "ResultText": "No Match", "IsFinalResult": "true",
                    "Actions": {"Verify_ID_Number": "Verified", "Names": "Not Verified"}}
        return {"ResultCode": "1012", "ResultText": "ID Number Validated", "IsFinalResult": "true",
                "Actions": {"Verify_ID_Number": "Verified", "Return_Personal_Info": "Returned"},
                "FullName": "ADA OBI", "DOB": "1990-01-01", "ExpirationDate": NOT_AVAILABLE,
                "PhoneNumber": NOT_AVAILABLE, "Gender": NOT_AVAILABLE, "Address": NOT_AVAILABLE,
                "Photo": NOT_AVAILABLE, "FullData": {}}

    def _job_status(self, body: dict[str, Any]) -> Answer:
        refused = self._refused(body)
        if refused:
            return refused
        with self._lock:
            found = self._results.get((str(body.get("user_id", "")), str(body.get("job_id", ""))))
        if found is None:
            return 404, {"error": "Job not found"}
        result = {k: v for k, v in found.items() if k not in ("signature", "timestamp")}
        status: dict[str, Any] = {"code": JOB_STATUS_FOUND, "job_complete": result["IsFinalResult"] == "true",
                                  "job_success": result["ResultCode"] == "1012", "result": result}
        if body.get("history") in (True, "true"):
            status["history"] = [result]
        if body.get("image_links") in (True, "true"):
            status["image_links"] = {}  # an ID-number check captures no image
        return 200, self._signed(status)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.read_json_object()
                if path == "/v1/id_verification":
                    self.reply(*simulator._verify(body))
                elif path == "/v1/job_status":
                    self.reply(*simulator._job_status(body))
                elif path == "/_sim/mode":
                    try:
                        simulator.set_mode(str(body.get("mode", "")))
                    except ValueError as exc:
                        self.reply(400, {"error": str(exc)})
                        return
                    self.reply(200, {"mode": simulator.mode})
                else:
                    self.reply(404, {"error": "Not found"})

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/_sim/jobs":
                    with simulator._lock:
                        self.reply(200, {"jobs": list(simulator.jobs)})
                elif path == "/health":
                    self.reply(200, {"status": "ok", "mode": simulator.mode})
                else:
                    self.reply(404, {"error": "Not found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="KYC verifier simulator (Smile ID-shaped API)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--partner-id", default="1001")
    parser.add_argument("--api-key", default="sim-kyc-key")
    args = parser.parse_args()
    simulator = KycVerifierSimulator(host=args.host, port=args.port, partner_id=args.partner_id,
                                     api_key=args.api_key).start()
    serve_until_interrupted(simulator, f"KYC verifier simulator on {simulator.url}")


if __name__ == "__main__":
    main()
