"""The dispatcher's HTTP to providers: one keep-alive pool and one concurrency limit per registry row.

Implements ``provider_plugins.interfaces.aio.AsyncTransport`` on httpx. Failures come back as the
``requests`` exceptions the connectors' code already maps (``interfaces.http.send``): a connection never
made is "nothing was sent" (``ConnectTimeout`` / ``ConnectionError('... refused')``), anything after the
request may have left is unclear (``ReadTimeout`` / ``ConnectionError``).
"""

from __future__ import annotations

import asyncio
import ssl
import sys
from functools import cache

import certifi
import httpx
import requests

from provider_plugins.interfaces.aio import TransportAnswer

try:  # httpcore asks for sniffio on every request; without it each ask was a failed import (a sys.path scan)
    import sniffio  # noqa: F401
except ImportError:
    sys.modules["sniffio"] = None  # type: ignore[assignment]  # a failed import, remembered: asyncio it is


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context(cafile=certifi.where())


class ProviderTransport:
    """One provider's pool (``limit`` connections, kept alive) and its in-flight limit."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit,
                                                            keepalive_expiry=30.0),
                                        timeout=httpx.Timeout(30.0), follow_redirects=False, trust_env=False,
                                        verify=_tls())
        self.slots = asyncio.Semaphore(limit)

    async def send(self, *, method: str, url: str, headers: dict[str, str], body: bytes | None,
                   timeout: float | None) -> TransportAnswer:
        async with self.slots:  # waiting for a slot is not the provider's time: the timeout starts after
            limit = httpx.Timeout(timeout, connect=min(timeout, 5.0) if timeout else 5.0, pool=None)
            try:
                response = await self.client.request(method, url, headers=headers, content=body, timeout=limit)
            except httpx.ConnectTimeout:
                raise requests.ConnectTimeout("could not connect to the provider in time") from None
            except httpx.ConnectError as exc:
                raise requests.ConnectionError(f"Connection refused: {exc}") from None  # nothing was sent
            except httpx.TimeoutException:
                raise requests.ReadTimeout("the provider did not answer in time") from None
            except httpx.TransportError as exc:  # dropped after sending: the outcome is unknown
                raise requests.ConnectionError(f"connection dropped: {type(exc).__name__}") from None
            return TransportAnswer(response.status_code, dict(response.headers), response.content)

    async def close(self) -> None:
        await self.client.aclose()


class Transports:
    """The dispatcher's transports, by provider registry id (made on first use, inside the event loop)."""

    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self._by_provider: dict[int, ProviderTransport] = {}

    def for_provider(self, provider_id: int) -> ProviderTransport:
        transport = self._by_provider.get(provider_id)
        if transport is None:
            transport = self._by_provider[provider_id] = ProviderTransport(limit=self.limit)
        return transport

    async def close(self) -> None:
        for transport in self._by_provider.values():
            await transport.close()
        self._by_provider.clear()
