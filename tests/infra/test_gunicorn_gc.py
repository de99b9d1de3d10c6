"""gunicorn.conf.py's ``post_worker_init``: a worker's start-up objects leave the garbage collector's scans."""

from __future__ import annotations

import gc
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_freezes_its_start_up_objects_after_importing_every_view(monkeypatch):
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("GUNICORN_GC_FREEZE", "0")
    gc.unfreeze()
    config["post_worker_init"](None)
    assert gc.get_freeze_count() == 0  # turned off
    monkeypatch.setenv("GUNICORN_GC_FREEZE", "1")
    try:
        config["post_worker_init"](None)
        assert gc.get_freeze_count() > 10_000
        assert "tenant_apps.orders.views" in sys.modules and "tenant_apps.portal.views" in sys.modules
    finally:
        gc.unfreeze()  # the test process keeps its usual collections
