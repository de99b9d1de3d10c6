"""Resellers, agents and the reseller API (tenant_apps.agents)."""

from __future__ import annotations

from typing import Any

from ..env import env_int, env_str
from .api import REST_FRAMEWORK

RESELLERS: dict[str, Any] = {
    # Reseller domains: "<subdomain>.<suffix>"; empty = the parent operation's domain without its first label
    # (ng.localhost -> quickvend.localhost, ng.nexustop.com -> quickvend.nexustop.com).
    "DOMAIN_SUFFIX": env_str("RESELLER_DOMAIN_SUFFIX", ""),
    "RESERVED_SUBDOMAINS": ["www", "api", "admin", "public", "mail", "static", "app", "head-office"],
    "AGENT_MAX_DEPTH": 3,
    "INVITATION_DAYS": 7,
    # Velocity defaults per agent (an agent row can override them). The daily amount in major units of the
    # tenant's currency (about USD 330 each; "*" for another currency): one figure of minor units for every
    # currency was NGN 500,000.00 in Nigeria but 50,000,000 F CFA (about USD 83,000) in the CFA zone.
    "AGENT_MAX_TRANSACTIONS_PER_HOUR": 60,
    "AGENT_MAX_AMOUNT_PER_DAY": {"NGN": "500000", "GHS": "5000", "XOF": "200000", "GNF": "2850000", "GMD": "23000",
                                 "LRD": "63000", "SLE": "7500", "CVE": "33000", "MRU": "13000", "*": "500000"},
    # Signed API requests.
    "SIGNATURE_WINDOW_SECONDS": 300,
    # Which scope a key needs is declared by each view (@api_key_scopes, shared_apps/core/api_scopes.py).
    # Outbound webhooks: attempts and backoff (seconds: base * 2 ** (attempt - 1)).
    "WEBHOOK_MAX_ATTEMPTS": 6,
    "WEBHOOK_BACKOFF_BASE_SECONDS": float(env_str("RESELLER_WEBHOOK_BACKOFF_SECONDS", "30")),
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,
}

# Invitations (each an SMS or email to the contact typed) one agent or admin sends in any 24 hours.
AGENT_INVITATIONS_PER_DAY = env_int("AGENT_INVITATIONS_PER_DAY", 20)

# Fernet keys for API key and webhook secrets at rest (comma-separated; first encrypts, all decrypt).
# Empty: derived from SECRET_KEY (development and tests).
RESELLER_SECRET_KEYS = [key for key in env_str("RESELLER_SECRET_KEYS", "").split(",") if key.strip()]

# Signed reseller requests authenticate on the same purchase/wallet endpoints as JWTs.
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
    "tenant_apps.agents.authentication.ResellerSignatureAuthentication",
]
