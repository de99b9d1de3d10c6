"""Outbound HTTP to URLs our users supply (reseller webhooks; merchant callbacks next), safe from SSRF.

A user-supplied URL must never make the platform talk to itself, its neighbours or the cloud's metadata
service. The rules (docs/reliability.md, "Attacks refused (issue 14) — access"):

* https only; plain http (and any loopback address) only when ``OUTBOUND_URLS["ALLOW_LOOPBACK"]`` is on,
  which the development and test settings set for the local simulators and production forces off;
* no user:password@, no numeric host spelled other than a canonical address (``2130706433``,
  ``0x7f.1``, ``0177.0.0.1``, ``127.1`` are what C resolvers turn into 127.0.0.1);
* every address the host resolves to must be public: no private, loopback, link-local (metadata
  ``169.254.169.254``), multicast, reserved, unspecified, CGNAT (``100.64.0.0/10``), benchmark,
  IETF-protocol (``192.0.0.0/24``, Oracle's metadata) or site-local address, IPv4 and IPv6 alike,
  including IPv4-mapped, NAT64 and 6to4 addresses that embed a refused IPv4 one; Teredo is refused;
* the check runs when the URL is registered (:func:`check_url`) and again for every request
  (:func:`post`): the host is resolved, every address checked, and the connection goes to the checked
  address itself (TLS still verifies the certificate for the host name, SNI included), so a DNS answer
  that changes between the check and the connection (rebinding) cannot steer it;
* no redirect is followed (a 3xx is simply not a success) and the answer's body is never read: callers
  get the status code and a stable error code, nothing the other side wrote.
* the address rule (:func:`destination_refusal`) is also the one every connection to a provider obeys at call
  time (``provider_plugins.interfaces.egress``: a base URL checked when saved may resolve elsewhere later).

:func:`fetch_public` is the one reader (a tenant's logo for its icons): the same checks and connection, then
only a 200 of an accepted media type, at most ``max_bytes`` (a longer answer is refused, not truncated).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from .errors import ApiError

REFUSED_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class UrlNotAllowed(ApiError):
    status_code = 400
    code = "url_not_allowed"
    message = gettext_lazy("This URL is not allowed.")


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the rules, with the addresses it resolved to (connect only to these)."""

    scheme: str
    host: str  # lower case, IDNA (ASCII)
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class OutboundResult:
    status_code: int | None
    error: str  # "" on an HTTP answer; else destination_refused, timeout, tls_error, connection_error

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _conf(name: str):
    defaults = {"ALLOW_LOOPBACK": False, "TIMEOUT_SECONDS": 5.0, "MAX_URL_LENGTH": 2048, "CA_BUNDLE": ""}
    return getattr(settings, "OUTBOUND_URLS", {}).get(name, defaults[name])


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_public_address(value: str) -> bool:
    """True only for an address the public internet routes to someone else."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(str(embedded))
        if address.teredo is not None or address.is_site_local:
            return False
    if any(address in network for network in REFUSED_NETWORKS if network.version == address.version):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_private
                                      or address.is_link_local or address.is_loopback or address.is_unspecified)


def is_loopback_address(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver). Tests replace it to play DNS tricks."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


PLAIN_HTTP = "plain http to an address other than loopback"
NOT_PUBLIC = "a private, loopback, link-local or reserved address"


def destination_refusal(addresses: Sequence[str], *, tls: bool) -> str:
    """Why a connection may not go to ``addresses`` (every address a host resolved to), or "" when it may: all
    of them loopback while ``OUTBOUND_URLS["ALLOW_LOOPBACK"]`` is on (development, tests, the bench: the local
    simulators), else https (``tls``) to public addresses only. The one rule of :func:`check_url` and of every
    provider connection (``provider_plugins.interfaces.egress``, installed by ``shared_apps.providers``)."""
    if not addresses:
        return NOT_PUBLIC
    if _conf("ALLOW_LOOPBACK") and all(is_loopback_address(address) for address in addresses):
        return ""
    if not tls:
        return PLAIN_HTTP
    if not all(is_public_address(address) for address in addresses):
        return NOT_PUBLIC
    return ""


def _refuse(reason: str) -> UrlNotAllowed:
    return UrlNotAllowed(gettext("This URL is not allowed: %(reason)s") % {"reason": reason}, fields={"url": [reason]})


def _host_of(raw: str) -> str:
    """The host in canonical form; numeric hosts only as canonical IPv4/IPv6 literals."""
    host = raw.strip().rstrip(".").lower()
    if not host:
        raise _refuse(gettext("the URL has no host."))
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if all(_NUMERIC_LABEL.match(label) for label in labels) or _NUMERIC_LABEL.match(labels[-1]):
        raise _refuse(gettext("write an IP address as four decimal numbers (or use a host name)."))
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refuse(gettext("the host name is not valid.")) from None
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*", ascii_host):
        raise _refuse(gettext("the host name is not valid."))
    return ascii_host


def check_url(url: str) -> CheckedUrl:
    """Parse, resolve and check a user-supplied URL, or raise 400 ``url_not_allowed`` saying why."""
    if not isinstance(url, str) or not url or len(url) > _conf("MAX_URL_LENGTH"):
        raise _refuse(gettext("give an https URL of reasonable length."))
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise _refuse(gettext("the URL contains spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(gettext("the URL is malformed.")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise _refuse(gettext("use https."))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse(gettext("credentials in the URL are not allowed."))
    host = _host_of(parts.hostname or "")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise _refuse(gettext("the host name does not resolve.")) from None
    if not addresses:
        raise _refuse(gettext("the host name does not resolve."))
    refusal = destination_refusal(addresses, tls=scheme == "https")
    if refusal == PLAIN_HTTP:
        raise _refuse(gettext("use https."))
    if refusal:
        raise _refuse(gettext("the host resolves to a private, loopback, link-local or reserved address."))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedUrl(scheme=scheme, host=host, port=port, target=target, addresses=tuple(addresses))


def _pool(checked: CheckedUrl, timeout: float) -> urllib3.HTTPConnectionPool:
    """One connection to the checked address (never the name again: no DNS rebinding), no retries."""
    address = checked.addresses[0]
    urllib3_timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if checked.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, port=checked.port, timeout=urllib3_timeout, maxsize=1, retries=False,
            server_hostname=checked.host, assert_hostname=checked.host, cert_reqs="CERT_REQUIRED",
            ca_certs=_conf("CA_BUNDLE") or certifi.where())
    return urllib3.HTTPConnectionPool(address, port=checked.port, timeout=urllib3_timeout, maxsize=1, retries=False)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float | None = None) -> OutboundResult:
    """POST ``body`` to a user-supplied URL: checked again now, connected to the checked address, no
    redirect followed, the answer's body never read. Never raises for the destination's behaviour."""
    try:
        checked = check_url(url)
    except UrlNotAllowed:
        return OutboundResult(None, "destination_refused")
    pool = _pool(checked, float(timeout if timeout is not None else _conf("TIMEOUT_SECONDS")))
    try:
        response = pool.urlopen("POST", checked.target, body=body, headers={**headers, "Host": checked.host_header},
                                redirect=False, preload_content=False, assert_same_host=False)
        status = response.status
        response.close()  # the body is never read: nothing of the other side's answer is kept
        return OutboundResult(status, "")
    except urllib3.exceptions.SSLError:
        return OutboundResult(None, "tls_error")
    except urllib3.exceptions.NewConnectionError:  # (a ConnectTimeoutError subclass in urllib3 2)
        return OutboundResult(None, "connection_error")
    except urllib3.exceptions.TimeoutError:
        return OutboundResult(None, "timeout")
    except (urllib3.exceptions.HTTPError, OSError):
        return OutboundResult(None, "connection_error")
    finally:
        pool.close()


@dataclass(frozen=True)
class FetchedResource:
    status: int | None
    content_type: str
    body: bytes
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


def fetch_public(url: str, *, max_bytes: int, accept: tuple[str, ...], timeout: float | None = None) -> FetchedResource:
    """GET a public resource a tenant names (its logo), under the same rules as :func:`post`: checked and
    connected to the checked address, no redirect followed. Only a 200 whose ``Content-Type`` starts with one
    of ``accept`` is read, and never more than ``max_bytes`` (a longer answer is refused, not truncated).
    Never raises for the destination's behaviour."""
    try:
        checked = check_url(url)
    except UrlNotAllowed:
        return FetchedResource(None, "", b"", "destination_refused")
    pool = _pool(checked, float(timeout if timeout is not None else _conf("TIMEOUT_SECONDS")))
    try:
        response = pool.urlopen("GET", checked.target, headers={"Host": checked.host_header,
                                                                "Accept": ", ".join(accept)},
                                redirect=False, preload_content=False, assert_same_host=False)
        status = response.status
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if status != 200 or not content_type.startswith(accept):
            response.close()
            return FetchedResource(status, content_type, b"", "unexpected_answer")
        body = response.read(max_bytes + 1, decode_content=True)
        response.close()
        if len(body) > max_bytes:
            return FetchedResource(status, content_type, b"", "too_large")
        return FetchedResource(status, content_type, body)
    except urllib3.exceptions.SSLError:
        return FetchedResource(None, "", b"", "tls_error")
    except urllib3.exceptions.NewConnectionError:
        return FetchedResource(None, "", b"", "connection_error")
    except urllib3.exceptions.TimeoutError:
        return FetchedResource(None, "", b"", "timeout")
    except (urllib3.exceptions.HTTPError, OSError):
        return FetchedResource(None, "", b"", "connection_error")
    finally:
        pool.close()
