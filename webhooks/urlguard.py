"""SSRF guard for webhook targets: only http(s) URLs whose host resolves to global addresses only.

Checked when a subscription is made and again before every delivery; the delivery then connects to
the address vetted here (see webhooks.delivery), so a DNS answer that changes in between (rebinding)
cannot send the request somewhere else. Numeric hosts in decimal, hex or octal (`2130706433`,
`0x7f000001`, `0177.0.0.1`) are normalised by the resolver, so they are judged as the address they
name. `WEBHOOKS_ALLOW_LOOPBACK` lets loopback through (local development, tests) and nothing else.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

ALLOWED_SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL may not be used as a webhook target; the message says why."""


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (`address`) and what to call the host (Host header, SNI, certificate)."""

    parts: SplitResult
    host: str
    port: int
    address: str


def check_syntax(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port that is not a number or out of range
    except ValueError as error:
        raise UnsafeURL(_("This is not a valid URL (%(error)s).") % {"error": error}) from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeURL(_("Only http and https URLs can receive webhooks."))
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL(_("The URL may not contain a user name or password; authenticate with the signature."))
    if not parts.hostname:
        raise UnsafeURL(_("The URL has no host."))
    if port == 0:
        raise UnsafeURL(_("The URL's port must be between 1 and 65535."))
    return parts


def _unwrap(address: IPAddress) -> IPAddress:
    """IPv6 forms that carry an IPv4 address are judged as that address (::ffff:127.0.0.1 is loopback)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def address_allowed(raw: str) -> bool:
    address = _unwrap(ipaddress.ip_address(raw.split("%", 1)[0]))  # drop an IPv6 zone id
    if address.is_global and not address.is_multicast:
        return True
    return bool(settings.WEBHOOKS_ALLOW_LOOPBACK) and address.is_loopback


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (the one seam tests patch to simulate DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vet(url: str) -> Target:
    """Check `url` and resolve its host; raises UnsafeURL unless EVERY address it resolves to is allowed."""
    parts = check_syntax(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host %(host)s cannot be resolved (%(error)s).") % {"host": host, "error": error}) from None
    refused = [address for address in addresses if not address_allowed(address)]
    if refused or not addresses:
        raise UnsafeURL(
            _("The host %(host)s resolves to %(addresses)s, which is not a public internet address; webhooks are only "
              "sent to public addresses.") % {"host": host, "addresses": ", ".join(refused) or "nothing"}
        )
    return Target(parts=parts, host=host, port=port, address=addresses[0])
