"""What every destination adapter is and returns.

An adapter is declarative: a settings model (pydantic; `SecretStr` for secrets; `title` and
`description` become the form label and help), the Spec calls it supports, and `send`, which
turns a batch of events into HTTP exchanges and one `Outcome` per event. An outcome says what
happened (delivered, an HTTP status, a temporary or permanent failure); the retry policy
(`jobs/retry.py`) decides what that means for the delivery. Adapters never import `jobs`.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

import httpx
from pydantic import BaseModel


class OutcomeKind(StrEnum):
    """What an adapter saw. Whether it is tried again is not the adapter's call: the retry
    policy (`jobs/retry.py`) decides, with the destination's overrides."""

    DELIVERED = "delivered"
    HTTP = "http"  # a status other than 2xx: the policy's `retry_statuses` decide
    TEMPORARY = "temporary"  # passes by itself: no answer (timeout, refused), a vendor's throttle
    PERMANENT = "permanent"  # trying again will not help: a bad request, a rejected record
    EITHER = "either"  # one per endpoint in `parts`: delivered or retried when any part is


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one event at one destination."""

    kind: OutcomeKind
    reason: str = ""  # human-readable: "HTTP 503 Service Unavailable", "timed out after 5 s"
    code: str = ""  # stable, groupable: "http_503", "timeout", "connection_error", ...
    retry_after: float | None = None  # seconds the destination asked us to wait
    status: int | None = None  # the HTTP status, for `HTTP`
    parts: tuple[Outcome, ...] = ()  # for `EITHER`

    @classmethod
    def delivered(cls) -> Outcome:
        return cls(OutcomeKind.DELIVERED)

    @classmethod
    def http(cls, status: int, reason: str, retry_after: float | None = None) -> Outcome:
        """The destination answered `status` (not 2xx); code `http_<status>`."""
        return cls(OutcomeKind.HTTP, reason, f"http_{status}", retry_after, status)

    @classmethod
    def temporary(cls, reason: str, code: str, retry_after: float | None = None) -> Outcome:
        return cls(OutcomeKind.TEMPORARY, reason, code, retry_after)

    @classmethod
    def permanent(cls, reason: str, code: str) -> Outcome:
        return cls(OutcomeKind.PERMANENT, reason, code)

    @classmethod
    def either(cls, reason: str, parts: Sequence[Outcome]) -> Outcome:
        """The event went to several endpoints (`parts`, in order) and none took it."""
        return cls(OutcomeKind.EITHER, reason, parts[0].code if parts else "", parts=tuple(parts))


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and its answer (or the error instead), redacted and size-capped."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str | None
    error: str | None
    started_at: float  # epoch seconds
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "error": self.error,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, slots=True)
class MappingRef:
    """The configured mapping a delivery belongs to: which action runs, with what fields."""

    id: int
    name: str
    action: str
    mapping: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """One event to send: the stored payload, the options its `integrations` object gave
    this destination (`{"Webhooks": {"x": 1}}` → `{"x": 1}`; `{}` when it said `true`), and,
    for a destination built on the kit, the mapping it was routed to."""

    delivery_id: int
    event: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    mapping: MappingRef | None = None


@dataclass(slots=True)
class Result:
    delivery_id: int
    outcome: Outcome
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SendContext:
    """What the caller lends an adapter for one `send`: an HTTP client, and the shared limiter.

    `limiter` and `scope` let an adapter hold a vendor's own API limits (calls per window,
    concurrent calls) across every worker process: `scope` names the configured destination
    (its id), so two destinations of one type keep separate budgets. Both are None in the
    event tester, which makes one call at a user's request.
    """

    http: httpx.Client
    limiter: CallLimiter | None = None
    scope: str = ""


class CallLimiter(Protocol):
    """The subset of `jobs.limits.Limiter` adapters use, keyed by any string."""

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None: ...

    def release_slot(self, destination_id: int | str, token: str) -> None: ...

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None: ...


class Adapter(ABC):
    """Subclass per vendor; see docs/destinations/writing-an-adapter.md."""

    #: The registry key, stored on each configured destination ("webhook").
    type: ClassVar[str]
    #: The name Segment users put in the `integrations` object ("Webhooks").
    display_name: ClassVar[str]
    #: Spec calls this adapter can deliver; other calls are recorded as skipped.
    supported_calls: ClassVar[frozenset[str]]
    #: The settings model; its JSON Schema is the settings form.
    settings_model: ClassVar[builtins.type[BaseModel]]  # builtins: `type` is shadowed above

    @abstractmethod
    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        """Deliver `messages` (all of supported call types) and return one `Result` each.

        Must not raise for anything the destination or the network does: those become
        outcomes. Raising means a bug, and the caller retries the whole batch.
        """
