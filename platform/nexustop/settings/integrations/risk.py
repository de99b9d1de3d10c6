"""Risk rules, step-up and device signals (tenant_apps.risk; docs/risk.md)."""

from __future__ import annotations

from typing import Any

from ..env import env_int, env_str

# Keys the hashes of device ids and recipients (equality only; never reversible). Empty: derived from
# DJANGO_SECRET_KEY, which then must not rotate without making every device and recipient look new.
RISK_HASH_KEY = env_str("RISK_HASH_KEY", "")

# The web's device id: a random value in a signed, HttpOnly, SameSite=Lax cookie (Secure like the session's).
RISK_DEVICE_COOKIE_NAME = "nt_device"
RISK_DEVICE_COOKIE_AGE = env_int("RISK_DEVICE_COOKIE_DAYS", 730) * 24 * 3600

RISK_STEP_UP: dict[str, Any] = {
    "TTL_SECONDS": env_int("RISK_STEP_UP_TTL_SECONDS", 600),  # a challenge must be answered and used by then
    "MAX_ATTEMPTS": 5,  # wrong codes (or PINs) before the challenge is dead
    # The transaction-PIN service: a dotted path to an object with has_pin(user) and check_pin(user, pin) -> bool.
    # Empty (today): a PIN step-up asks for an SMS code instead.
    "PIN_VERIFIER": env_str("RISK_STEP_UP_PIN_VERIFIER", "tenant_apps.pins.services.STEP_UP_PIN_VERIFIER"),
}
