"""The URL of a configured database, for child processes (TCP host or Unix socket directory)."""

from __future__ import annotations

from urllib.parse import quote


def database_url(db: dict) -> str:
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or "5432"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    if host.startswith("/"):  # a socket directory (the embedded server)
        return f"postgres://{auth}@/{db['NAME']}?host={quote(host)}&port={port}"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
