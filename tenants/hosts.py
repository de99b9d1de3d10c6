"""The one spelling of a host name, for tenant routing (tenants.middleware) and the host check
(shared_apps.core.hosts): standard library only."""

from __future__ import annotations


def _strip_port(host: str) -> str:
    if host.startswith("["):  # [::1]:8000
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def normalise_host(host: str) -> str:
    """The one spelling of a Host header used for routing and host checks: no port, lower case, no
    trailing dot (``NG.LOCALHOST.:8000`` -> ``ng.localhost``). DNS names are case-insensitive."""
    return _strip_port((host or "").strip()).lower().rstrip(".")
