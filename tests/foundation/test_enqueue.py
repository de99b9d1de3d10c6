"""Services enqueue tasks by name (shared_apps.core.enqueue): the task sent is the registered task itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import current_app

from shared_apps.core.enqueue import enqueue, task_named

ROOT = Path(__file__).resolve().parents[2]


def test_a_process_that_never_imported_the_tasks_module_finds_the_task_by_name():
    """A web process imports no tasks module: the first enqueue registers them, as a worker does."""
    script = ("import sys, django; django.setup()\n"
              "from shared_apps.core.enqueue import task_named\n"
              "before = 'tenant_apps.wallet.tasks' in sys.modules\n"
              "task = task_named('wallet.send_sms')\n"
              "print(before, task.name, type(task).__module__)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
           "DJANGO_SETTINGS_MODULE": "nexustop.settings.test"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "wallet.send_sms", "tenant_apps.wallet.tasks"]


def test_an_unknown_name_is_a_key_error():
    with pytest.raises(KeyError):
        task_named("wallet.no_such_task")


def test_enqueue_runs_the_registered_task_so_eager_mode_and_countdown_apply(monkeypatch):
    task = task_named("wallet.send_sms")
    sent = []
    monkeypatch.setattr(type(task), "apply_async", lambda self, args=None, countdown=None, **kw: sent.append(
        (self.name, args, countdown)))
    enqueue("wallet.send_sms", "+2348030000000", "hello", "wallet", countdown=5)
    assert sent == [("wallet.send_sms", ("+2348030000000", "hello", "wallet"), 5)]
    assert current_app.tasks["wallet.send_sms"] is task
