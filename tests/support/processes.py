"""Real processes for tests (a Celery worker, the order dispatcher, child environments): they live in the dev
package (``nexustop_dev.processes``), shared with the fault-injection harness."""

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

__all__ = ["ROOT", "celery_worker", "child_env", "dispatcher", "dispatchers", "settlement", "start_dispatcher",
           "stop_process", "stop_processes"]
