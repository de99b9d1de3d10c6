from tests.kyc.conftest import s3
from tests.orders.conftest import inproc_stack

__all__ = ["inproc_stack", "s3"]
