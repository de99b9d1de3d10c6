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


def terminate_backend(pid: int) -> None:
    """End PostgreSQL session ``pid`` from a connection of its own (``pg_terminate_backend``), as a server restart
    or a failover ends it: the client finds out at its next statement."""
    import psycopg
    from django.conf import settings

    params = settings.DATABASES["default"]
    with psycopg.connect(host=params["HOST"] or None, port=params["PORT"] or None, user=params["USER"],
                         password=params["PASSWORD"] or None, dbname=connections["default"].settings_dict["NAME"],
                         autocommit=True) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
    assert row is not None and row[0] is True, f"no session {pid} to end"
