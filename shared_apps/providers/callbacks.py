"""Provider callbacks are bound to what we sent: the one mechanism every webhook and every lookup uses.

Issue 14: ``POST /webhook/mtn`` signed with MTN's own secret and carrying a VTPass request id
reversed an order VTPass had delivered (free airtime), because the attempt was found by the
reference alone. The rule (docs/gateways.md, "Callbacks bound to what we sent";
/work/shared/STANDARDS-providers.md): a callback may touch only an object (an order attempt, a
payout, a funding intent...) that we sent to the SAME provider, found by that provider's own
reference; a provider's answer to a status lookup counts only for the object we asked about.

The order of work is fixed, for every rail:

1. **authenticate** (:func:`authenticate`): the body is checked with the credentials of each
   usable registry row of that plugin in the tenant's country; the rows that accept it are the
   :class:`CallbackSource`. (An unsigned rail accepts everywhere: then step 4 is the only authority.)
2. **deduplicate** by the provider's event id, where the rail has one.
3. **look up** through :func:`bound`: the query is always filtered by the plugin and the
   registry rows of the source (the model says which fields hold them: ``provider_binding``).
   Tenant routing already chose the schema, so another tenant's objects are never candidates.
4. **verify** with the provider (a status lookup on the object's own registry row) before
   value moves; :func:`answer_is_for` refuses an answer about another reference.
5. **apply**, in one transaction with the dedupe record and the money change.

Every refusal goes through :func:`refuse`: one WARNING with the plugin, the reason and the kind
of object, never the body, a signature, a secret, a reference or personal data.

A new rail (Wave, CinetPay, Airtel Money, DT One...) reuses all of it: declare
``provider_binding`` on the model that stores what was sent, mark the webhook view with
:func:`provider_callback` (``tests/ledger/test_money_endpoints.py`` fails on a ``/webhook/``
route without it) and look objects up with :func:`bound` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from django.db.models import QuerySet

from provider_plugins.interfaces.common import SignatureError

from .models import Provider, ProviderStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ProviderBinding:
    """Which fields of a model name the provider an object was sent to (declared as ``provider_binding``)."""

    plugin_field: str  # the plugin key (``vtpass``, ``paystack``...)
    provider_field: str = "provider_id"  # the registry row (shared_apps.providers.Provider) it was sent through


@dataclass(frozen=True)
class CallbackSource:
    """Who sent a callback: the plugin, and the registry rows whose credentials authenticated it."""

    plugin_key: str
    provider_ids: frozenset[int]


def refuse(plugin_key: str, reason: str, *, kind: str = "") -> None:
    """Log one refused callback or provider answer (plugin, reason, object kind: nothing else)."""
    logger.warning("provider callback refused", extra={"provider": plugin_key, "reason": reason, "kind": kind})


def callback_providers(*, plugin_key: str, country: str, capability: str | None = None) -> list[Provider]:
    """The usable registry rows of ``plugin_key`` in ``country`` (active before degraded, then priority)."""
    rows = Provider.objects.filter(plugin_key=plugin_key, country=country.upper()) \
        .exclude(status=ProviderStatus.DISABLED)
    if capability:
        rows = rows.filter(capabilities__contains=[capability])
    return list(rows.order_by("status", "routing_priority", "name"))


def authenticate(*, plugin_key: str, providers: Iterable[Provider],
                 check: Callable[[Provider], T]) -> tuple[T, CallbackSource]:
    """Run ``check(provider)`` (parse + signature with that row's credentials) for each row.

    Returns the first row's result and the source (every row that accepted the body). Raises
    ``SignatureError`` (logged) when no row does; other errors of ``check`` propagate.
    """
    first: list[T] = []
    accepted: list[int] = []
    for provider in providers:
        try:
            result = check(provider)
        except SignatureError:
            continue
        if not first:
            first.append(result)
        accepted.append(provider.pk)
    if not accepted:
        refuse(plugin_key, "bad_signature")
        raise SignatureError(f"no {plugin_key} registry row authenticates this callback")
    return first[0], CallbackSource(plugin_key, frozenset(accepted))


def bound(queryset: QuerySet, *, source: CallbackSource, **reference: Any) -> Any | None:
    """The object named by ``reference`` that was sent to ``source``'s provider, or None.

    Always filtered by the model's ``provider_binding`` (plugin and registry rows of the source):
    the same reference under another provider is refused (logged) exactly like an unknown one.
    """
    binding: ProviderBinding = queryset.model.provider_binding
    found = queryset.filter(**reference, **{binding.plugin_field: source.plugin_key,
                                            f"{binding.provider_field}__in": sorted(source.provider_ids)}).first()
    if found is None and queryset.filter(**reference).exists():
        refuse(source.plugin_key, "sent_to_another_provider", kind=queryset.model._meta.label_lower)
    return found


def answer_is_for(*, plugin_key: str, expected: str, answered: str, kind: str = "") -> bool:
    """A provider's answer to a lookup counts only for the reference we asked about (empty: not said)."""
    if answered and answered != expected:
        refuse(plugin_key, "answer_for_another_reference", kind=kind)
        return False
    return True


class _CallbackView(Protocol):
    provider_callback: str


def provider_callback(plugin_key: str) -> Callable[[Callable], Callable]:
    """Mark a webhook view as built on this mechanism (``view.provider_callback``), for the URL walk."""

    def mark(view: Callable) -> Callable:
        cast(_CallbackView, view).provider_callback = plugin_key  # a function attribute: mypy cannot type those
        return view

    return mark
