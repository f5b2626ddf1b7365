"""Marketo's answers as outcomes. Marketo says most things with HTTP 200 and a body:

    {"success": false, "errors": [{"code": "606", "message": "Max rate limit '100' exceeded"}]}
    {"success": true, "result": [{"id": 7, "status": "updated"},
                                 {"status": "skipped", "reasons": [{"code": "1006", ...}]}]}

The first is about the whole call (every event in it shares the outcome); the second about
each record (one outcome per event). The tables below decide which codes are worth a retry
(temporary outcomes) and which are not (permanent); the outcome code is `marketo_<code>`.

call level  retry    500 502 601 602 604 606 607 608 611 614 615 713 719, and any code not
                     listed (an unknown code may be new and temporary; retries stop after 4 h)
            failed   600 603 605 609 610 612 613 616 701-704 709-712 714 718
            601/602 (token invalid, expired) first renew the token and repeat the call once
record      retry    1016 1019 1020 1029 (queues and quotas that drain)
            failed   every other code (1001 type mismatch, 1006 unknown field, ...)
HTTP        `http.describe`; the retry policy retries 5xx but 501, 408, 423, 429, timeouts and
            connection errors, and fails other 4xx
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from switchboard.integrations.base import Outcome, OutcomeKind
from switchboard.integrations.http import Sent, body_excerpt, describe, status_line

#: The token was refused: renew it and repeat the call once.
TOKEN_CODES: Final = frozenset({"601", "602"})

#: Call-level codes that will not change by trying again: configuration or a bug of ours.
PERMANENT_CALL_CODES: Final = frozenset(
    {"600", "603", "605", "609", "610", "612", "613", "616"}
    | {"701", "702", "703", "704", "709", "710", "711", "712", "714", "718"}
)

#: Call-level codes that pass; listed so the table is whole (unknown codes retry as well).
RETRYABLE_CALL_CODES: Final = frozenset(
    {"500", "502", "601", "602", "604", "606", "607", "608", "611", "614", "615", "713", "719"}
)

#: How long Marketo's own limits take to clear (seconds): the 100-per-20 s window, and a
#: moment for calls in flight to finish.
CALL_RETRY_AFTER: Final[dict[str, float]] = {"606": 20.0, "615": 5.0}

#: Record-level codes that pass by themselves; every other record code is permanent.
RETRYABLE_RECORD_CODES: Final = frozenset({"1016", "1019", "1020", "1029"})

#: Record statuses that mean the record was written.
DONE_STATUSES: Final = frozenset({"created", "updated", "added"})

#: Call-level hints worth giving with the reason.
_HINTS: Final[dict[str, str]] = {
    "600": "no access token was sent: check the endpoint has no extra path",
    "603": "the API user's role lacks permission, or its IP is not allowed",
    "606": "over 100 calls in 20 s on this instance",
    "607": "the daily API quota is used up; it resets at midnight US Central",
    "615": "10 calls were already in flight on this instance",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """One call's outcome and, when Marketo accepted the call, its per-record results."""

    outcome: Outcome
    records: list[Any] = field(default_factory=list)
    error_code: str = ""  # the call-level Marketo code, when there was one


def read_answer(sent: Sent, secrets: Sequence[str]) -> Answer:
    """The outcome of one REST call: HTTP first, then Marketo's envelope."""
    response = sent.response
    outcome = describe(response, sent.failure, secrets=secrets)
    if response is None or outcome.kind is not OutcomeKind.DELIVERED:
        return Answer(outcome)
    try:
        body: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return Answer(_malformed(response.status_code, response.content, secrets))
    if body.get("success") is not True:
        code, message = first_error(body.get("errors"))
        return Answer(call_outcome(code, message), error_code=code)
    records = body.get("result")
    return Answer(outcome, records if isinstance(records, list) else [])


def call_outcome(code: str, message: str) -> Outcome:
    """The outcome of a call Marketo refused with `code` (its `errors[0]`)."""
    hint = _HINTS.get(code)
    reason = f"Marketo error {code}: {message}" if message else f"Marketo error {code}"
    if hint:
        reason = f"{reason} ({hint})"
    if code in PERMANENT_CALL_CODES:
        return Outcome.permanent(reason, f"marketo_{code}")
    return Outcome.temporary(reason, f"marketo_{code}", CALL_RETRY_AFTER.get(code))


def record_outcome(record: object) -> Outcome:
    """The outcome of one record of an accepted call: written, or skipped with its reasons.

    The leads API puts skip reasons under `reasons`, the activities API under `errors`."""
    if not isinstance(record, Mapping):
        return Outcome.temporary(
            "Marketo answered with a record that is not an object", "invalid_response"
        )
    status = record.get("status")
    if status in DONE_STATUSES:
        return Outcome.delivered()
    reasons = record.get("reasons") or record.get("errors")
    code, message = first_error(reasons)
    detail = f"{code} {message}".strip() or "no reason given"
    reason = f"Marketo {status or 'did not write'} the record: {detail}"
    outcome_code = f"marketo_{code}" if code else "marketo_skipped"
    if code in RETRYABLE_RECORD_CODES:
        return Outcome.temporary(reason, outcome_code)
    return Outcome.permanent(reason, outcome_code)


def first_error(errors: object) -> tuple[str, str]:
    """(code, message) of the first entry of an `errors` or `reasons` list; codes are strings
    in Marketo's answers but numbers are accepted too."""
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], Mapping):
        return "", ""
    code = errors[0].get("code")
    message = errors[0].get("message")
    return (
        str(code) if isinstance(code, str | int) and not isinstance(code, bool) else "",
        message if isinstance(message, str) else "",
    )


def _malformed(status: int, content: bytes, secrets: Sequence[str]) -> Outcome:
    """A 2xx that is not Marketo's envelope: nobody can say whether it was applied, so the
    call is tried again (Sync Leads is an upsert; a repeated activity is the lesser harm)."""
    excerpt = body_excerpt(content, secrets)
    reason = f"{status_line(status)} with a body that is not Marketo's JSON answer"
    return Outcome.temporary(f"{reason}: {excerpt}" if excerpt else reason, "invalid_response")
