"""Enqueue a Celery task by its registered name, so services never import a ``tasks`` module.

The dependency runs one way: ``tasks.py`` imports the services it calls, a service enqueues the task
by name (``"wallet.send_sms"``). The task sent is the registered task object itself, so everything
``task.delay`` did still applies: ``task_always_eager`` (tests, the demo), the test settings' private
default queue, the tenant-schema header (tenant-schemas-celery) and the task's own options. A process
that has not imported the task modules yet (a web process) registers them on first use, the way a
worker does (Celery's autodiscovery of every installed app's ``tasks`` module).
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from celery.app.task import Task
from django.db import transaction


def task_named(name: str) -> Task:
    """The registered task called ``name`` (KeyError for a name no tasks module registers)."""
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue(name: str, *args: Any, countdown: float | None = None, on_commit: bool = False) -> None:
    """Send the task ``name`` with ``args`` (``countdown`` seconds later); with ``on_commit`` only once the
    current transaction commits (never for a transaction that rolls back)."""

    def send() -> None:
        task_named(name).apply_async(args=args, countdown=countdown)

    if on_commit:
        transaction.on_commit(send)
    else:
        send()
