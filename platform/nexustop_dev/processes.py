"""Real processes for tests: a Celery worker, the order dispatcher and a Django server on the test database."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from shared_apps.core.dburl import database_url

ROOT = Path(settings.PROJECT_ROOT)


def child_env(**extra: str) -> dict[str, str]:
    """Environment that points a child process at *this* test database and queue."""
    url = database_url(settings.DATABASES["default"])
    env = dict(os.environ)
    # Lifted in this process only, for Playwright's event loop (tests/portal/conftest.py): a child process (a worker,
    # ``manage.py check --deploy`` under production settings) keeps Django's async guard.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # An xdist worker's id would make the child's settings move REDIS_URL (already this worker's own database) one
    # more time: the child's broker would not be the one this test enqueues into.
    for name in [name for name in env if name.startswith("PYTEST_XDIST_")]:
        env.pop(name)
    env.update({
        "DJANGO_SETTINGS_MODULE": "nexustop.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    })
    env.update(extra)
    return env


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 1, pool: str = "solo", timeout: float = 60.0, env: dict[str, str] | None = None,
                  **extra_env: str) -> Iterator[subprocess.Popen]:
    """Start a real worker on the test queue; stop it on exit."""
    log_path = ROOT / "test-artifacts" / f"celery-worker-{os.getpid()}-{time.monotonic_ns()}.log"
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "nexustop", "worker", "-l", "info", "-P", pool,
         f"--concurrency={concurrency}", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip",
         "--without-mingle", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=ROOT, env=child_env(**(env or {}), **extra_env), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while "ready." not in log_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def start_dispatcher(*, log_name: str = "dispatcher", timeout: float = 60.0, env: dict[str, str] | None = None,
                     **extra_env: str) -> tuple[subprocess.Popen, Path]:
    """Start ``manage.py run_dispatcher`` on the test database; returns once it listens (its log path too)."""
    log_path = ROOT / "test-artifacts" / f"{log_name}-{os.getpid()}-{time.monotonic_ns()}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_dispatcher"], cwd=ROOT,
                                env=child_env(**{"ORDERS_DISPATCH_SCAN_SECONDS": "0.5", **(env or {}), **extra_env}),
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while "dispatcher ready" not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the dispatcher did not start:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.05)
    return proc, log_path


def stop_process(proc: subprocess.Popen, *, timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def dispatcher(**extra_env: str) -> Iterator[subprocess.Popen]:
    """A real dispatcher (claims held orders, calls the providers, settles) on the test database."""
    proc, _log = start_dispatcher(env=extra_env)
    try:
        yield proc
    finally:
        stop_process(proc)


@contextlib.contextmanager
def settlement(**extra_env: str) -> Iterator[tuple[subprocess.Popen, subprocess.Popen]]:
    """What settles orders: the dispatcher (submit, settle, fail-over) and a Celery worker (requeries,
    notifications); yields (worker, dispatcher)."""
    with celery_worker(env=extra_env) as worker, dispatcher(**extra_env) as running:
        yield worker, running
