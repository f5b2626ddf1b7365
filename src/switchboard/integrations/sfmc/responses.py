"""Marketing Cloud's answers as outcomes: `http.describe`, plus what its bodies say.

delivered   2xx, unless the body reports `operationStatus: "FAIL"`
temporary   timeouts, connection errors; and a 400 with errorcode 10006 "Unable to save rows
            for data extension" without details (Marketing Cloud reports transient trouble
            saving rows this way)
http        every other status, for the retry policy (408, 423, 429, 5xx but 501 retry, after
            `Retry-After` or the body's `retryAfter`; 400 and the rest fail); 401 here is after
            one token refresh
permanent   rejected    a 2xx whose body reports `operationStatus: "FAIL"`
            auth_failed the token endpoint refused the client id, secret or account id (`auth`)

The reason of an error answer quotes Marketing Cloud's error JSON
(`{"message", "errorcode", "documentation", "additionalErrors"}`) when the body is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import httpx
import orjson

from switchboard.integrations.base import Outcome, OutcomeKind
from switchboard.integrations.http import Sent, body_excerpt, describe, status_line

#: Marketing Cloud's aggregate error; its rows-not-saved variant without details is transient.
AGGREGATE_ERROR: Final = 10006
TRANSIENT_ROWS_MESSAGE: Final = "Unable to save rows for data extension"

_HINTS: Final = {
    401: "the token was refused even after a refresh; check the API integration's business "
    "unit and account id",
    403: "check the installed package's permissions: Journeys and Data Extensions need "
    "read and write",
}


def outcome_of(sent: Sent, secrets: Sequence[str]) -> Outcome:
    """The outcome of one request to the REST API."""
    response = sent.response
    outcome = describe(response, sent.failure, secrets=secrets)
    if response is None:
        return outcome
    answer = _json(response)
    status = response.status_code
    if outcome.kind is OutcomeKind.DELIVERED:
        refusal = _failed_operation(answer)
        if refusal is None:
            return outcome
        detail = body_excerpt(refusal.encode(), secrets)
        return Outcome.permanent(f"Marketing Cloud reported a failure: {detail}", "rejected")
    error = _error_detail(answer)
    reason = outcome.reason
    if error is not None:
        reason = f"{status_line(status)}: {body_excerpt(error.encode(), secrets)}"
    if status in _HINTS:
        reason = f"{reason} ({_HINTS[status]})"
    if _is_transient_rows_error(status, answer):
        return Outcome.temporary(reason, outcome.code)
    retry_after = outcome.retry_after
    if retry_after is None and isinstance(answer, dict):
        retry_after = _seconds(answer.get("retryAfter"))
    return Outcome.http(status, reason, retry_after)


def _json(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _failed_operation(answer: Any) -> str | None:
    """`operationStatus: "FAIL"` and its `resultMessages`, as contacts and other APIs answer
    with HTTP 200; None for any other body (the status is then the answer)."""
    if not isinstance(answer, dict):
        return None
    status = answer.get("operationStatus")
    if not isinstance(status, str) or status.upper() not in ("FAIL", "FAILED", "ERROR"):
        return None
    messages = answer.get("resultMessages")
    if isinstance(messages, list) and messages:
        return "; ".join(_message_text(item) for item in messages)
    return f"operationStatus {status}"


def _message_text(item: object) -> str:
    if isinstance(item, dict):
        text = item.get("message") or item.get("resultMessage") or item
        code = item.get("resultCode") or item.get("errorcode")
        return f"{text} ({code})" if code else str(text)
    return str(item)


def _error_detail(answer: Any) -> str | None:
    """ "message (errorcode N)", then any `additionalErrors`; None for another body."""
    if not isinstance(answer, dict) or not isinstance(answer.get("message"), str):
        return None
    detail = answer["message"]
    code = answer.get("errorcode")
    if isinstance(code, int) and not isinstance(code, bool):
        detail += f" (errorcode {code})"
    extra = answer.get("additionalErrors")
    if isinstance(extra, list) and extra:
        detail += ": " + "; ".join(_message_text(item) for item in extra)
    return str(detail)


def _is_transient_rows_error(status: int, answer: Any) -> bool:
    return (
        status == 400
        and isinstance(answer, dict)
        and answer.get("errorcode") == AGGREGATE_ERROR
        and TRANSIENT_ROWS_MESSAGE in str(answer.get("message", ""))
        and not answer.get("additionalErrors")
    )


def _seconds(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
