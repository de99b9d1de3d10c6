"""Real processes for tests (a Celery worker, child environments): they live in the dev package
(``nexustop_dev.processes``), shared with the fault-injection harness."""

from nexustop_dev.processes import ROOT, celery_worker, child_env

__all__ = ["ROOT", "celery_worker", "child_env"]
