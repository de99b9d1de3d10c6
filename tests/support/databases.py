"""Database aliases added at run time (a pooled client, a read-only replica role, a second cluster)."""

from __future__ import annotations

from django.db import connections


def with_defaults(alias: str, settings_dict: dict) -> dict:
    """``settings_dict`` with Django's defaults filled in, without registering the alias."""
    return connections.configure_settings({"default": connections.settings["default"], alias: settings_dict})[alias]


def register_alias(alias: str, settings_dict: dict) -> dict:
    """Add ``alias`` to Django's connection settings, with Django's defaults filled in."""
    configured = connections.configure_settings({"default": connections.settings["default"], alias: settings_dict})
    connections.settings[alias] = configured[alias]
    return configured[alias]


def unregister_alias(alias: str) -> None:
    try:
        connections[alias].close()
    except Exception:
        pass
    try:
        del connections[alias]
    except AttributeError:
        pass
    connections.settings.pop(alias, None)
