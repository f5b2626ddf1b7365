"""Marketo's answers read as the kit's errors and outcomes. Marketo says most things with
HTTP 200 and a body:

    {"success": false, "errors": [{"code": "606", "message": "Max rate limit '100' exceeded"}]}
    {"success": true, "result": [{"id": 7, "status": "updated"},
                                 {"status": "skipped", "reasons": [{"code": "1006", ...}]}]}

The first is about the whole call (every event in it shares the outcome): `read_answer`
raises it as a kit error. The second is about each record (one outcome per event):
`record_outcome`. The tables below decide which codes are worth a retry (temporary outcomes)
and which are not (permanent); the outcome code is `marketo_<code>`.

call level  retry    500 502 601 602 604 606 607 608 611 614 615 713 719, and any code not
                     listed (an unknown code may be new and temporary; retries stop after 4 h)
                     (606 607 615 are `Throttled`: the rest of the send is not sent)
            failed   600 603 605 609 610 612 613 616 701-704 709-712 714 718
            601/602 (token invalid, expired) first renew the token and repeat the call once
record      retry    1016 1019 1020 1029 (queues and quotas that drain)
            failed   every other code (1001 type mismatch, 1006 unknown field, ...)
HTTP        `http.describe`, raised as `HTTPFailure`; the retry policy retries 5xx but 501,
            408, 423, 429, timeouts and connection errors, and fails other 4xx
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from switchboard.integrations.base import Outcome
from switchboard.integrations.http import body_excerpt, status_line
from switchboard.integrations.kit.context import Reply
from switchboard.integrations.kit.errors import (
    HTTPFailure,
    KitError,
    Retryable,
    Throttled,
    UnexpectedResponse,
)

#: The token was refused: renew it and repeat the call once (outcome codes).
TOKEN_CODES: Final = frozenset({"marketo_601", "marketo_602"})

#: Call-level codes that will not change by trying again: configuration or a bug of ours.
PERMANENT_CALL_CODES: Final = frozenset(
    {"600", "603", "605", "609", "610", "612", "613", "616"}
    | {"701", "702", "703", "704", "709", "710", "711", "712", "714", "718"}
)

#: Call-level codes that pass; listed so the table is whole (unknown codes retry as well).
RETRYABLE_CALL_CODES: Final = frozenset(
    {"500", "502", "601", "602", "604", "606", "607", "608", "611", "614", "615", "713", "719"}
)

#: Call-level codes of Marketo's own limits (calls per 20 s, per day, in flight).
THROTTLE_CODES: Final = frozenset({"606", "607", "615"})

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


def read_answer(reply: Reply, secrets: list[str]) -> list[Any]:
    """The records of a call Marketo accepted; raises the kit error of any other answer:
    `HTTPFailure` for a status other than 2xx or no answer, `UnexpectedResponse` for a body
    that is not Marketo's envelope, `call_error` for a call Marketo refused."""
    response = reply.response
    if response is None or not reply.ok:
        raise HTTPFailure(reply.outcome)
    body = reply.json()
    if not isinstance(body, dict):
        raise _malformed(response.status_code, response.content, secrets)
    if body.get("success") is not True:
        raise call_error(*first_error(body.get("errors")))
    records = body.get("result")
    return records if isinstance(records, list) else []


def call_error(code: str, message: str) -> KitError:
    """The error of a call Marketo refused with `code` (its `errors[0]`)."""
    hint = _HINTS.get(code)
    reason = f"Marketo error {code}: {message}" if message else f"Marketo error {code}"
    if hint:
        reason = f"{reason} ({hint})"
    outcome_code = f"marketo_{code}"
    if code in PERMANENT_CALL_CODES:
        # The taxonomy's permanent classes each add their own words (Message Rejected, check
        # credentials) to the reason; Marketo's code and hint say it better, so they stay as
        # they are, as a failed call's outcome.
        return HTTPFailure(Outcome.permanent(reason, outcome_code))
    retry_after = CALL_RETRY_AFTER.get(code)
    if code in THROTTLE_CODES:
        return Throttled(reason, code=outcome_code, retry_after=retry_after)
    return Retryable(reason, code=outcome_code, retry_after=retry_after)


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


def _malformed(status: int, content: bytes, secrets: list[str]) -> UnexpectedResponse:
    """A 2xx that is not Marketo's envelope: nobody can say whether it was applied, so the
    call is tried again (Sync Leads is an upsert; a repeated activity is the lesser harm)."""
    excerpt = body_excerpt(content, secrets)
    reason = f"{status_line(status)} with a body that is not Marketo's JSON answer"
    return UnexpectedResponse(
        f"{reason}: {excerpt}" if excerpt else reason, code="invalid_response"
    )
