"""Constants of the aggregator's wire protocol shared by connector and simulator."""

AUDIENCE = "https://topups.reloadly.com"
CURRENCIES = {"GH": "GHS", "SN": "XOF", "CI": "XOF"}
DIAL_CODES = {"GH": "233", "SN": "221", "CI": "225"}

# Webhooks: timestamped HMAC-SHA256 (our model of the aggregator's signed webhooks; the exact
# header names and signed string must be checked against the live provider before production).
SIGNATURE_HEADER = "X-Reloadly-Signature"
TIMESTAMP_HEADER = "X-Reloadly-Request-Timestamp"
WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_signature(secret: str, body: bytes, timestamp: str) -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), body + b":" + timestamp.encode(), hashlib.sha256).hexdigest()
