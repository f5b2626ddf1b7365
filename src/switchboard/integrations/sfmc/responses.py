"""Marketing Cloud's answers, read: `http.describe`, plus what its bodies say, as kit errors.

delivered   2xx, unless the body reports `operationStatus: "FAIL"`
temporary   timeouts, connection errors; and a 400 with errorcode 10006 "Unable to save rows
            for data extension" without details (Marketing Cloud reports transient trouble
            saving rows this way): `Retryable`, code `http_400`
http        every other status, for the retry policy (408, 423, 429, 5xx but 501 retry, after
            `Retry-After` or the body's `retryAfter`; 400 and the rest fail); 401 here is after
            one token refresh: `HTTPFailure`, code `http_<status>`
permanent   a 2xx whose body reports `operationStatus: "FAIL"`: `PayloadInvalid`, code
            `rejected`, quoting its `resultMessages`

The reason of an error answer quotes Marketing Cloud's error JSON
(`{"message", "errorcode", "documentation", "additionalErrors"}`) when the body is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from switchboard.integrations.base import Outcome
from switchboard.integrations.http import body_excerpt, status_line
from switchboard.integrations.kit.context import Reply
from switchboard.integrations.kit.errors import HTTPFailure, PayloadInvalid, Retryable

#: Marketing Cloud's aggregate error; its rows-not-saved variant without details is transient.
AGGREGATE_ERROR: Final = 10006
TRANSIENT_ROWS_MESSAGE: Final = "Unable to save rows for data extension"

_HINTS: Final = {
    401: "the token was refused even after a refresh; check the API integration's business "
    "unit and account id",
    403: "check the installed package's permissions: Journeys and Data Extensions need "
    "read and write",
}


def check(reply: Reply, secrets: Sequence[str]) -> None:
    """Return when Marketing Cloud took the request; raise the kit error its answer means."""
    response = reply.response
    if response is None:
        raise HTTPFailure(reply.outcome)
    answer = reply.json()
    if reply.ok:
        refusal = _failed_operation(answer)
        if refusal is None:
            return
        detail = body_excerpt(refusal.encode(), secrets)
        raise PayloadInvalid(f"Marketing Cloud reported a failure: {detail}", code="rejected")
    status = response.status_code
    error = _error_detail(answer)
    reason = reply.outcome.reason
    if error is not None:
        reason = f"{status_line(status)}: {body_excerpt(error.encode(), secrets)}"
    if status in _HINTS:
        reason = f"{reason} ({_HINTS[status]})"
    if _is_transient_rows_error(status, answer):
        raise Retryable(reason, code=reply.outcome.code)
    retry_after = reply.outcome.retry_after
    if retry_after is None and isinstance(answer, dict):
        retry_after = _seconds(answer.get("retryAfter"))
    raise HTTPFailure(Outcome.http(status, reason, retry_after))


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
