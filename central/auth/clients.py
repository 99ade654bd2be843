"""Which address a request comes from: the socket's peer, or the client a trusted reverse proxy
names in X-Forwarded-For ([auth] trusted_proxies). The login throttle counts by this address, so
a header any client can write is believed only from the proxies the operator listed."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(trusted: Iterable[str]) -> tuple[Network, ...]:
    """The [auth] trusted_proxies entries as networks (a single address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(item, strict=False) for item in trusted)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(text: str, proxies: tuple[Network, ...]) -> bool:
    ip = _ip(text)
    return ip is not None and any(ip in net for net in proxies)


def client_address(request: Request, proxies: tuple[Network, ...]) -> str:
    """The client's address. From a trusted proxy, X-Forwarded-For is read from the right (each
    proxy appends the address it was reached from) past every trusted proxy: the first address
    left is the client's; anything before it was written by the client and is ignored. A
    malformed entry ends the walk at the last trusted hop."""
    peer = request.client.host if request.client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        if _ip(hop) is None:
            break
        client = str(_ip(hop))
        if not _trusted(hop, proxies):
            break
    return client
