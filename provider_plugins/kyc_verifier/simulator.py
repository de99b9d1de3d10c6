"""A real local HTTP server speaking the Smile ID-shaped ``/v1/id_verification`` API.

    python -m provider_plugins.kyc_verifier.simulator --port 8026

Answers: a number ending in ``0000`` is unknown (1013), a ``first_name`` of
``Mismatch`` does not match (1022), anything else is validated (1012).
Fault modes (``POST /_sim/mode {"mode": ...}``): ``ok``, ``slow`` (1 s),
``timeout`` (sleeps past the client timeout), ``unavailable`` (503),
``authority_down`` (1015: unclear), ``bad_auth`` (signature refused).
``GET /_sim/jobs`` lists checks received (numbers masked).
"""

from __future__ import annotations

import argparse
import hmac
import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlparse

from provider_plugins.simkit.local_server import LocalServer, QuietHandler, serve_until_interrupted

from .connector import sign

MODES = {"ok", "slow", "timeout", "unavailable", "authority_down", "bad_auth"}
KNOWN_ID_TYPES = {"BVN", "NIN_V2", "NIN", "GHANA_CARD", "NATIONAL_ID"}


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
        self._ids = itertools.count(700_000_001)
        self._lock = threading.Lock()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode

    def _verify(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        mode = self.mode
        if mode == "slow":
            time.sleep(1.0)
        elif mode == "timeout":
            time.sleep(self.timeout_sleep)
        elif mode == "unavailable":
            return 503, {"error": "Service Unavailable"}
        expected = sign(api_key=self.api_key, partner_id=self.partner_id, timestamp=str(body.get("timestamp", "")))
        if (mode == "bad_auth" or body.get("partner_id") != self.partner_id
                or not hmac.compare_digest(expected, str(body.get("signature", "")))):
            return 401, {"error": "Invalid signature", "code": "2205"}
        id_type = str(body.get("id_type", ""))
        number = str(body.get("id_number", ""))
        with self._lock:
            job_id = str(next(self._ids))
            self.jobs.append({"job_id": job_id, "id_type": id_type, "id_number_last4": number[-4:],
                              "partner_params": body.get("partner_params", {})})
        base = {"JSONVersion": "1.0.0", "SmileJobID": job_id, "PartnerParams": body.get("partner_params", {}),
                "ResultType": "ID Verification", "Country": body.get("country", ""), "IDType": id_type,
                "IDNumber": number, "IsFinalResult": "true"}
        if id_type not in KNOWN_ID_TYPES:
            return 200, {**base, "ResultCode": "1014", "ResultText": "Unsupported ID Type"}
        if mode == "authority_down":
            return 200, {**base, "ResultCode": "1015", "ResultText": "ID Number Service Unavailable",
                         "IsFinalResult": "false"}
        if number.replace("-", "").endswith("0000"):
            return 200, {**base, "ResultCode": "1013", "ResultText": "ID Number Not Found",
                         "Actions": {"Verify_ID_Number": "Not Verified"}}
        if str(body.get("first_name", "")).lower() == "mismatch":
            return 200, {**base, "ResultCode": "1022", "ResultText": "No Match",
                         "Actions": {"Verify_ID_Number": "Verified", "Names": "Not Verified"}}
        return 200, {**base, "ResultCode": "1012", "ResultText": "ID Number Validated", "FullName": "ADA OBI",
                     "DOB": "1990-01-01", "Actions": {"Verify_ID_Number": "Verified",
                                                      "Return_Personal_Info": "Returned"}}

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                body = self.read_json_object()
                if path == "/v1/id_verification":
                    self.reply(*simulator._verify(body))
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
