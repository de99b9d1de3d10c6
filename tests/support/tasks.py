"""Task messages a test drives itself: dropped instead of sent (``shared_apps.core.enqueue``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


def swallowing(prefix: str, on_commit: Callable[..., None]) -> Callable[..., None]:
    """``enqueue.on_commit`` that drops the tasks whose registered name starts with ``prefix``."""
    def on_commit_except(name: str, *args: Any, **kwargs: Any) -> None:
        if not name.startswith(prefix):
            on_commit(name, *args, **kwargs)

    return on_commit_except


@contextlib.contextmanager
def tasks_swallowed(prefix: str = "orders.") -> Iterator[None]:
    """Inside, the services' after-commit messages of ``prefix`` tasks go nowhere (the purchase path's by
    default: the test calls ``order_submit``/``order_requery`` itself; the sweeper still sends)."""
    from shared_apps.core import enqueue

    original = enqueue.on_commit
    enqueue.on_commit = swallowing(prefix, original)
    try:
        yield
    finally:
        enqueue.on_commit = original
