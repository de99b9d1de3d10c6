"""SMS capability: send one text message to one phone number.

The core owns the delivery log; a connector only translates one send into the
provider's wire protocol and its answer into :class:`SmsResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .common import OutcomeStatus, ProviderConfig

__all__ = ["SmsConnector", "SmsMessage", "SmsResult"]


@dataclass(frozen=True)
class SmsMessage:
    """``to`` is E.164 (``+2348031234567``); ``reference`` is our id for the message."""

    to: str
    text: str
    reference: str
    sender_id: str = ""


@dataclass(frozen=True)
class SmsResult:
    """SUCCESS means the provider accepted the message for delivery."""

    status: OutcomeStatus
    provider_message_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class SmsConnector(Protocol):
    def send(self, config: ProviderConfig, message: SmsMessage) -> SmsResult:
        """Send; raise ``InvalidRecipient`` for a number the provider refuses, ``ProviderFault`` otherwise."""
        ...
