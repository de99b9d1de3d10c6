"""The contract between the core and provider plugins.

One narrow interface per capability (top-up, bill payment, payment gateway,
payout, KYC check, SMS), typed dataclasses at the boundary, and one error
hierarchy. Plugins import only this package and their own.
"""

from .bills import *  # noqa: F403
from .callbacks import *  # noqa: F403
from .catalog import *  # noqa: F403
from .common import *  # noqa: F403
from .money import *  # noqa: F403
from .plugin import *  # noqa: F403
from .topup import *  # noqa: F403
