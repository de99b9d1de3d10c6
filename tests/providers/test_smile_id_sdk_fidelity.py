"""Fidelity: Smile ID's official Python SDK (``smile-id-core`` 3.0.1 on PyPI), pointed at the KYC verifier
simulator by its base URL only (``sid_server`` takes a URL as well as 0/1), runs every call of the v1 API the
simulator models: Enhanced KYC (``IdApi.submit_job``, job type 5), job status (``Utilities.get_job_status``,
which refuses an answer whose signature it cannot confirm) and ``Signature.confirm_signature`` on the answers.

Left out, because the simulator does not model them: KYB (``BusinessVerification``, /v1/business_verification)
and the biometric jobs of ``WebApi`` (/v1/upload, /v1/token). Smile ID's newer ``usesmileid`` SDK speaks the V3
API (JWT from /v3/token, multipart /v3/enhanced_kyc) and accepts https base URLs only: not this protocol.

The SDK brings packages ours does not carry (pycryptodome, types-requests: the latter would change what mypy
sees of requests), so it runs in its own virtual environment, built once under the temp directory
(``NEXUSTOP_SDK_VENVS`` overrides) from exact pins without dependency resolution, as
tests/gateways/test_momo_sdk_fidelity.py builds the MoMo SDK's.
"""

from __future__ import annotations

import json
import os
import subprocess

from provider_plugins.kyc_verifier.simulator import KycVerifierSimulator
from tests.support.sdk_envs import sdk_python

# smile-id-core 3.0.1 and what its requirements resolve to.
SDK_PINS = ["smile-id-core==3.0.1", "pycryptodome==3.24.1", "requests==2.34.2", "charset-normalizer==3.5.3",
            "idna==3.21", "types-requests==2.33.0.20261030", "typing_extensions==4.16.0", "urllib3==2.8.0",
            "certifi==2026.10.19.post1"]

SCRIPT = r"""
import json, sys
from smile_id_core import IdApi, ServerError, Signature, Utilities
base, partner_id, api_key = sys.argv[1:4]
api = IdApi(partner_id, api_key, base)  # the only change: where the SDK sends its requests
signature = Signature(partner_id, api_key)
out = {}


def kyc(job, id_type="BVN", number="22212345678", country="NG", first_name="Ada"):
    params = {"job_id": job, "user_id": "user-" + job, "job_type": 5}
    answer = api.submit_job(params, {"country": country, "id_type": id_type, "id_number": number,
                                     "first_name": first_name, "last_name": "Obi", "entered": True})
    answer["signature_confirmed"] = signature.confirm_signature(answer["timestamp"], answer["signature"])
    return answer


out["validated"] = kyc("job-1")
out["not_found"] = kyc("job-2", number="22212340000")
out["no_match"] = kyc("job-3", first_name="Mismatch")
out["ghana"] = kyc("job-4", id_type="GHANA_CARD", number="GHA-712345678-3", country="GH")
out["unsupported"] = kyc("job-5", id_type="PASSPORT", number="A00000000")
utilities = Utilities(partner_id, api_key, base)
options = {"return_job_status": True, "return_history": True, "return_images": True, "use_enrolled_image": False}
out["status"] = utilities.get_job_status({"job_id": "job-1", "user_id": "user-job-1", "job_type": 5},
                                        options)
out["status_no_match"] = utilities.get_job_status({"job_id": "job-3", "user_id": "user-job-3",
                                                  "job_type": 5}, options)
try:
    IdApi(partner_id, "not-the-key", base).submit_job({"job_id": "job-6", "user_id": "u", "job_type": 5},
                                                      {"country": "NG", "id_type": "BVN", "id_number": "1"})
except ServerError as exc:
    out["refused"] = str(exc)
print("RESULT " + json.dumps(out))
"""


def test_the_official_smile_id_sdk_parses_every_answer_of_the_simulator():
    python = sdk_python("smileid", SDK_PINS)
    with KycVerifierSimulator() as sim:
        run = subprocess.run([str(python), "-c", SCRIPT, sim.url + "/v1", sim.partner_id, sim.api_key],
                             capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
        assert run.returncode == 0, run.stderr[-2000:]
        out = json.loads(next(row for row in run.stdout.splitlines() if row.startswith("RESULT ")).removeprefix(
            "RESULT "))
        assert [job["partner_params"]["job_id"] for job in sim.jobs] == ["job-1", "job-2", "job-3", "job-4", "job-5"]
    validated = out["validated"]
    assert validated["signature_confirmed"] is True
    assert (validated["ResultCode"], validated["ResultText"], validated["IsFinalResult"]) == (
        "1012", "ID Number Validated", "true")
    assert validated["Actions"]["Verify_ID_Number"] == "Verified" and validated["FullName"] == "ADA OBI"
    assert validated["PartnerParams"] == {"job_id": "job-1", "user_id": "user-job-1", "job_type": 5}
    assert (validated["Country"], validated["IDType"], validated["ResultType"]) == ("NG", "BVN", "ID Verification")
    assert validated["SmileJobID"].isdigit()
    codes = {name: (out[name]["ResultCode"], out[name]["signature_confirmed"])
             for name in ("not_found", "no_match", "ghana", "unsupported")}
    assert codes == {"not_found": ("1013", True), "no_match": ("1022", True), "ghana": ("1012", True),
                     "unsupported": ("1014", True)}
    # get_job_status raised already if the simulator's signature did not confirm.
    status = out["status"]
    assert (status["job_complete"], status["job_success"], status["code"]) == (True, True, "2302")
    assert status["result"]["SmileJobID"] == validated["SmileJobID"] and status["result"]["ResultCode"] == "1012"
    assert status["history"][0]["ResultCode"] == "1012" and status["image_links"] == {}
    assert (out["status_no_match"]["job_complete"], out["status_no_match"]["job_success"]) == (True, False)
    assert "status=401" in out["refused"] and "2205" in out["refused"]
