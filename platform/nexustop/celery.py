"""The Celery app: tenant-aware, so a task runs in the schema it was sent from."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexustop.settings.dev")

app = CeleryApp("nexustop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _close_old_connections(sender=None, **_ignored) -> None:
    """What Django does around a web request, around a task: drop a connection that is broken, left outside
    autocommit, or older than CONN_MAX_AGE; mark a reused one for a health check. With CELERY_DB_REUSE_MAX
    set Celery's fixup no longer closes connections per task, so this keeps them healthy. Eager tasks run
    inside their caller's transaction (tests): left alone, as the fixup does."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


def connect_connection_hygiene() -> None:
    from celery import signals

    signals.task_prerun.connect(_close_old_connections, dispatch_uid="nexustop-close-old-connections-prerun")
    signals.task_postrun.connect(_close_old_connections, dispatch_uid="nexustop-close-old-connections-postrun")


def _freeze_startup_objects(**_ignored) -> None:
    """A worker process's startup objects out of full garbage collections (``CELERY_WORKER_GC_FREEZE``): the
    startup garbage collected first, as the dispatcher's ``freeze_startup_objects`` does."""
    import gc

    from django.conf import settings

    if not settings.CELERY_WORKER_GC_FREEZE:
        return
    gc.collect()
    gc.freeze()


def connect_gc_freeze() -> None:
    from celery import signals

    # The worker's own process once it consumes (solo and thread pools run the tasks there); each child of a
    # prefork pool after its fork.
    signals.worker_ready.connect(_freeze_startup_objects, dispatch_uid="nexustop-gc-freeze-ready")
    signals.worker_process_init.connect(_freeze_startup_objects, dispatch_uid="nexustop-gc-freeze-child")


connect_connection_hygiene()
connect_gc_freeze()
