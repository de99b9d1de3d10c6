"""Provider webhooks: a callback is authenticated against the provider's own registry rows, bound to an
attempt sent to that provider, verified with a requery, and only the requery's answer is applied
(:func:`~tenant_apps.orders.services.outcomes.order_apply_provider_result`)."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from provider_plugins.interfaces import OutcomeStatus, ProviderError, SignatureError
from provider_plugins.registry import get_plugin
from shared_apps.providers.callbacks import authenticate, bound, callback_providers, refuse
from shared_apps.providers.models import Provider
from shared_apps.providers.services import provider_config
from tenants.connection import current_schema

from ..models import OrderAttempt
from ._helpers import BILL_TYPES, _country, _http_session
from .outcomes import order_apply_provider_result
from .requery import _requery_outcome

logger = logging.getLogger(__name__)


class WebhookRejected(Exception):
    def __init__(self, status_code: int, code: str) -> None:
        super().__init__(code)
        self.status_code, self.code = status_code, code


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def order_handle_callback(*, plugin_key: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """Authenticate a provider webhook, find what we sent to THAT provider, verify, apply; returns (status, body).

    The callback binding (shared_apps.providers.callbacks; issue 14): the signature is checked with the
    credentials of this plugin's registry rows in the tenant's country; the attempt is looked up among
    those sent to the rows that authenticated it (an MTN-signed body naming a VTPass request id finds
    nothing); and whatever the callback says, the provider that received the attempt is asked (requery)
    before anything moves: a callback is a hint, the requery's answer is what gets applied.
    """
    providers = callback_providers(plugin_key=plugin_key, country=_country())
    if not providers:
        refuse(plugin_key, "unknown_provider")
        raise WebhookRejected(404, "unknown_provider")
    parser_class = get_plugin(plugin_key).callbacks
    if parser_class is None:  # a plugin without callbacks: nothing of it can be notified
        refuse(plugin_key, "unknown_provider")
        raise WebhookRejected(404, "unknown_provider")

    def check(provider: Provider) -> tuple[Any, Any]:
        parser = parser_class(provider_config(provider=provider, session=_http_session()))
        return parser, parser.parse(body=body, headers=headers)

    try:
        (parser, update), source = authenticate(plugin_key=plugin_key, providers=providers, check=check)
    except SignatureError:
        logger.warning("webhook %s: bad signature (tenant %s)", plugin_key, current_schema())
        raise WebhookRejected(401, "bad_signature") from None
    except ProviderError as exc:
        logger.warning("webhook %s: unreadable (%s)", plugin_key, exc.code)
        raise WebhookRejected(400, "bad_payload") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Whatever a plugin's parser trips on (a refused amount is an AmountError, a ValueError) is the
        # sender's malformed body, never a 500: the same rule as the gateway webhooks.
        logger.warning("webhook %s: unreadable (%s)", plugin_key, type(exc).__name__)
        raise WebhookRejected(400, "bad_payload") from None
    ack = parser.acknowledgement()
    if update is None:
        return ack.status_code, ack.body
    attempt = bound(OrderAttempt.objects.select_related("order"), source=source, request_id=update.request_id)
    if attempt is None:
        logger.warning("webhook %s: no attempt of this provider has that request id", plugin_key)
        return ack.status_code, ack.body
    if update.provider_reference and attempt.provider_reference \
            and update.provider_reference != attempt.provider_reference:
        logger.warning("webhook %s: the callback's provider reference is not the attempt's", plugin_key)
        refuse(plugin_key, "reference_mismatch", kind="orders.orderattempt")
        raise WebhookRejected(400, "reference_mismatch")
    order = attempt.order
    if update.recipient and plugin_key != "vtpass":
        expected = _digits(order.recipient_phone) if order.product_type not in BILL_TYPES else order.customer_number
        got = _digits(update.recipient)
        if got and expected and not (expected.endswith(got[-9:]) or got.endswith(expected[-9:])):
            refuse(plugin_key, "recipient_mismatch", kind="orders.orderattempt")
            raise WebhookRejected(400, "recipient_mismatch")
    # Verify with the provider that received the attempt (its own registry row) before value moves.
    outcome = _requery_outcome(order, attempt, now=timezone.now(), unknown_fails=False)
    if outcome.status != OutcomeStatus.PENDING and outcome.status != OutcomeStatus(update.status):
        logger.info("webhook %s: the provider's status lookup differs from the callback; applying the lookup",
                    plugin_key)
    if update.provider_reference and outcome.provider_reference \
            and outcome.provider_reference != update.provider_reference:
        # The provider's own record of our request id is another transaction: the callback lied.
        logger.warning("webhook %s: provider reference not confirmed by the status lookup", plugin_key)
        refuse(plugin_key, "reference_mismatch", kind="orders.orderattempt")
        raise WebhookRejected(400, "reference_mismatch")
    order_apply_provider_result(request_id=attempt.request_id, outcome=outcome, source="webhook+requery")
    return ack.status_code, ack.body
