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
TLS verification failed, or a destination refused: ``provider_plugins.interfaces.egress``, the host resolved
once per connection and every address checked, the connection made to a checked address) is "nothing was sent"
(``ConnectTimeout`` / ``ConnectionError('... refused')``, ``DestinationRefused`` being one);
anything after the request may have left is unclear (``ReadTimeout`` / ``ConnectionError``), so pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
import time
import zlib
from functools import cache, lru_cache
from urllib.parse import urlsplit

import certifi
import h11
import requests
from h11._headers import CONTENT_LENGTH_MAX_DIGITS, get_comma_header
from h11._readers import header_field_re, status_line_re

from provider_plugins.interfaces.aio import TransportAnswer
from provider_plugins.interfaces.egress import AddressInfo, DestinationRefused, resolve_checked_async

CONNECT_SECONDS = 5.0  # at most, to make a connection (TCP and TLS)
READ_BYTES = 65536
HEAD_LIMIT = 16 * 1024  # h11's max_incomplete_event_size: a longer unfinished head is refused


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process (loading the CA bundle costs tens of milliseconds)."""
    return ssl.create_default_context(cafile=certifi.where())


class _Connection:
    """One HTTP/1.1 connection to an origin: its streams and h11's state for it."""

    __slots__ = ("h11", "idle_since", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        # h11's state, once an exchange on this connection needed it (``_plain_answer``); from then on, every one.
        self.h11: h11.Connection | None = None
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


@lru_cache(maxsize=1024)
def _request_head(method: str, target: str, lines: tuple[tuple[str, str], ...]) -> tuple[bytes, bool] | None:
    """What h11 writes for this request's head (its own bytes, its validation: what it refuses raises here as it
    did in ``send``), and whether the connection stays open after the exchange as far as the request goes (no
    ``Connection: close``); None for a request whose exchange only h11 follows (``CONNECT``, ``Upgrade``). The
    same few heads come back for every call of a connector (the body's length aside)."""
    request = h11.Request(method=method, target=target, headers=list(lines))
    if request.method == b"CONNECT" or get_comma_header(request.headers, b"upgrade"):
        return None
    head = h11.Connection(h11.CLIENT).send(request)
    return head, b"close" not in get_comma_header(request.headers, b"connection")


class _Plain:
    """A response h11 would read as it is read here: a head within ``HEAD_LIMIT`` ending in CRLF CRLF, ``HTTP/1.1``,
    a final status (200-999, not 204 or 304), every line matching h11's own patterns (no folded lines), ONE
    ``Content-Length`` of digits, no ``Transfer-Encoding``; then exactly that many body bytes and nothing more
    (the connection's next bytes would be h11's to keep). Anything else is h11's to read (``_h11_answer``)."""

    __slots__ = ("body_from", "headers", "keep_alive", "length", "status")

    def __init__(self, status: int, headers: dict[str, str], length: int, body_from: int, keep_alive: bool) -> None:
        self.status, self.headers, self.length, self.body_from, self.keep_alive = (
            status, headers, length, body_from, keep_alive)

    @classmethod
    def parse(cls, data: bytes, end: int) -> _Plain | None:
        """``data[:end]`` is the head (up to its first blank line, CRLF CRLF excluded); None: not plain."""
        lines = data[:end].split(b"\r\n")
        status_line = lines[0]
        if not status_line.startswith(b"HTTP/1.1 "):
            return None
        matched = status_line_re.fullmatch(status_line)
        if matched is None:
            return None
        status = int(matched["status_code"])
        if status < 200 or status in (204, 304):
            return None
        headers: dict[str, str] = {}
        length: bytes | None = None
        close = False
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") or b"\n" in line:
                return None  # a folded line, a bare line feed
            field = header_field_re.fullmatch(line)
            if field is None:
                return None
            raw_name, raw_value = field["field_name"], field["field_value"]
            lowered = raw_name.lower()
            if lowered == b"content-length":
                if length is not None or not raw_value.isdigit() or len(raw_value) > CONTENT_LENGTH_MAX_DIGITS:
                    return None
                length = raw_value
            elif lowered == b"transfer-encoding":
                return None
            elif lowered == b"connection":
                close = close or any(token.strip() == b"close" for token in raw_value.lower().split(b","))
            name, value = lowered.decode("latin-1"), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if length is None:
            return None
        return cls(status, headers, int(length), end + 4, not close)


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:  # raw deflate, as some servers send it
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def _answer(status: int, headers: dict[str, str], content: bytes) -> TransportAnswer:
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding and content:
        try:
            content = _decoded(content, encoding)
        except zlib.error as exc:
            raise _Dropped(f"undecodable {encoding} body") from exc
    return TransportAnswer(status, headers, content)


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
                    answer, reusable = await self._exchange(connection, method=method, target=target,
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
            if reusable:
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
                # The host resolved once and every address checked (egress: DestinationRefused, nothing sent);
                # the connection goes to a checked address, TLS verifies the certificate for the host name.
                infos = await resolve_checked_async(host, port, tls=tls is not None)
                reader, writer = await self._open(infos, port, tls, host)
        except TimeoutError:
            raise requests.ConnectTimeout("could not connect to the provider in time") from None
        except ssl.SSLError as exc:  # certificate not verified, handshake refused: nothing was sent
            raise requests.exceptions.SSLError(f"Connection refused: TLS: {exc}") from None
        except DestinationRefused:
            raise
        except OSError as exc:
            raise requests.ConnectionError(f"Connection refused: {exc}") from None  # nothing was sent
        self.connections_made += 1
        return _Connection(reader, writer)

    @staticmethod
    async def _open(infos: list[AddressInfo], port: int, tls: ssl.SSLContext | None,
                    host: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Streams to the first checked address that accepts (an IP literal: asyncio resolves nothing again)."""
        error: OSError | None = None
        for info in infos:
            try:
                return await asyncio.open_connection(info[4][0], port, family=info[0], ssl=tls,
                                                     server_hostname=host if tls else None, limit=READ_BYTES * 4)
            except ssl.SSLError:
                raise
            except OSError as exc:
                error = exc
        raise error if error is not None else OSError("no address to connect to")

    @staticmethod
    async def _exchange(connection: _Connection, *, method: str, target: str, host: str,
                        headers: dict[str, str], body: bytes | None) -> tuple[TransportAnswer, bool]:
        """One exchange on ``connection``: the answer, and whether the connection can take the next request."""
        lines = [("Host", host)]
        for name, value in headers.items():
            if name.lower() not in ("host", "content-length", "transfer-encoding"):
                lines.append((name, value))
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(("Content-Length", str(len(body or b""))))
        if connection.h11 is None:
            request = _request_head(method, target, tuple(lines))
            if request is not None:
                head, keep_alive = request
                connection.writer.write(head + body if body else head)
                await connection.writer.drain()
                return await ProviderTransport._plain_answer(connection, method, target, lines, body, keep_alive)
            connection.h11 = h11.Connection(h11.CLIENT)
        conn = connection.h11
        out = conn.send(h11.Request(method=method, target=target, headers=lines))
        if body:
            out += conn.send(h11.Data(data=body))
        out += conn.send(h11.EndOfMessage())
        connection.writer.write(out)
        await connection.writer.drain()
        return await ProviderTransport._h11_answer(connection)

    @staticmethod
    async def _plain_answer(connection: _Connection, method: str, target: str, lines: list[tuple[str, str]],
                            body: bytes | None, keep_alive: bool) -> tuple[TransportAnswer, bool]:
        """The answer read without h11 when it is plain (``_Plain``): what h11 makes of it, at a fraction of the CPU
        (~50 us an exchange, issue 18). Otherwise h11 takes over the connection from here, given what was read:
        its state as after sending this request, its events, its errors (``_h11_answer``)."""
        data = b""
        plain: _Plain | None = None
        eof = False
        while True:
            chunk = await connection.reader.read(READ_BYTES)
            if not chunk:
                eof = True
                break
            data += chunk
            if plain is None:
                end = data.find(b"\r\n\r\n")
                blank = data.find(b"\n\n")
                if end == -1 or (blank != -1 and blank < end + 2) or data.startswith((b"\r\n", b"\n")):
                    if end == -1 and (blank == -1 and len(data) <= HEAD_LIMIT):
                        continue  # the head is not all here yet
                    break  # not a plain head (a bare LF ends it sooner, or it is too long): h11's
                plain = _Plain.parse(data, end)
                if plain is None:
                    break
            if len(data) >= plain.body_from + plain.length:
                break
        if plain is not None and not eof and len(data) == plain.body_from + plain.length:
            content = data[plain.body_from:]
            answer = _answer(plain.status, plain.headers, content)
            return answer, keep_alive and plain.keep_alive
        conn = connection.h11 = h11.Connection(h11.CLIENT)
        conn.send(h11.Request(method=method, target=target, headers=lines))
        if body:
            conn.send(h11.Data(data=body))
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        if eof:
            conn.receive_data(b"")
        return await ProviderTransport._h11_answer(connection)

    @staticmethod
    async def _h11_answer(connection: _Connection) -> tuple[TransportAnswer, bool]:
        conn = connection.h11
        assert conn is not None
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
        answer = _answer(response.status_code, answer_headers, b"".join(chunks))
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            return answer, True
        return answer, False  # the server closes it (Connection: close, read-until-close body)

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
