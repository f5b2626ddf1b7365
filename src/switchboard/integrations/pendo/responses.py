"""Pendo's answers as outcomes: `http.describe`, plus what Pendo says beyond the status.

delivered   2xx (for metadata, unless the body counts failed records)
temporary   409 (Pendo: an operation on the same records is in progress), timeouts,
            connection errors
http        every other status, for the retry policy (408, 423, 429, 5xx but 501 retry;
            400, 401, 403, 404, 422 fail); 401 and 403 name the credential to check
permanent   rejected   a metadata answer of 200 that reports failed records
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

import httpx
import orjson

from switchboard.integrations.base import Outcome, OutcomeKind
from switchboard.integrations.http import (
    Sent,
    body_excerpt,
    describe,
    parse_retry_after,
    status_line,
)
from switchboard.integrations.pendo.mapping import Credential

#: Pendo answers 409 while another write to the same records is under way: it passes.
CONFLICT: Final = 409

#: What to check when Pendo refuses the credential.
_CREDENTIAL_HINTS: Final[dict[Credential, str]] = {
    "integration_key": "check the integration key and that it has write access",
    "track_event_secret": "check the Track Event Shared Secret (it is not the integration key)",
}


def outcome_of(sent: Sent, credential: Credential, secrets: Sequence[str]) -> Outcome:
    """The outcome of one request to Pendo."""
    response = sent.response
    if response is not None and response.status_code == CONFLICT:
        reason = _with_excerpt(status_line(CONFLICT), response, secrets)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return Outcome.temporary(reason, f"http_{CONFLICT}", retry_after)
    outcome = describe(response, sent.failure, secrets=secrets)
    if response is None:
        return outcome
    if outcome.kind is OutcomeKind.HTTP and response.status_code in (401, 403):
        return replace(outcome, reason=f"{outcome.reason} ({_CREDENTIAL_HINTS[credential]})")
    if outcome.kind is OutcomeKind.DELIVERED and credential == "integration_key":
        refusal = _metadata_refusal(response, secrets)
        if refusal is not None:
            return Outcome.permanent(f"Pendo did not update the record: {refusal}", "rejected")
    return outcome


def _metadata_refusal(response: httpx.Response, secrets: Sequence[str]) -> str | None:
    """The bulk metadata API answers 200 with counts (`total`, `updated`, `failed`) and
    `errors`; a record it could not write shows there, not in the status. A body that is not
    such an answer is taken as success: the status is what Pendo documents."""
    try:
        answer: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(answer, dict):
        return None
    failed = answer.get("failed")
    if not isinstance(failed, int) or isinstance(failed, bool) or failed <= 0:
        return None
    errors = answer.get("errors")
    if isinstance(errors, list) and errors:
        detail = "; ".join(str(error) for error in errors)
    else:
        detail = f"{failed} failed"
    return body_excerpt(detail.encode(), secrets) or f"{failed} failed"


def _with_excerpt(reason: str, response: httpx.Response, secrets: Sequence[str]) -> str:
    excerpt = body_excerpt(response.content, secrets)
    return f"{reason}: {excerpt}" if excerpt else reason
