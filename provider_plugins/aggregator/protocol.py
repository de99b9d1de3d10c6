"""Constants of Reloadly's wire protocol shared by the connector and the simulator.

Sources: docs.reloadly.com (Airtime API: authentication, operators, auto-detect, top-ups,
transaction reports; Utility Payments API: billers, pay, transactions) and the official
``reloadly-airtime`` SDK on PyPI (paths, ``Accept`` media types, DTO field names).
"""

import hashlib
import hmac

from provider_plugins.interfaces.numbering import COUNTRIES

AUDIENCE = "https://topups.reloadly.com"
UTILITIES_AUDIENCE = "https://utilities.reloadly.com"
AIRTIME_ACCEPT = "application/com.reloadly.topups-v1+json"
UTILITIES_ACCEPT = "application/com.reloadly.utilities-v1+json"
CURRENCIES = {code: country.currency for code, country in COUNTRIES.items()}
DIAL_CODES = {code: country.calling_code for code, country in COUNTRIES.items()}

# Utility biller types -> our product types.
BILLER_TYPES = {"ELECTRICITY_BILL_PAYMENT": "electricity", "WATER_BILL_PAYMENT": "water",
                "TV_BILL_PAYMENT": "cable_tv"}

# Webhooks: timestamped HMAC-SHA256 (our model of the aggregator's signed webhooks; the exact
# header names and signed string must be checked against the live provider before production).
SIGNATURE_HEADER = "X-Reloadly-Signature"
TIMESTAMP_HEADER = "X-Reloadly-Request-Timestamp"
WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_signature(secret: str, body: bytes, timestamp: str) -> str:
    return hmac.new(secret.encode(), body + b":" + timestamp.encode(), hashlib.sha256).hexdigest()
