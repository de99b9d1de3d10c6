"""DT One Digital Value Services (DVS) API v1: the facts shared by connector and simulator.

Public documentation: https://developers.dtone.com (API reference "Digital Value Services API",
https://developers.dtone.com/reference/Overview; flow and callbacks:
https://developers.dtone.com/reference/modes, https://developers.dtone.com/reference/callbacks;
statuses: https://developers.dtone.com/docs/handling-transactions). Hosts: production
``https://dvs-api.dtone.com/v1``, pre-production (sandbox) ``https://preprod-dvs-api.dtone.com/v1``.

* Auth: HTTP Basic, API key as user name, API secret as password (keys from DT Shop).
* Discovery: ``GET /services``, ``/countries``, ``/operators``, ``/products`` (filters
  ``country_iso_code`` (ISO 3166-1 alpha-3), ``operator_id``, ``type``, ``service_id``; pages with
  ``page``/``per_page`` and the ``X-Total``, ``X-Total-Pages``, ``X-Per-Page``, ``X-Page``, ``X-Next-Page``,
  ``X-Prev-Page`` headers), each with its one-item read (``/services/{id}``, ``/countries/{iso3}``, ...),
  ``/benefit-types``, ``/promotions``, ``/campaigns``, ``GET /lookup/mobile-number/{mobile_number}`` (or
  ``POST /lookup/mobile-number``), ``GET /balances``. Published OpenAPI reference (1.14.0) and the official
  SDKs (Node.js ``@dtone/dvs``, Java) linked from https://developers.dtone.com.
* Transactions: ``POST /async/transactions`` ``{external_id, product_id, auto_confirm,
  credit_party_identifier: {mobile_number}, calculation_mode, destination|source, callback_url}`` ->
  201 transaction; ``POST /async/transactions/{id}/confirm`` -> 202; ``POST /transactions/{id}/cancel``;
  ``GET /transactions/{id}``; ``GET /transactions?external_id=``. Callbacks: an unsigned ``POST`` of
  the transaction object to ``callback_url`` on COMPLETED / DECLINED, and on a manual REVERSED.
* Status classes: CREATED 1 -> CONFIRMED 2 -> SUBMITTED 5 -> COMPLETED 7 (-> REVERSED 8);
  REJECTED 3 (by DT One), CANCELLED 4, DECLINED 9 (by the operator). Only COMPLETED, REJECTED,
  CANCELLED, DECLINED and REVERSED are final.
* Errors: ``{"errors": [{"code": 1007001, "message": "..."}]}``.
"""

from __future__ import annotations

# Status classes (id, message) as DT One numbers them.
CREATED, CONFIRMED, REJECTED, CANCELLED, SUBMITTED, COMPLETED, REVERSED, DECLINED = (
    "CREATED", "CONFIRMED", "REJECTED", "CANCELLED", "SUBMITTED", "COMPLETED", "REVERSED", "DECLINED")
CLASS_IDS = {CREATED: 1, CONFIRMED: 2, REJECTED: 3, CANCELLED: 4, SUBMITTED: 5, COMPLETED: 7, REVERSED: 8,
             DECLINED: 9}
FINAL_CLASSES = frozenset({COMPLETED, REJECTED, CANCELLED, DECLINED, REVERSED})
FAILED_CLASSES = frozenset({REJECTED, CANCELLED, DECLINED, REVERSED})

# Detailed statuses (message -> id) used by the simulator; the connector keys on the class, as DT One advises.
STATUS_IDS = {
    CREATED: 10000, CONFIRMED: 20000, REJECTED: 30000, "REJECTED-INSUFFICIENT-BALANCE": 30800,
    "REJECTED-INVALID-CREDIT-PARTY": 30100, CANCELLED: 40000, SUBMITTED: 50000, COMPLETED: 70000,
    REVERSED: 80000, DECLINED: 90000, "DECLINED-INVALID-CREDIT-PARTY": 90200,
    "DECLINED-BARRED-CREDIT-PARTY": 90201, "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE": 90400,
    "DECLINED-DUPLICATED-TRANSACTION": 90300, "DECLINED-EXCEPTION": 90900,
}

# API error codes (HTTP status in the comment).
BAD_REQUEST = 1000400  # 400
UNAUTHORIZED = 1000401  # 401
NOT_FOUND = 1000404  # 404
TOO_MANY_REQUESTS = 1000429  # 429
PRODUCT_NOT_AVAILABLE = 1003001  # 404
AMOUNT_OUT_OF_RANGE = 1003002  # 400
UNIT_INVALID = 1003003  # 400
INVALID_CREDIT_PARTY_MOBILE = 1005003  # 400
OPERATOR_NOT_FOUND = 1005006  # 404
INSUFFICIENT_BALANCE = 1006001  # 400
EXTERNAL_ID_USED = 1007001  # 400
ALREADY_CONFIRMED = 1007002  # 400
CANNOT_CONFIRM = 1007004  # 400
TRANSACTION_NOT_FOUND = 1008004  # 404
UNEXPECTED_ERROR = 1009001  # 500
SERVICE_UNAVAILABLE = 1009503  # 503

# Product types.
FIXED_VALUE_RECHARGE = "FIXED_VALUE_RECHARGE"
RANGED_VALUE_RECHARGE = "RANGED_VALUE_RECHARGE"

# Pre-production: the last three digits of the credit party identifier pick the outcome.
SANDBOX_SUFFIXES = {"0": COMPLETED, "1": COMPLETED, "2": "DECLINED-INVALID-CREDIT-PARTY",
                    "3": "DECLINED-BARRED-CREDIT-PARTY", "4": "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE",
                    "5": "DECLINED-DUPLICATED-TRANSACTION", "6": DECLINED, "7": "DECLINED-EXCEPTION"}


def sandbox_outcome(mobile_number: str) -> str | None:
    """``+6595123102`` -> ``DECLINED-INVALID-CREDIT-PARTY`` (suffixes 10X/20X/30X), else None."""
    digits = "".join(ch for ch in mobile_number if ch.isdigit())
    tail = digits[-3:]
    if len(tail) == 3 and tail[0] in "123" and tail[1] == "0":
        return SANDBOX_SUFFIXES.get(tail[2])
    return None
