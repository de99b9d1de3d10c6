"""Tax tests: the purchase simulators of tests/orders (in-process, no worker) for sales in NG and GH."""

from __future__ import annotations

from tests.orders.conftest import inproc_stack

__all__ = ["inproc_stack"]
