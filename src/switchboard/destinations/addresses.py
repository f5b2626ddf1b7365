"""Refuse destination URLs that point inside the network, unless the operator allows it.

A destination URL is chosen by whoever may edit destinations; without this check it could
make the workers call internal services (cloud metadata, databases, admin panels).

Two checks, because DNS can change between them: `internal_urls` when settings are saved
(so the user hears of it at once), and `guarded_transport` on every connection the workers
open, which resolves the host itself, refuses the connection if any address it gets is not
public, and connects to the very address it checked. A name that resolved to a public
address when it was saved and to 127.0.0.1 when it is used (DNS rebinding) is refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from switchboard.integrations.http import BlockedAddress

#: socket.getaddrinfo's shape: (host, port, family, type) -> [(family, type, proto, name, addr)]
Resolver = Callable[..., list[tuple[Any, ...]]]


def _urls(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _urls(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _urls(item)


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


def internal_urls(settings: Any, resolve: Resolver = socket.getaddrinfo) -> list[str]:
    """The URLs in `settings` whose host is (or resolves to) a non-public address."""
    found = []
    for url in _urls(settings):
        host = urlsplit(url).hostname
        if not host:
            continue
        try:
            addresses = [ipaddress.ip_address(host).compressed]
        except ValueError:
            try:
                addresses = [str(info[4][0]) for info in resolve(host, None)]
            except OSError:
                continue  # unresolvable now: the send will fail and say so
        if any(_is_internal(a) for a in addresses):
            found.append(url)
    return found


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, checking each connection's addresses before it is made."""

    def __init__(self, resolve: Resolver = socket.getaddrinfo) -> None:
        self._resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = self._resolve(host, port, 0, socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"could not resolve host {host}: {exc}") from exc
        addresses = [str(info[4][0]) for info in infos]
        internal = [address for address in addresses if _is_internal(address)]
        if internal or not addresses:
            raise BlockedAddress(
                f"{host} resolves to {internal[0] if internal else 'no address'}, which is not "
                "a public address (SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS is off)"
            )
        # Connect to the address just checked, not to the name: asking DNS again could
        # give another answer.
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def guarded_transport(resolve: Resolver = socket.getaddrinfo) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes to a public address only.

    TLS still verifies the certificate against the URL's host name: httpcore passes the
    origin's host as the server name whatever address the socket connects to.
    """
    transport = httpx.HTTPTransport()
    limits = httpx.Limits()
    # httpx builds its connection pool without a way to choose the network backend, so the
    # pool is rebuilt with the same settings and ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(resolve),
    )
    return transport
