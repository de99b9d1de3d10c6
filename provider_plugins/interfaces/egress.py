"""Where a provider call may connect: the address is checked when the connection is made, for every call.

A provider's ``base_url`` is checked when it is saved (``shared_apps.providers.services.validate_endpoint_url``), but
its host name may resolve elsewhere later (a DNS record changed, DNS rebinding): the platform would then send the
provider's credentials and our requests to an internal service or the cloud's metadata address. So every
connection to a provider, synchronous (:class:`GuardedAdapter`, mounted by :class:`.observe.ObservedSession`, the
session every connector uses) or asynchronous (the dispatcher's transport, ``tenant_apps.orders.dispatch.transport``),
resolves the host ONCE (:func:`resolve_checked` / :func:`resolve_checked_async`), checks every address it got,
and connects to those very addresses: no second resolution between the check and the connection. TLS still
verifies the certificate for the host name (SNI included) and the ``Host`` header still names it.

The rule itself is the core's (``shared_apps.core.outbound.destination_refusal``: public https only; loopback
too where ``OUTBOUND_URLS["ALLOW_LOOPBACK"]`` is on, for the local simulators of development, tests and the bench);
the core installs it with :func:`set_destination_policy` when Django starts (``shared_apps.providers.apps``). Until
then every destination is refused: a plugin used outside the platform fails closed.

A refused destination raises :class:`DestinationRefused`, a ``requests.ConnectionError`` whose text says "refused"
(what a connection refused by the other side raises): nothing was sent, so every connector maps it as it maps a
connection that could not be made (a provider fault, ``sent=False``: the core fails over, never a user-fixable
error, never an unclear outcome). Each refusal is logged (host, port, addresses and why; never a credential).
Checking costs nothing per request: it runs when a connection is made, and kept-alive connections are reused.
Requests to providers never go through an environment proxy (the proxy would resolve the name, unchecked).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError

__all__ = ["DestinationRefused", "GuardedAdapter", "connect_checked", "guard_session", "resolve_checked",
           "resolve_checked_async", "set_destination_policy"]

logger = logging.getLogger(__name__)

# (addresses the host resolved to, whether the connection is TLS) -> "" when allowed, else why not.
DestinationPolicy = Callable[[Sequence[str], bool], str]
AddressInfo = tuple[Any, Any, int, str, Any]  # socket.getaddrinfo's (family, type, proto, canonname, sockaddr)


def _no_policy(addresses: Sequence[str], tls: bool) -> str:
    return "no destination policy installed"


_policy: DestinationPolicy = _no_policy


def set_destination_policy(policy: DestinationPolicy | None) -> None:
    """The core's rule for provider destinations (None: refuse every destination)."""
    global _policy
    _policy = policy if policy is not None else _no_policy


class DestinationRefused(requests.exceptions.ConnectionError):
    """The provider's host resolved to an address the platform never connects to: nothing was sent."""

    code = "provider_destination_refused"

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"Connection refused: {host}:{port} is not an allowed provider destination ({reason})")
        self.host, self.port, self.reason = host, port, reason


def _numeric(host: str, port: int) -> list[AddressInfo] | None:
    """An IP literal's address info without asking the resolver (None: a name)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if address.version == 6:
        return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (str(address), port, 0, 0))]
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (str(address), port))]


def _checked(host: str, port: int, infos: Sequence[AddressInfo], *, tls: bool) -> list[AddressInfo]:
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    reason = _policy(addresses, tls)
    if reason:
        logger.warning("provider destination refused: %s:%s resolves to %s (%s); nothing sent", host, port,
                       ", ".join(addresses) or "nothing", reason,
                       extra={"destination_host": host, "destination_port": port,
                              "destination_addresses": addresses, "refusal": reason})
        raise DestinationRefused(host, port, reason)
    return list(infos)


def resolve_checked(host: str, port: int, *, tls: bool) -> list[AddressInfo]:
    """``host``'s addresses (resolved once), every one allowed by the policy; raises :class:`DestinationRefused`
    (or ``socket.gaierror`` when the name does not resolve). Connect to these, never to the name."""
    infos: Sequence[AddressInfo] | None = _numeric(host, port)
    if infos is None:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _checked(host, port, infos, tls=tls)


async def resolve_checked_async(host: str, port: int, *, tls: bool) -> list[AddressInfo]:
    """:func:`resolve_checked` from an event loop (the resolver runs in the loop's executor, as asyncio does)."""
    infos: Sequence[AddressInfo] | None = _numeric(host, port)
    if infos is None:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return _checked(host, port, infos, tls=tls)


def connect_checked(infos: Sequence[AddressInfo], timeout: Any, *, source_address: Any = None,
                    socket_options: Sequence[tuple[int, int, int | bytes]] | None = None) -> socket.socket:
    """A TCP connection to the first of ``infos`` that accepts (``urllib3.util.connection.create_connection`` on
    addresses already resolved and checked)."""
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = None
        try:
            sock = socket.socket(family, kind, proto)
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is None or isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            if sock is not None:
                sock.close()
    raise error if error is not None else OSError("no address to connect to")


class _Refused(NewConnectionError):
    """urllib3's "the connection could not be made", carrying the refusal (no retry, nothing sent)."""

    def __init__(self, conn: HTTPConnection, refused: DestinationRefused) -> None:
        super().__init__(conn, str(refused))
        self.refused = refused


class _GuardedConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        """urllib3's ``_new_conn`` (same errors), connected only to checked addresses of the host."""
        tls = isinstance(self, HTTPSConnection)
        try:
            infos = resolve_checked(self._dns_host, self.port, tls=tls)
        except DestinationRefused as refused:
            raise _Refused(self, refused) from None
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        try:
            sock = connect_checked(infos, self.timeout, source_address=self.source_address,
                                   socket_options=self.socket_options)
        except TimeoutError as exc:  # socket.timeout
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """``requests``' adapter whose connections go only to checked addresses (see the module); one instance serves
    http and https. A refused destination raises :class:`DestinationRefused` itself."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedPool, "https": _GuardedHTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        try:
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=None)
        except requests.ConnectionError as exc:
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, MaxRetryError) and isinstance(cause.reason, _Refused):
                raise cause.reason.refused from None
            raise


def guard_session(session: requests.Session) -> requests.Session:
    """Mount :class:`GuardedAdapter` for http and https on ``session``."""
    adapter = GuardedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session

