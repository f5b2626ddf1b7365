"""The events the Pendo tests send, and their results in the shape the verdicts take."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from switchboard.integrations.base import Result
from switchboard.integrations.kit.testing import Sent

#: The `send` fixture: `send(pendo, events, mappings=..., limiter=..., **settings)`.
Send = Callable[..., list[Sent]]


def results(sent: Sequence[Sent]) -> list[Result]:
    return [s.result for s in sent]


def identify(user: str = "u-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-{user}",
        "userId": user,
        "traits": traits or {"email": "ada@example.com", "plan": "pro"},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def group(account: str = "acct-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "group",
        "messageId": f"m-{account}",
        "userId": "u-1",
        "groupId": account,
        "traits": traits or {"name": "Initech", "employees": 120},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def track(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{n}",
        "userId": "u-1",
        "event": "Order Completed",
        "properties": {"total": 12.5, "n": n},
        "context": {
            "ip": "203.0.113.9",
            "userAgent": "Mozilla/5.0",
            "page": {"url": "https://app.example.com/cart", "title": "Cart"},
            "library": {"name": "analytics.js", "version": "4.1.0"},
        },
        "timestamp": "2024-05-01T12:00:00.250Z",
        **extra,
    }
