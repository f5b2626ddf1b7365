"""The kit's closed error taxonomy: what an action may raise, and the outcome each becomes.

An action says what went wrong in the vendor's terms by raising one of these; the kit turns it
into the event's `Outcome`, and the retry policy (`jobs/retry.py`) decides from that outcome
what happens next. Nothing else an action raises is expected: any other exception is a bug,
and the whole batch is kept and tried again later.

    Retryable              temporary: it may pass by itself (a vendor's 5xx in a 200, a queue
                           that drains); `retry_after` when the vendor said how long
    Throttled              temporary, code `throttled` unless given: the vendor asked us to slow
                           down; the rest of the send is not sent
    InvalidAuthentication  permanent, code `invalid_authentication`: the credentials were
                           refused; the destination's issues say "check credentials"
    PayloadInvalid         permanent, code `payload_invalid`: Segment's "Message Rejected";
                           names the field when one is to blame
    EventNotSupported      permanent, code `event_not_supported`: this action cannot take it
    UnexpectedResponse     temporary, code `unexpected_response`: the vendor answered in a way
                           nobody can read (not its JSON, a record count that does not match)
    HTTPFailure            whatever `http.describe` made of an answer or of no answer, raised
                           by `ActionContext.request`

Every class takes an optional `code`, so a vendor keeps its own stable, groupable codes
(`marketo_606`) inside the same taxonomy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from switchboard.integrations.base import Outcome, OutcomeKind


class KitError(Exception):
    """Base of the taxonomy; `outcome` is what the event's delivery records."""

    default_code: ClassVar[str] = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    @property
    def outcome(self) -> Outcome:
        raise NotImplementedError


class Retryable(KitError):
    default_code = "retryable"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after

    @property
    def outcome(self) -> Outcome:
        return Outcome.temporary(self.message, self.code, self.retry_after)


class Throttled(Retryable):
    default_code = "throttled"


class InvalidAuthentication(KitError):
    default_code = "invalid_authentication"
    hint: ClassVar[str] = "check credentials"

    @property
    def outcome(self) -> Outcome:
        message = self.message
        if self.hint not in message:
            message = f"{message} ({self.hint})"
        return Outcome.permanent(message, self.code)


class PayloadInvalid(KitError):
    """Segment's "Message Rejected": this event, as mapped, cannot be sent."""

    default_code = "payload_invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field

    @property
    def outcome(self) -> Outcome:
        message = self.message
        if not message.startswith("Message Rejected"):
            message = f"Message Rejected: {message}"
        return Outcome.permanent(message, self.code)


class EventNotSupported(KitError):
    default_code = "event_not_supported"

    @property
    def outcome(self) -> Outcome:
        return Outcome.permanent(self.message, self.code)


class UnexpectedResponse(KitError):
    default_code = "unexpected_response"

    @property
    def outcome(self) -> Outcome:
        return Outcome.temporary(self.message, self.code)


class HTTPFailure(KitError):
    """A request that got no 2xx: carries the outcome `http.describe` gave it (`http_503`,
    `timeout`, …), which the retry policy judges with the destination's overrides."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reason, code=outcome.code)
        self._outcome = outcome

    @property
    def status(self) -> int | None:
        return self._outcome.status

    @property
    def outcome(self) -> Outcome:
        return self._outcome

    def with_reason(self, reason: str) -> HTTPFailure:
        return HTTPFailure(replace(self._outcome, reason=reason))


def outcome_of(error: KitError) -> Outcome:
    """The outcome an error stands for (a function, for `map`)."""
    return error.outcome


def is_delivered(outcome: Outcome) -> bool:
    return outcome.kind is OutcomeKind.DELIVERED
