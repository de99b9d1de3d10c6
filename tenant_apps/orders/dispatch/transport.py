"""The dispatcher's HTTP to providers: one keep-alive pool and one concurrency limit per registry row.

Implements ``provider_plugins.interfaces.aio.AsyncTransport``: a lean HTTP/1.1 client, h11 (the
pure-Python protocol state machine httpx itself is built on) over asyncio streams, TLS verified against
the CA bundle (certifi). Measured (issue 18, docs/benchmarks.md): 64 concurrent calls through 32 slots
cost ~0.19 ms of CPU each, httpx 4.5 ms (its pool re-checks every connection for every queued request).

What it does: one request at a time per connection, connections kept per origin and reused (LIFO) until
idle for ``keepalive_expiry`` or closed by the server; Content-Length, chunked and read-until-close
bodies (h11 frames them), gzip/deflate bodies decoded; ``timeout`` bounds the whole exchange after the
connection is made (at most 5 s to connect). Failures come back as the ``requests`` exceptions the
connectors' code already maps (``interfaces.http.send``): a connection never made (refused, unreachable,
TLS verification failed) is "nothing was sent" (``ConnectTimeout`` / ``ConnectionError('... refused')``);
anything after the request may have left is unclear (``ReadTimeout`` / ``ConnectionError``), so pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
import time
import zlib
from functools import cache
from urllib.parse import urlsplit

import certifi
import h11
import requests

from provider_plugins.interfaces.aio import TransportAnswer

CONNECT_SECONDS = 5.0  # at most, to make a connection (TCP and TLS)
READ_BYTES = 65536


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context(cafile=certifi.where())


class _Connection:
    """One HTTP/1.1 connection to an origin: its streams and h11's state for it."""

    __slots__ = ("h11", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def usable(self, now: float, expiry: float) -> bool:
        """Still worth a request: not idle too long, not closed by either side. An idle connection with something
        to read has been closed by the server (EOF, a TLS close) even if the loop has not seen it yet (between
        two ``order_submit`` runs the loop does not run): never send on it."""
        if now - self.idle_since >= expiry or self.reader.at_eof() or self.writer.is_closing():
            return False
        sock = self.writer.get_extra_info("socket")
        try:
            readable, _, _ = select.select([sock], [], [], 0) if sock is not None else ((), (), ())
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _Dropped(Exception):
    """The connection ended (or spoke nonsense) after the request may have left."""


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:  # raw deflate, as some servers send it
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


class ProviderTransport:
    """One provider's connections (kept alive per origin) and its in-flight limit (``limit`` requests)."""

    def __init__(self, *, limit: int, tls: ssl.SSLContext | None = None, keepalive_expiry: float = 30.0) -> None:
        self.limit = limit
        self.slots = asyncio.Semaphore(limit)
        self.tls = tls
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self.connections_made = 0  # observability (and the connection reuse test)

    async def send(self, *, method: str, url: str, headers: dict[str, str], body: bytes | None,
                   timeout: float | None) -> TransportAnswer:
        async with self.slots:  # waiting for a slot is not the provider's time: the timeout starts after
            parts = urlsplit(url)
            scheme, host = parts.scheme.lower(), parts.hostname or ""
            if scheme not in ("http", "https") or not host:
                raise requests.exceptions.InvalidURL(f"cannot send to {url!r}")
            port = parts.port or (443 if scheme == "https" else 80)
            origin = (scheme, host, port)
            connection = await self._connection(origin, timeout)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                async with asyncio.timeout(timeout):
                    answer = await self._exchange(connection, method=method, target=target,
                                                  host=parts.netloc.rpartition("@")[2], headers=headers, body=body)
            except TimeoutError:
                connection.close()
                raise requests.ReadTimeout("the provider did not answer in time") from None
            except (_Dropped, OSError, h11.ProtocolError) as exc:  # after sending: the outcome is unknown
                connection.close()
                raise requests.ConnectionError(f"connection dropped: {type(exc).__name__}: {exc}") from None
            except BaseException:  # cancelled mid-exchange: the connection's state is unknown
                connection.close()
                raise
            if connection.h11.our_state is h11.DONE and connection.h11.their_state is h11.DONE:
                connection.h11.start_next_cycle()
                connection.idle_since = time.monotonic()
                self._idle.setdefault(origin, []).append(connection)
            else:  # the server closes it (Connection: close, read-until-close body)
                connection.close()
            return answer

    async def _connection(self, origin: tuple[str, str, int], timeout: float | None) -> _Connection:
        """An idle kept-alive connection to ``origin`` (the most recent), else a new one."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.usable(now, self.keepalive_expiry):
                return connection
            connection.close()
        scheme, host, port = origin
        tls = (self.tls or _tls()) if scheme == "https" else None
        connect = min(timeout, CONNECT_SECONDS) if timeout else CONNECT_SECONDS
        try:
            async with asyncio.timeout(connect):
                reader, writer = await asyncio.open_connection(host, port, ssl=tls,
                                                               server_hostname=host if tls else None,
                                                               limit=READ_BYTES * 4)
        except TimeoutError:
            raise requests.ConnectTimeout("could not connect to the provider in time") from None
        except ssl.SSLError as exc:  # certificate not verified, handshake refused: nothing was sent
            raise requests.exceptions.SSLError(f"Connection refused: TLS: {exc}") from None
        except OSError as exc:
            raise requests.ConnectionError(f"Connection refused: {exc}") from None  # nothing was sent
        self.connections_made += 1
        return _Connection(reader, writer)

    @staticmethod
    async def _exchange(connection: _Connection, *, method: str, target: str, host: str,
                        headers: dict[str, str], body: bytes | None) -> TransportAnswer:
        conn = connection.h11
        lines = [("Host", host)]
        for name, value in headers.items():
            if name.lower() not in ("host", "content-length", "transfer-encoding"):
                lines.append((name, value))
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(("Content-Length", str(len(body or b""))))
        out = conn.send(h11.Request(method=method, target=target, headers=lines))
        if body:
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        connection.writer.write(out)
        await connection.writer.drain()
        response: h11.Response | None = None
        chunks: list[bytes] = []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await connection.reader.read(READ_BYTES))  # b"": the server closed
                continue
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise _Dropped("the server closed the connection before its answer")
            # h11.InformationalResponse (1xx): the real answer follows
        assert response is not None  # h11 gives the response before its body's end
        answer_headers: dict[str, str] = {}
        for raw_name, raw_value in response.headers:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            answer_headers[name] = f"{answer_headers[name]}, {value}" if name in answer_headers else value
        content = b"".join(chunks)
        encoding = answer_headers.get("content-encoding", "").strip().lower()
        if encoding and content:
            try:
                content = _decoded(content, encoding)
            except zlib.error as exc:
                raise _Dropped(f"undecodable {encoding} body") from exc
        return TransportAnswer(response.status_code, answer_headers, content)

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


class Transports:
    """The dispatcher's transports, by provider registry id (made on first use, inside the event loop)."""

    def __init__(self, *, limit: int, tls: ssl.SSLContext | None = None) -> None:
        self.limit, self.tls = limit, tls
        self._by_provider: dict[int, ProviderTransport] = {}

    def for_provider(self, provider_id: int) -> ProviderTransport:
        transport = self._by_provider.get(provider_id)
        if transport is None:
            transport = self._by_provider[provider_id] = ProviderTransport(limit=self.limit, tls=self.tls)
        return transport

    async def close(self) -> None:
        for transport in self._by_provider.values():
            await transport.close()
        self._by_provider.clear()
