"""Real processes for tests (a Celery worker, the order dispatcher, child environments): they live in the dev
package (``nexustop_dev.processes``), shared with the fault-injection harness."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable

from nexustop_dev.processes import (
    ROOT,
    celery_worker,
    child_env,
    dispatcher,
    dispatchers,
    settlement,
    start_dispatcher,
    stop_process,
    stop_processes,
)

__all__ = ["ROOT", "celery_worker", "child_env", "dispatcher", "dispatchers", "probe_child", "settlement",
           "start_dispatcher", "stop_process", "stop_processes"]


def probe_child(script: str, *, unset: Iterable[str] = (), **env: str) -> dict:
    """The JSON line ``script`` prints last, run by a child Python (``child_env`` plus ``env``, without the
    variables in ``unset``): settings and storages as a fresh process of that configuration builds them."""
    environment = child_env(**env)
    for name in unset:
        environment.pop(name, None)
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
