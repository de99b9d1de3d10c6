"""VTPass wire-protocol facts shared by the connector and the simulator.

Source: VTPass API documentation (buying services, variation codes,
merchant-verify, requery, response codes, callbacks).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LAGOS = ZoneInfo("Africa/Lagos")
CURRENCY = "NGN"

# Top-level "code" values.
PROCESSED = "000"
PROCESSING = "099"
TRANSACTION_QUERY = "001"
BILLER_CONFIRMED = "020"
RESOLVED = "044"
NOT_PROCESSED = "091"
FAILED = "016"
VARIATION_NOT_FOUND = "010"
INVALID_ARGUMENTS = "011"
PRODUCT_NOT_FOUND = "012"
BELOW_MINIMUM = "013"
DUPLICATE_REQUEST_ID = "014"
UNKNOWN_REQUEST_ID = "015"
ABOVE_MAXIMUM = "017"
LOW_BALANCE = "018"
LIKELY_DUPLICATE = "019"
ACCOUNT_LOCKED = "021"
ACCOUNT_SUSPENDED = "022"
API_ACCESS_DISABLED = "023"
ACCOUNT_INACTIVE = "024"
BILLER_UNREACHABLE = "030"
INVALID_CREDENTIALS = "087"

DESCRIPTIONS = {
    PROCESSED: "TRANSACTION SUCCESSFUL",
    PROCESSING: "TRANSACTION IS PROCESSING",
    FAILED: "TRANSACTION FAILED",
    VARIATION_NOT_FOUND: "VARIATION CODE DOES NOT EXIST",
    INVALID_ARGUMENTS: "INVALID ARGUMENTS",
    PRODUCT_NOT_FOUND: "PRODUCT DOES NOT EXIST",
    BELOW_MINIMUM: "BELOW MINIMUM AMOUNT ALLOWED",
    DUPLICATE_REQUEST_ID: "REQUEST ID ALREADY EXIST",
    UNKNOWN_REQUEST_ID: "INVALID REQUEST ID",
    ABOVE_MAXIMUM: "ABOVE MAXIMUM AMOUNT ALLOWED",
    LOW_BALANCE: "LOW WALLET BALANCE",
    LIKELY_DUPLICATE: "LIKELY DUPLICATE TRANSACTION",
    INVALID_CREDENTIALS: "INVALID CREDENTIALS",
}

# Inner content.transactions.status values.
DELIVERED, PENDING, INITIATED, FAILED_STATUS, REVERSED = "delivered", "pending", "initiated", "failed", "reversed"

# Service categories (GET /api/services?identifier=...).
IDENTIFIERS = {"airtime": "airtime", "data": "data", "electricity": "electricity-bill", "cable_tv": "tv-subscription",
               "education": "education", "insurance": "insurance"}

# Education (exam PINs) and insurance services, as VTPass names them.
WAEC_RESULT_CHECKER = "waec"  # variation "waecdirect"; answers ``cards: [{Serial, Pin}]``
WAEC_REGISTRATION = "waec-registration"  # variation "waec-registraion" (sic); answers ``tokens: [...]``
JAMB = "jamb"  # variations "utme-mock" / "utme-no-mock"; billersCode = the candidate's profile ID (verified)
THIRD_PARTY_MOTOR = "ui-insure"  # Universal Insurance third-party motor; billersCode = plate number
PIN_SERVICES = frozenset({WAEC_RESULT_CHECKER, WAEC_REGISTRATION, JAMB})
# Vehicle fields the third-party motor insurance purchase carries beside billersCode (VTPass's names).
INSURANCE_FIELDS = ("Insured_Name", "engine_capacity", "Chasis_Number", "Plate_Number", "vehicle_make",
                    "vehicle_color", "vehicle_model", "YearofMake", "state", "lga", "email")
SANDBOX_JAMB_PROFILE = "0123456789"

# Sandbox magic values (from the VTPass sandbox documentation).
SANDBOX_SUCCESS_PHONE = "08011111111"
SANDBOX_PENDING_PHONE = "201000000000"
SANDBOX_UNEXPECTED_PHONE = "500000000000"
SANDBOX_NO_RESPONSE_PHONE = "400000000000"
SANDBOX_TIMEOUT_PHONE = "300000000000"
SANDBOX_PREPAID_METER = "1111111111111"
SANDBOX_POSTPAID_METER = "1010101010101"
SANDBOX_SMARTCARD = "1212121212"

_REQUEST_ID = re.compile(r"^(\d{12})[A-Za-z0-9_-]*$")


def make_request_id(reference: str, created_at: datetime) -> str:
    """VTPass wants ``YYYYMMDDHHII`` (Africa/Lagos) + any alphanumeric suffix.

    Derived deterministically from the core's order reference and creation time,
    so a retry after a crash reuses exactly the same id.
    """
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    suffix = re.sub(r"[^A-Za-z0-9]", "", reference)[:36]
    return created_at.astimezone(LAGOS).strftime("%Y%m%d%H%M") + suffix


def request_id_problem(request_id: str, *, now: datetime | None = None,
                       tolerance: timedelta = timedelta(days=1)) -> str:
    """Why VTPass would reject this request id ("" when it is acceptable)."""
    match = _REQUEST_ID.match(request_id or "")
    if not match:
        return "request_id must be 12+ characters, the first 12 numeric (YYYYMMDDHHII)"
    try:
        stamp = datetime.strptime(match.group(1), "%Y%m%d%H%M").replace(tzinfo=LAGOS)
    except ValueError:
        return "the first 12 characters of request_id must be a date and time (YYYYMMDDHHII)"
    now = now or datetime.now(LAGOS)
    if abs(now - stamp) > tolerance:
        return "request_id must start with today's date in Africa/Lagos time"
    return ""


def national_phone(phone: str) -> str:
    """``+2348031234567`` -> ``08031234567``; anything else (sandbox numbers) -> its digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+234") and len(digits) == 13:
        return "0" + digits[3:]
    return digits


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(TB|GB|MB)\b", re.IGNORECASE)
_VALIDITY = re.compile(r"(\d+)\s*(day|days|hrs|hr|hours|hour|week|weeks|month|months)\b", re.IGNORECASE)


def parse_data_size_mb(name: str) -> int | None:
    match = _SIZE.search(name)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2).upper()
    return round(value * {"MB": 1, "GB": 1024, "TB": 1024 * 1024}[unit])


def parse_validity_days(name: str) -> int | None:
    match = _VALIDITY.search(name)
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2).lower()
    if unit.startswith("h"):
        return max(1, value // 24)
    if unit.startswith("week"):
        return value * 7
    if unit.startswith("month"):
        return value * 30
    return value
