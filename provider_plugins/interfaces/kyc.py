"""KYC capability: check an identity number (BVN, NIN, Ghana Card, ...) with an authority.

The core passes the number in clear only to the connector, for one call; a
connector must never log it or put it in an exception message, and returns
only what the core needs (match or not, and the provider's job id).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .common import ProviderConfig

__all__ = ["KycCheckRequest", "KycCheckResult", "KycMatch", "KycVerifierConnector"]


class KycMatch(enum.StrEnum):
    MATCH = "match"  # the authority knows this number (and the names match, when given)
    NO_MATCH = "no_match"  # the number does not exist, or belongs to someone else
    PENDING = "pending"  # unclear (authority down, timeout): check again later


@dataclass(frozen=True)
class KycCheckRequest:
    """``scheme`` is the country adapter's code (``bvn``, ``nin``, ``ghana_card``)."""

    country: str
    scheme: str
    number: str = field(repr=False)
    reference: str = ""
    user_reference: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class KycCheckResult:
    match: KycMatch
    provider_reference: str = ""
    result_code: str = ""
    result_text: str = ""
    # Never holds the number: connectors strip it from the provider's answer.
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class KycVerifierConnector(Protocol):
    def supports(self, *, country: str, scheme: str) -> bool: ...

    def check(self, config: ProviderConfig, request: KycCheckRequest) -> KycCheckResult:
        """Raise ``UserFixableError`` for an unsupported scheme, ``ProviderFault`` for provider trouble."""
        ...
