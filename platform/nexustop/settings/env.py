"""Tiny typed readers for environment variables (no third-party magic)."""

from __future__ import annotations

import os


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def simulator_url(key: str, default_port: int) -> str:
    """Where ``make run`` starts the local simulator ``key`` (provider_plugins.simulate.demo_ports): its demo port,
    moved by ``SIMULATOR_PORT_<KEY>`` and then by ``PROVIDER_SIMULATOR_PORTS`` ("key=port,..."), so the settings
    that call a simulator directly (SMS, KYC) follow the same variables as the simulators themselves."""
    port = env_int(f"SIMULATOR_PORT_{key.upper()}", default_port)
    for item in env_list("PROVIDER_SIMULATOR_PORTS", []):
        name, _, value = item.partition("=")
        if name.strip() == key and value.strip():
            port = int(value)
    return f"http://127.0.0.1:{port}"
