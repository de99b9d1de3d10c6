"""Receipt tests: the VTPass/MTN simulators and synced catalogue of tests/orders (in-process, no worker)."""

from __future__ import annotations

from tests.orders.conftest import inproc_stack

__all__ = ["inproc_stack"]
