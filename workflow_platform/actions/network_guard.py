"""The SSRF guard: HTTP actions reach only public addresses unless the tenant allows more.

A workflow definition chooses URLs, and its data may too, so without a guard any
tenant could make our workers call the cloud metadata service (169.254.169.254), the
database or an admin port on loopback. :func:`resolve_public` resolves the host once,
refuses it when *any* address is private, loopback, link-local, multicast, reserved,
unspecified or otherwise not globally routable (IPv4 and IPv6, including IPv4 embedded
in IPv6: mapped, 6to4, Teredo, NAT64), and returns the addresses to connect to. The HTTP
client then connects to exactly that address (no second lookup an attacker's DNS could
answer differently) and repeats the check on every redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from .base import ActionTimeout, NonRetryableActionError, RetryableActionError
from .deadline import DeadlineExceeded, call_with_deadline

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Refused:
    address: str
    reason: str


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_forbidden(address: IPAddress) -> str | None:
    """Why ``address`` is not a public destination, or None when it is."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = why_forbidden(inner)
        return f"{reason} (inside {address})" if reason else None
    for flag, reason in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(address, flag):
            return f"a {reason} address"
    if not address.is_global:
        return "not a globally routable address"
    return None


def resolve(host: str, port: int, *, timeout: float | None = None) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself); with
    ``timeout``, a resolver slower than that raises ActionTimeout."""
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    try:
        if timeout is None:
            infos = socket.getaddrinfo(literal, port, 0, socket.SOCK_STREAM)
        else:
            infos = call_with_deadline(
                socket.getaddrinfo, literal, port, 0, socket.SOCK_STREAM, seconds=timeout
            )
    except DeadlineExceeded:
        raise ActionTimeout(f"Resolving '{literal}' took longer than {timeout:g}s.") from None
    except (socket.gaierror, UnicodeError) as error:
        # DNS failures are often temporary; a name that never resolves ends in an incident.
        raise RetryableActionError(
            f"Could not resolve the host '{literal}': {error}", code="dns_failed"
        ) from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def resolve_public(
    host: str, port: int, *, allow_private_network: bool, timeout: float | None = None
) -> list[IPAddress]:
    """The addresses to connect to for ``host``; refuses non-public ones unless allowed.

    Raises NonRetryableActionError (code ``address_refused``) naming the address and why,
    RetryableActionError (``dns_failed``) or ActionTimeout when resolution fails.
    """
    addresses = resolve(host, port, timeout=timeout)
    if not addresses:
        raise RetryableActionError(f"The host '{host}' has no address.", code="dns_failed")
    if allow_private_network:
        return addresses
    for address in addresses:
        reason = why_forbidden(address)
        if reason:
            raise NonRetryableActionError(
                f"Refused to call '{host}': it resolves to {address}, {reason}. "
                "HTTP actions call public addresses only unless the tenant allows the "
                "private network.",
                code="address_refused",
            )
    return addresses
