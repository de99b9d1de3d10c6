"""Racing threads against the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection
from django_tenants.utils import schema_context

T = TypeVar("T")


def run_concurrently(count: int, fn: Callable[[int], T], *, schema: str = "ng") -> list[T | Exception]:
    """Run ``fn(i)`` in ``count`` threads (each with its own DB connection), released together by a barrier.

    Returns each call's result or the exception it raised, in call order.
    """
    barrier = threading.Barrier(count)
    results: dict[int, T | Exception] = {}

    def worker(index: int) -> None:
        try:
            with schema_context(schema):
                barrier.wait(timeout=30)
                results[index] = fn(index)
        except Exception as exc:  # recorded and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return [results[index] for index in range(count)]
