"""Services enqueue Celery tasks by their registered name: the tasks module imports the services, never the
reverse (issue 20; checked by tests/foundation/test_module_structure.py).

``on_commit("orders.submit", order.pk)`` sends the task once the current transaction commits (right away
outside one), in the current tenant: the tenant-aware Celery app (``nexustop.celery``, tenant-schemas-celery)
stamps the schema on every message, and the message goes to the app's queue (``CELERY_TASK_DEFAULT_QUEUE``,
the tests' private one under test settings), exactly as the task object's own ``apply_async`` would.

* ``ignore_result`` (default True): nobody waits for these results; the sender does not subscribe to the
  result and the worker stores none (what ``@shared_task(ignore_result=True)`` does). Pass False for a task
  whose result is kept.
* Eager mode (``task_always_eager``: the demo seeding, a few tests) runs the registered task here, at once,
  as ``apply_async`` would; its module is found by Celery's autodiscovery if nothing imported it yet.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def send(name: str, *args: Any, countdown: float | None = None, ignore_result: bool = True) -> None:
    """Send the task registered as ``name`` now (raises when the broker is down)."""
    app = current_app
    if app.conf.task_always_eager:
        if name not in app.tasks:
            app.autodiscover_tasks(force=True)  # eager only: this process may not have imported the module
        app.tasks[name].apply_async(args=args, countdown=countdown, ignore_result=ignore_result)
        return
    app.send_task(name, args=args, countdown=countdown, ignore_result=ignore_result)


def on_commit(name: str, *args: Any, countdown: float | None = None, ignore_result: bool = True) -> None:
    """Send the task registered as ``name`` after the current transaction commits; a broker outage is logged
    (the caller's sweeper picks the work up again), never raised into the committed request."""
    def deliver() -> None:
        try:
            send(name, *args, countdown=countdown, ignore_result=ignore_result)
        except Exception:  # the broker is down: the sweeper will pick the row up
            logger.exception("could not enqueue %s%s", name, args)

    transaction.on_commit(deliver)
