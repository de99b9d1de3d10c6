"""Whom the tests' PgBouncer runs as when root starts it (``tests.support.pgbouncer.unprivileged_user``).

``make test`` as root on a machine with only Python runs the embedded PostgreSQL, whose socket lies in its data
directory (mode 0700, owned by the user the server runs as). PgBouncer run as ``nobody`` could not open that
socket: every pooled test waited out ``query_wait_timeout`` and failed.
"""

from __future__ import annotations

import os
import pwd
import tempfile

from tests.support.pgbouncer import unprivileged_user


def test_a_tcp_server_is_reached_as_nobody():
    assert unprivileged_user("127.0.0.1") == "nobody"
    assert unprivileged_user("db.internal") == "nobody"


def test_a_socket_directory_is_reached_as_its_owner():
    with tempfile.TemporaryDirectory() as socket_dir:
        os.chmod(socket_dir, 0o700)
        if os.geteuid() == 0:
            daemon = pwd.getpwnam("daemon")
            os.chown(socket_dir, daemon.pw_uid, daemon.pw_gid)
            assert unprivileged_user(socket_dir) == "daemon"
        else:
            assert unprivileged_user(socket_dir) == pwd.getpwuid(os.geteuid()).pw_name


def test_a_root_owned_or_missing_socket_directory_falls_back_to_nobody():
    assert os.stat("/").st_uid == 0
    assert unprivileged_user("/") == "nobody"
    assert unprivileged_user("/nonexistent/socket/dir") == "nobody"
