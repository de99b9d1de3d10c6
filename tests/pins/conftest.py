"""PIN tests reuse the cash fixtures: the SMS simulator (session) and SMS settings pointing at it (autouse)."""

from __future__ import annotations

from tests.cash.conftest import sms, sms_to_simulator

__all__ = ["sms", "sms_to_simulator"]
