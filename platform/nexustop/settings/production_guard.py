"""Refuse to start production with development stand-ins.

Development and tests run against local simulators with ``sim-`` keys and derive
encryption keys from ``SECRET_KEY``, so that nothing needs configuring. Each of
those defaults is wrong in production, and none of them fails loudly: OTP texts
would go to a loopback simulator, identity numbers would be encrypted with a key
anyone holding ``SECRET_KEY`` can recompute. ``prod.py`` calls :func:`problems`
and refuses to load with the list.

The derivations below mirror the application's development fallbacks
(``tenant_apps.kyc.crypto``, ``shared_apps.providers.crypto``,
``tenant_apps.agents.crypto``, the JWT signing key in ``integrations/auth.py``);
``tests/infra/test_config_parity.py`` checks they stay identical.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from urllib.parse import urlparse

# Hostnames that only ever mean "this machine" or a simulator.
LOCAL_HOSTNAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "host.docker.internal"}


def derived_fernet_keys(secret_key: str) -> dict[str, str]:
    """The Fernet keys development derives from ``secret_key``, by purpose."""
    def fernet(material: str) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()).decode()

    return {
        "KYC_ENCRYPTION_KEYS": fernet(f"nexustop:kyc-encryption:{secret_key}"),
        "PROVIDER_CREDENTIALS_KEYS": fernet(f"provider-credentials:{secret_key}"),
        "RESELLER_SECRET_KEYS": fernet(f"nexustop:reseller-secrets:{secret_key}"),
    }


def derived_jwt_key(secret_key: str) -> str:
    return hashlib.sha256(("jwt:" + secret_key).encode()).hexdigest()


def url_problem(name: str, url: str) -> str | None:
    """Why ``url`` cannot be a production endpoint, or None."""
    if not url:
        return f"{name} is not set (development points it at a local simulator)."
    parsed = urlparse(url)
    if parsed.scheme != "https":
        return f"{name} must be an https:// URL, not {parsed.scheme or 'no scheme'}."
    host = (parsed.hostname or "").lower()
    if not host:
        return f"{name} has no host."
    if host in LOCAL_HOSTNAMES or host.endswith((".localhost", ".local", ".internal")):
        return f"{name} points at this machine ({host}), i.e. a simulator."
    if "simulator" in host or host.startswith(("sim.", "sim-")):
        return f"{name} points at a simulator ({host})."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_link_local or address.is_private:
        return f"{name} points at a loopback or private address ({host}), not the provider."
    return None


def api_key_problem(name: str, key: str) -> str | None:
    if not key:
        return f"{name} is not set (development uses a simulator key)."
    if key.lower().startswith("sim-") or key.lower().startswith("sim_"):
        return f"{name} is a simulator key (starts with 'sim-')."
    return None


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def fernet_keys_problems(name: str, keys: list[str], *, secret_keys: list[str]) -> list[str]:
    if not keys:
        return [f"{name} is empty: development derives this key from SECRET_KEY; production must set its own "
                "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."]
    found = []
    derived = {derived_fernet_keys(secret)[name] for secret in secret_keys}
    for position, key in enumerate(keys, start=1):
        if not _is_fernet_key(key):
            found.append(f"{name} key #{position} is not a Fernet key (32 url-safe base64 bytes).")
        elif key in derived:
            found.append(f"{name} key #{position} is derived from SECRET_KEY: generate an independent key.")
        elif any(secret and secret in key for secret in secret_keys):
            found.append(f"{name} key #{position} contains SECRET_KEY.")
    return found


def problems(*, secret_key: str, secret_key_fallbacks: list[str], jwt_signing_key: str,
             encryption_keys: dict[str, list[str]], endpoints: dict[str, str], api_keys: dict[str, str],
             required: dict[str, str]) -> list[str]:
    """Everything wrong with a production configuration (empty when it may start).

    ``required`` maps the other variables production cannot do without (their
    development defaults point at this machine or at made-up names) to their values.
    """
    secrets = [secret_key, *secret_key_fallbacks]
    found: list[str] = [f"{name} is not set." for name, value in required.items() if not value.strip()]
    for name, keys in encryption_keys.items():
        found += fernet_keys_problems(name, keys, secret_keys=secrets)
    # One key per purpose: a leak of one must not open the others.
    first_keys = [keys[0] for keys in encryption_keys.values() if keys]
    if len(set(first_keys)) != len(first_keys):
        found.append(f"{', '.join(encryption_keys)} must be different keys, not one key reused.")
    if not jwt_signing_key:
        found.append("JWT_SIGNING_KEY is not set: development derives it from SECRET_KEY.")
    elif len(jwt_signing_key) < 32:
        found.append("JWT_SIGNING_KEY must be at least 32 random characters.")
    elif jwt_signing_key in secrets or jwt_signing_key in {derived_jwt_key(secret) for secret in secrets}:
        found.append("JWT_SIGNING_KEY is SECRET_KEY or derived from it: generate an independent key.")
    for name, url in endpoints.items():
        problem = url_problem(name, url)
        if problem:
            found.append(problem)
    for name, key in api_keys.items():
        problem = api_key_problem(name, key)
        if problem:
            found.append(problem)
    return found
