"""Bulk top-up tests: the VTPass/MTN simulators and synced catalogue of tests/orders (no worker: the rows are
processed in-process by calling the task's service, inside each test's rolled-back transaction)."""

from __future__ import annotations

from tests.orders.conftest import inproc_stack

__all__ = ["inproc_stack"]
