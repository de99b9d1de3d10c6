"""Fidelity: the community MTN MoMo SDK (``mtnmomo`` 3.0.1 on PyPI), pointed at our simulator by its base URL
only, runs collection and disbursement unmodified (token, request-to-pay, transfer, status, balance).

Its pins clash with ours (``requests==2.21.0``), so it runs in its own virtual environment, created once under
the system temp directory (``NEXUSTOP_SDK_VENVS`` overrides) and reused by later runs. The environment is built
without pip of its own (our pip installs into it: no ensurepip) from exact pins without dependency resolution
(the SDK and the versions its requirements resolve to), the way tests/providers/test_reloadly_sdk_fidelity.py
builds Reloadly's.
"""

from __future__ import annotations

import json
import subprocess
import time

from provider_plugins.mtn_momo import simulator as momo
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from tests.support.sdk_envs import sdk_python

# mtnmomo 3.0.1 and what its requirements (requests==2.21.0, Click==7.0, phonenumbers) resolve to.
SDK_PINS = ["mtnmomo==3.0.1", "requests==2.21.0", "Click==7.0", "phonenumbers==9.0.43", "chardet==3.0.4",
            "idna==2.8", "urllib3==1.24.3", "certifi==2026.10.19.post1"]

SCRIPT = r"""
import json, sys, time, uuid
from mtnmomo.collection import Collection
from mtnmomo.disbursement import Disbursement
cfg = json.loads(sys.argv[1])
out = {}
collection = Collection(cfg)
out["collection_balance"] = collection.getBalance()


def settled(status_of, ref):
    # The simulator settles after its delay (20 ms): ask again while it says PENDING, for at most 10 s.
    deadline = time.monotonic() + 10
    while True:
        status = status_of(ref)
        if status.get("status") != "PENDING" or time.monotonic() > deadline:
            return status
        time.sleep(0.01)


reference = collection.requestToPay(mobile="0772123456", amount="600", external_id="sdk-rtp-1", currency="UGX")
out["rtp_ref"] = reference["transaction_ref"]
out["rtp_status"] = settled(collection.getTransactionStatus, reference["transaction_ref"])
disbursement = Disbursement(cfg)
sent = disbursement.transfer(amount="250", mobile="0772123456", external_id="sdk-po-1", currency="UGX")
out["transfer_status"] = settled(disbursement.getTransactionStatus, sent["transaction_ref"])
out["disbursement_balance"] = disbursement.getBalance()
print("RESULT " + json.dumps(out))
"""


def test_the_mtnmomo_sdk_parses_every_answer_of_the_simulator():
    python = sdk_python("mtnmomo", SDK_PINS)
    with MtnMomoSimulator(approve_delay=0.02, transfer_delay=0.02) as sim:
        config = {"BASE_URL": sim.url, "ENVIRONMENT": "sandbox", "CALLBACK_HOST": "example.test",
                  "COLLECTION_PRIMARY_KEY": momo.DEFAULT_SUBSCRIPTION_KEY, "COLLECTION_USER_ID": momo.DEFAULT_API_USER,
                  "COLLECTION_API_SECRET": momo.DEFAULT_API_KEY,
                  "DISBURSEMENT_PRIMARY_KEY": momo.DEFAULT_DISBURSEMENT_SUBSCRIPTION_KEY,
                  "DISBURSEMENT_USER_ID": momo.DEFAULT_DISBURSEMENT_API_USER,
                  "DISBURSEMENT_API_SECRET": momo.DEFAULT_DISBURSEMENT_API_KEY}
        started = time.monotonic()
        run = subprocess.run([str(python), "-c", SCRIPT, json.dumps(config)], capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, run.stderr[-2000:]
        line = next(row for row in run.stdout.splitlines() if row.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        assert time.monotonic() - started < 30
    assert result["rtp_status"]["status"] == "SUCCESSFUL" and result["rtp_status"]["externalId"] == "sdk-rtp-1"
    assert result["rtp_status"]["payer"] == {"partyIdType": "MSISDN", "partyId": "256772123456"}
    assert result["transfer_status"]["status"] == "SUCCESSFUL" and result["transfer_status"]["amount"] == "250"
    assert "availableBalance" in result["disbursement_balance"] and "currency" in result["collection_balance"]
