"""The contract between the core and provider plugins.

One narrow interface per capability (top-up, bill payment, payment gateway,
payout, KYC check, SMS), typed dataclasses at the boundary, and one error
hierarchy. Plugins import only this package and their own.
"""

from .common import *  # noqa: F403
