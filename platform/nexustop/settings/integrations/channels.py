"""The customer channels beside the web: the transaction PIN (tenant_apps.pins) and USSD (tenant_apps.ussd).

docs/ussd.md explains both; the tenant-level switches (service code, PIN threshold) live in each tenant's
schema and are set in the back office, not here.
"""

from __future__ import annotations

from typing import Any

from ..env import env_list

TRANSACTION_PIN: dict[str, Any] = {
    "MIN_LENGTH": 4,
    "MAX_LENGTH": 6,
    # Wrong PINs in a row before the PIN locks; only a reset with a code sent by SMS unlocks it.
    "MAX_ATTEMPTS": 3,
    # A change in steps (USSD: pins.services.pin_change_begin/finish): how long the checked current PIN holds.
    "CHANGE_TICKET_SECONDS": 300,
}

USSD: dict[str, Any] = {
    # Africa's Talking ends a USSD session after 180 s at most (60 s without an answer from the customer,
    # 10-15 s without one from us): our session state lives as long, in Redis, per tenant.
    "SESSION_TTL_SECONDS": 180,
    # How long the answer to one (session, text) is kept, so a repeated or late request from the gateway
    # gets the first answer again without running anything (money is protected by the idempotency keys).
    "ANSWER_TTL_SECONDS": 900,
    # A twin of a request still being processed waits this long for its answer (under the gateway's 10 s).
    "TWIN_WAIT_SECONDS": 8.0,
    # Bounds on what the gateway may send (a session's whole input, the form body).
    "MAX_TEXT_CHARS": 200,
    "MAX_INPUTS": 20,
    "MAX_BODY_BYTES": 4096,
    # Characters one screen may hold (the handset shows 182 at most; some networks cut at 160).
    "SCREEN_CHARS": 160,
    # The gateway's addresses (CIDRs, comma-separated). Empty: any address, the secret path token alone.
    "ALLOWED_IPS": env_list("USSD_GATEWAY_ALLOWED_IPS", []),
}
