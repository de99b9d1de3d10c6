"""Step 2: every claimed order's provider call at once, from one asyncio loop; no database here."""

from __future__ import annotations

import asyncio
import logging

from provider_plugins.interfaces import (
    OutcomeStatus,
    ProductUnavailable,
    ProviderFault,
    UserFixableError,
)
from provider_plugins.interfaces.common import DuplicateRequest, ProviderTimeout
from provider_plugins.interfaces.observe import observe_exchanges
from shared_apps.core import metrics

from ..services.outcomes import Outcome, _outcome_from_result
from .claims import Claimed
from .transport import Transports

logger = logging.getLogger(__name__)


def outcome_of_error(exc: BaseException, *, plugin: str, reference: str) -> Outcome:
    """A connector's exception in the core's words (and counted), as the purchase path always mapped it."""
    if isinstance(exc, ProviderTimeout | DuplicateRequest):
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="timeout")
        return Outcome(OutcomeStatus.PENDING, reason=exc.code, provider_code=exc.provider_code, fault=True)
    if isinstance(exc, ProductUnavailable):
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="unavailable")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code)
    if isinstance(exc, UserFixableError):  # the request itself is wrong: no other provider will take it either
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="rejected")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, failover=False)
    if isinstance(exc, ProviderFault):  # raised only when the provider did not act: try the next one
        metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
        return Outcome(OutcomeStatus.FAILED, reason=exc.code, provider_code=exc.provider_code, fault=True)
    # We cannot know whether the request left: requery decides.
    metrics.record_provider_request(provider=plugin, operation="purchase", outcome="error")
    logger.error("order %s: unexpected error calling the provider", reference, exc_info=exc)
    return Outcome(OutcomeStatus.PENDING, reason="internal_error")


async def call_one(item: Claimed, transports: Transports) -> None:
    """Send ``item``'s request; sets ``item.outcome`` and ``item.exchanges`` (never raises)."""
    plugin = item.product.provider.plugin_key
    with observe_exchanges() as exchanges:  # this task's own context: only its exchanges
        item.exchanges = exchanges
        try:
            with metrics.time_provider_call(provider=plugin, operation="purchase"):
                result = await item.connector.submit_async(
                    item.request, transport=transports.for_provider(item.product.provider_id))
        except Exception as exc:
            item.outcome = outcome_of_error(exc, plugin=plugin, reference=item.order.reference)
            return
    metrics.record_provider_request(provider=plugin, operation="purchase", outcome="ok")
    item.outcome = _outcome_from_result(result)


async def call_all(items: list[Claimed], transports: Transports) -> None:
    await asyncio.gather(*(call_one(item, transports) for item in items))
