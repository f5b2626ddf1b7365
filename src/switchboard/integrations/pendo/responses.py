"""Pendo's answers, read beyond the status, as the kit's errors.

2xx           delivered, unless a metadata answer counts failed records:
              PayloadInvalid, code `rejected`
409           Retryable, code `http_409`: Pendo says an operation on the same records is
              in progress, so it passes whatever the destination's retry policy says
401, 403      HTTPFailure naming the credential to check
anything else HTTPFailure as `http.describe` made it (the retry policy judges 408, 429,
              5xx, 400 ...), as do timeouts, refused connections and a full budget
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import httpx
import orjson

from switchboard.integrations.base import OutcomeKind
from switchboard.integrations.http import body_excerpt, parse_retry_after, status_line
from switchboard.integrations.kit.context import Reply
from switchboard.integrations.kit.errors import HTTPFailure, PayloadInvalid, Retryable

#: Which secret authenticates a request: the integration key (metadata API) or the Track
#: Event Shared Secret (Track Events API).
Credential = Literal["integration_key", "track_event_secret"]

#: Pendo answers 409 while another write to the same records is under way: it passes.
CONFLICT: Final = 409

#: What to check when Pendo refuses the credential.
_CREDENTIAL_HINTS: Final[dict[Credential, str]] = {
    "integration_key": "check the integration key and that it has write access",
    "track_event_secret": "check the Track Event Shared Secret (it is not the integration key)",
}


def check_answer(reply: Reply, credential: Credential, secrets: Sequence[str]) -> None:
    """Returns when Pendo took the request `reply` answers; raises the kit's error otherwise
    (see the module's docstring). `secrets` are kept out of the reasons."""
    response = reply.response
    if response is not None and response.status_code == CONFLICT:
        reason = _with_excerpt(status_line(CONFLICT), response, secrets)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise Retryable(reason, code=f"http_{CONFLICT}", retry_after=retry_after)
    if not reply.ok:
        failure = HTTPFailure(reply.outcome)
        if reply.outcome.kind is OutcomeKind.HTTP and reply.status in (401, 403):
            raise failure.with_reason(f"{failure.message} ({_CREDENTIAL_HINTS[credential]})")
        raise failure
    if response is not None and credential == "integration_key":
        refusal = _metadata_refusal(response, secrets)
        if refusal is not None:
            raise PayloadInvalid(f"Pendo did not update the record: {refusal}", code="rejected")


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
