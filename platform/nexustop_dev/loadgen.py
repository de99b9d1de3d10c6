"""A lean HTTP/1.1 load generator for the purchase bench: asyncio streams, one keep-alive connection per client.

``requests`` costs the bench ~3 ms of CPU per purchase on the same two cores as the server: at the issue's
300/s that alone is most of a core, so the driver would measure itself. Here a request is one ``write`` of
pre-built bytes and a response one header read and one body read (~0.1 ms per purchase in this process).
Clients are paced (``rate``) on a fixed schedule (a slow answer delays the next request of that client only),
or flat out. Only what the bench's server sends is understood: ``Content-Length`` or ``chunked`` bodies,
``Connection: close`` (reconnect).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DriveResult:
    """What a drive produced: the accepted purchases (order public id, seconds to the answer), refusals by status."""

    accepted: list[tuple[str, float]] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "refused": self.refused, "duration": self.duration}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = -1
    chunked = False
    keep = not status_line.startswith(b"HTTP/1.0")
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            keep = value.strip().lower() != b"close"
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), keep
    if length >= 0:
        return status, await reader.readexactly(length), keep
    return status, await reader.read(), False


def purchase_request(*, host: str, token: str, product_id: int, phone: str, amount: str) -> bytes:
    """``POST /api/purchase`` as bytes: a fresh Idempotency-Key each time, as a real client would send."""
    body = json.dumps({"product_id": product_id, "recipient_phone": phone, "amount": amount}).encode()
    head = (f"POST /api/purchase HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"X-Forwarded-Proto: https\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _drive(*, address: tuple[str, int], clients: int, seconds: float, rate: float,
                 build: Callable[[int, int], bytes], timeout: float) -> DriveResult:
    result = DriveResult()
    loop = asyncio.get_running_loop()
    began = loop.time()
    stop_at = began + seconds
    interval = clients / rate if rate else 0.0

    async def client(index: int) -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        counter = 0
        next_at = began + (index * interval / clients if interval else 0.0)
        try:
            while loop.time() < stop_at:
                if interval:
                    delay = next_at - loop.time()
                    next_at += interval
                    if delay > 0:
                        await asyncio.sleep(delay)
                request = build(index, counter)
                counter += 1
                started = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection(*address)
                    assert reader is not None
                    writer.write(request)
                    status, body, keep = await asyncio.wait_for(_read_response(reader), timeout)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    status, body, keep = 599, b"", False
                elapsed = time.perf_counter() - started
                if status == 202:
                    result.accepted.append((json.loads(body)["id"], elapsed))
                else:
                    result.refused[status] = result.refused.get(status, 0) + 1
                if not keep and writer is not None:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(client(index) for index in range(clients)))
    result.duration = loop.time() - began
    return result


def drive(*, address: tuple[str, int], clients: int, seconds: float, rate: float,
          build: Callable[[int, int], bytes], timeout: float = 30.0) -> DriveResult:
    """Run ``clients`` keep-alive connections for ``seconds``; ``build(client, counter)`` makes each request.

    On a thread of its own, with its own event loop: the caller's thread may already run one."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(_drive(address=address, clients=clients, seconds=seconds, rate=rate,
                                                   build=build, timeout=timeout))
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="loadgen")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
