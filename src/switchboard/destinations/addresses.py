"""Refuse destination URLs that point inside the network, unless the operator allows it.

A destination URL is chosen by whoever may edit destinations; without this check it could
make the workers call internal services (cloud metadata, databases, admin panels).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit


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


def internal_urls(settings: Any) -> list[str]:
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
                addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, None)]
            except OSError:
                continue  # unresolvable now: the send will fail and say so
        if any(_is_internal(a) for a in addresses):
            found.append(url)
    return found
