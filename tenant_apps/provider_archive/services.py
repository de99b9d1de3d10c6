"""Storing what a provider call sent and received (after the call, redacted) and purging old rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from provider_plugins.interfaces.observe import Exchange, observe_exchanges
from shared_apps.core.rows import insert_json

from .models import ProviderExchange
from .redaction import Redactor

logger = logging.getLogger(__name__)


def archive_exchanges(*, exchanges: Iterable[Exchange], subject_type: str, subject_id: int | None,
                      attempt_ref: str = "", operation: str, plugin_key: str, provider_id: int | None = None,
                      secrets: Iterable[str] = (), personal: Iterable[str] = ()) -> int:
    """Redact and store the exchanges of one provider call; returns how many rows were written.

    Never raises: the money flow that made the call has its answer already and must apply it; a failure
    to archive is logged (and counted by the log alerting) instead.
    """
    rows = exchange_rows(exchanges=exchanges, subject_type=subject_type, subject_id=subject_id,
                         attempt_ref=attempt_ref, operation=operation, plugin_key=plugin_key, provider_id=provider_id,
                         secrets=secrets, personal=personal)
    if not rows:
        return 0
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed insert never poisons the caller's transaction
                ProviderExchange.objects.bulk_create(rows)
        elif len(rows) == 1:
            rows[0].save(force_insert=True)  # autocommit: one statement on the worker's path, no BEGIN/COMMIT
        else:
            ProviderExchange.objects.bulk_create(rows)
    except Exception:
        logger.exception("provider archive: could not store %d exchange(s) of %s %s", len(rows), plugin_key, operation)
        return 0
    return len(rows)


def exchange_rows(*, exchanges: Iterable[Exchange], subject_type: str, subject_id: int | None,
                  attempt_ref: str = "", operation: str, plugin_key: str, provider_id: int | None = None,
                  secrets: Iterable[str] = (), personal: Iterable[str] = ()) -> list[ProviderExchange]:
    """The redacted, unsaved archive rows of one provider call."""
    return [ProviderExchange(**fields) for fields in exchange_fields(
        exchanges=exchanges, subject_type=subject_type, subject_id=subject_id, attempt_ref=attempt_ref,
        operation=operation, plugin_key=plugin_key, provider_id=provider_id, secrets=secrets, personal=personal)]


def exchange_fields(*, exchanges: Iterable[Exchange], subject_type: str, subject_id: int | None,
                    attempt_ref: str = "", operation: str, plugin_key: str, provider_id: int | None = None,
                    secrets: Iterable[str] = (), personal: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The redacted fields of one provider call's archive rows (``store_exchange_fields`` writes a batch's)."""
    exchanges = list(exchanges)
    if not exchanges:
        return []
    redactor = Redactor(secrets=secrets, personal=personal)
    return [dict(
        subject_type=subject_type, subject_id=subject_id, attempt_ref=attempt_ref[:100], operation=operation[:32],
        plugin_key=plugin_key[:40], provider_id=provider_id, sequence=number, method=exchange.method[:8],
        url=redactor.url(exchange.url), request_headers=redactor.headers(exchange.request_headers),
        request_body=redactor.body(exchange.request_body), status=exchange.status,
        response_headers=redactor.headers(exchange.response_headers),
        response_body=redactor.body(exchange.response_body), error=redactor.text(exchange.error)[:60],
        duration_ms=max(exchange.duration_ms, 0), started_at=exchange.started_at,
    ) for number, exchange in enumerate(exchanges)]


def store_exchange_fields(rows: list[dict[str, Any]]) -> None:
    """One INSERT of ``exchange_fields`` rows, as ``bulk_create`` writes them without making the instances
    (issue 18: the dispatcher archives every order's exchanges); the caller's transaction, or autocommit."""
    insert_json(ProviderExchange, rows)


def _secrets_of(config: Any, provider: Any) -> list[str]:
    credentials = dict(getattr(config, "credentials", None) or {})
    if provider is not None and getattr(provider, "credentials_encrypted", None):
        from shared_apps.providers.crypto import decrypt_credentials

        credentials.update(decrypt_credentials(provider.credentials_encrypted))
    return [str(value) for value in credentials.values()]


@contextmanager
def archived_call(*, subject_type: str, subject_id: int | None, operation: str, plugin_key: str,
                  attempt_ref: str = "", provider_id: int | None = None, config: Any = None,
                  provider: Any = None, personal: Iterable[str] = (),
                  secrets: Iterable[str] = ()) -> Iterator[list[Exchange]]:
    """Wrap ONE provider call (outside any money transaction): its exchanges are stored when it returns or
    raises. ``config`` (or the registry row ``provider``) gives the credential values to scrub;
    ``personal`` the attempt's personal values (masked wherever they appear); ``secrets`` more values to
    remove (a one-time code inside an SMS text)."""
    with observe_exchanges() as exchanges:
        try:
            yield exchanges
        finally:
            if exchanges:
                archive_exchanges(exchanges=exchanges, subject_type=subject_type, subject_id=subject_id,
                                  attempt_ref=attempt_ref, operation=operation, plugin_key=plugin_key,
                                  provider_id=provider_id if provider_id is not None else getattr(provider, "pk", None),
                                  secrets=[*_secrets_of(config, provider), *secrets], personal=personal)


def archive_purge(*, older_than_years: int, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete the current schema's archive rows older than the retention period; returns the count."""
    cutoff = (now or timezone.now()) - timedelta(days=365 * older_than_years + older_than_years // 4)
    deleted = 0
    while True:
        ids = list(ProviderExchange.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += ProviderExchange.objects.filter(pk__in=ids).delete()[0]


def archive_retention_sweep() -> int:
    """The current tenant's purge with its country's provider-archive period (the daily task, per tenant)."""
    from tenant_apps.accounts.country import current_adapter

    return archive_purge(older_than_years=current_adapter().retention.provider_archive)
