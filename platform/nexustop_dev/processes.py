"""Real processes for tests: a Celery worker, the order dispatcher and a Django server on the test database.

Each child is a whole Django start (~1-2 s of CPU), paid again by every module that starts one: what the
children do not need is left out (the system checks, which the parent process and ``manage.py check`` tests
run; recompiling the project's modules when this environment writes no bytecode), a worker and a dispatcher
that start or stop together do so side by side, and readiness is polled at a short interval."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from django.conf import settings

from nexustop_dev.devstack import keep_bytecode
from shared_apps.core.dburl import database_url

ROOT = Path(settings.PROJECT_ROOT)
READY_POLL_SECONDS = 0.02


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
    keep_bytecode(env)  # also when pytest was started directly, not by make test
    env.update({
        "DJANGO_SETTINGS_MODULE": "nexustop.settings.test",
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        # Celery's Django fixup runs every system check when a worker starts (~0.3 s of CPU, the URL confs
        # imported): this process's settings and code, checked by ``manage.py check`` tests.
        "CELERY_SKIP_CHECKS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    })
    env.update(extra)
    return env


def _log_path(name: str) -> Path:
    path = ROOT / "test-artifacts" / f"{name}-{os.getpid()}-{time.monotonic_ns()}.log"
    path.parent.mkdir(exist_ok=True)
    return path


def wait_ready(proc: subprocess.Popen, log_path: Path, marker: str, *, timeout: float, what: str) -> None:
    """Until ``marker`` is in the child's log; killed and reported if it exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while marker not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait(timeout=10)
            raise RuntimeError(f"{what} did not start:\n{log_path.read_text()[-4000:]}")
        time.sleep(READY_POLL_SECONDS)


def spawn_celery_worker(*, concurrency: int = 1, pool: str = "solo", name: str = "test",
                        log_name: str = "celery-worker", options: tuple[str, ...] = (),
                        env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path, IO[str]]:
    """Start a worker on the test queue without waiting for it: (process, log path, open log)."""
    log_path = _log_path(log_name)
    log = open(log_path, "w")  # the caller closes it once the worker is gone
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "nexustop", "worker", "-l", "info", "-P", pool,
         f"--concurrency={concurrency}", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip",
         "--without-mingle", *options, "-n", f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=ROOT, env=child_env(**(env or {})), stdout=log, stderr=subprocess.STDOUT)
    return proc, log_path, log


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 1, pool: str = "solo", timeout: float = 60.0, env: dict[str, str] | None = None,
                  meanwhile: Callable[[], object] | None = None, **extra_env: str) -> Iterator[subprocess.Popen]:
    """Start a real worker on the test queue (``meanwhile``: called while it starts); stop it on exit."""
    proc, log_path, log = spawn_celery_worker(concurrency=concurrency, pool=pool, env={**(env or {}), **extra_env})
    try:
        if meanwhile is not None:
            meanwhile()
        wait_ready(proc, log_path, "ready.", timeout=timeout, what="celery worker")
        yield proc
    finally:
        stop_process(proc)
        log.close()


def spawn_dispatcher(*, log_name: str = "dispatcher", env: dict[str, str] | None = None,
                     **extra_env: str) -> tuple[subprocess.Popen, Path]:
    """Start ``manage.py run_dispatcher`` on the test database without waiting for it (its log path too)."""
    log_path = _log_path(log_name)
    with open(log_path, "w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_dispatcher", "--skip-checks"], cwd=ROOT,
                                env=child_env(**{"ORDERS_DISPATCH_SCAN_SECONDS": "0.5", **(env or {}), **extra_env}),
                                stdout=log, stderr=subprocess.STDOUT)
    return proc, log_path


def start_dispatcher(*, log_name: str = "dispatcher", timeout: float = 60.0, env: dict[str, str] | None = None,
                     **extra_env: str) -> tuple[subprocess.Popen, Path]:
    """Start ``manage.py run_dispatcher`` on the test database; returns once it listens (its log path too)."""
    proc, log_path = spawn_dispatcher(log_name=log_name, env=env, **extra_env)
    wait_ready(proc, log_path, "dispatcher ready", timeout=timeout, what="the dispatcher")
    return proc, log_path


def start_dispatchers(count: int, *, log_name: str = "dispatcher", timeout: float = 60.0,
                      env: dict[str, str] | None = None, **extra_env: str) -> list[subprocess.Popen]:
    """``count`` dispatchers started side by side; returns once every one listens."""
    started = [spawn_dispatcher(log_name=log_name, env=env, **extra_env) for _ in range(count)]
    try:
        for proc, log_path in started:
            wait_ready(proc, log_path, "dispatcher ready", timeout=timeout, what="the dispatcher")
    except BaseException:
        stop_processes(*(proc for proc, _log in started))
        raise
    return [proc for proc, _log in started]


def stop_process(proc: subprocess.Popen, *, timeout: float = 15.0) -> None:
    stop_processes(proc, timeout=timeout)


def stop_processes(*procs: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM to each (a warm shutdown: the work in hand finishes), then wait for all of them together; a
    process still running after ``timeout`` is killed."""
    running = [proc for proc in procs if proc.poll() is None]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
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
def dispatchers(count: int, **extra_env: str) -> Iterator[list[subprocess.Popen]]:
    """``count`` real dispatchers at once (started and stopped side by side)."""
    procs = start_dispatchers(count, env=extra_env)
    try:
        yield procs
    finally:
        stop_processes(*procs)


@contextlib.contextmanager
def settlement(*, meanwhile: Callable[[], object] | None = None,
               **extra_env: str) -> Iterator[tuple[subprocess.Popen, subprocess.Popen]]:
    """What settles orders: the dispatcher (submit, settle, fail-over) and a Celery worker (requeries,
    notifications), started side by side (stopped dispatcher first); yields (worker, dispatcher). ``meanwhile``: called
    while they start (set-up neither needs before its first order)."""
    worker, worker_log_path, worker_log = spawn_celery_worker(env=extra_env)
    running: subprocess.Popen | None = None
    try:
        running, dispatcher_log = spawn_dispatcher(env=extra_env)
        if meanwhile is not None:
            meanwhile()
        wait_ready(worker, worker_log_path, "ready.", timeout=60.0, what="celery worker")
        wait_ready(running, dispatcher_log, "dispatcher ready", timeout=60.0, what="the dispatcher")
        yield worker, running
    finally:
        # The dispatcher first: what it queues as it stops (a buyer's text) is then in the queue before the
        # worker stops, not left for the next module's worker (another SMS simulator) to run.
        if running is not None:
            stop_processes(running)
        stop_processes(worker)
        worker_log.close()
