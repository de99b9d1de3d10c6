from tests.orders.conftest import inproc_stack

__all__ = ["inproc_stack"]
