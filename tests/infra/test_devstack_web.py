"""``make run``'s web server over real HTTP: it must not keep a database connection per request (outside journeys:
after a quarter of an hour of journeys the dev server held 62 idle connections and the shared PostgreSQL answered
``too many clients already``, a 500 on login). ``runserver`` serves each request in its own thread and does not
close that thread's connection; with persistent connections none was ever closed."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import requests
from django.conf import settings
from django.db import connection

from nexustop_dev.devstack import ROOT, web_process
from shared_apps.core.dburl import database_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _connections(name: str) -> int:
    with connection.cursor() as cursor:  # the statistics views are a snapshot per transaction: a fresh one
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_dev_web_server_closes_each_requests_database_connection(monkeypatch):
    db = settings.DATABASES["default"]
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "nexustop.settings.dev")  # what ``make run`` runs
    monkeypatch.setenv("DATABASE_URL", database_url(db))
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    port = _free_port()
    argv, env = web_process(port)
    assert env["DATABASE_CONN_MAX_AGE"] == "0"
    before = _connections(db["NAME"])
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                first = requests.get(f"http://127.0.0.1:{port}/health", headers={"Host": "localhost"}, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "the web server did not start"
                time.sleep(0.3)
        assert first.status_code == 200, first.text
        for _ in range(15):
            with requests.Session() as fresh:  # a new TCP connection, so a new server thread, each time
                assert fresh.get(f"http://127.0.0.1:{port}/health", headers={"Host": "localhost"},
                                 timeout=5).status_code == 200
        time.sleep(0.5)
        held = _connections(db["NAME"]) - before
        assert held <= 1, f"the dev server holds {held} database connections after 16 requests"
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert os.environ.get("DATABASE_CONN_MAX_AGE") is None
