"""Delivery errors in words a marketer can act on: a title and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.deliveries.status import Status


@dataclass(frozen=True, slots=True)
class IssueText:
    title: str
    advice: str


RETRIED = "Switchboard retries these automatically with growing pauses."


def describe_issue(code: str | None, status: str) -> IssueText:
    """A plain-language title and advice for an error code (`http_503`, `timeout`, ...)."""
    code = code or ""
    will_retry = status == Status.RETRYING
    if code.startswith("http_") and code[5:].isdigit():
        http = int(code[5:])
        if http == 429:
            return IssueText(
                "The destination asked us to slow down (HTTP 429)",
                f"It received more requests than it allows. {RETRIED}",
            )
        if http in (401, 403):
            return IssueText(
                f"The destination refused our credentials (HTTP {http})",
                "Check the API key, secret or header in this destination's Settings.",
            )
        if http == 404:
            return IssueText(
                "The destination address was not found (HTTP 404)",
                "Check the URL in this destination's Settings.",
            )
        if http >= 500:
            return IssueText(
                f"The destination had a server error (HTTP {http})",
                RETRIED + " If it lasts, check the destination's status."
                if will_retry
                else "The destination kept failing until Switchboard gave up. "
                "Replay these once it works again.",
            )
        return IssueText(
            f"The destination rejected the event (HTTP {http})",
            "Compare what was sent with what the destination expects, then try a fix in the "
            "Event tester.",
        )
    known = {
        "timeout": IssueText(
            "The destination did not answer in time",
            f"{RETRIED} If it keeps happening, raise the timeout in Settings.",
        ),
        "connection_error": IssueText(
            "Could not connect to the destination",
            "Check the address in Settings and that the destination is up. " + RETRIED,
        ),
        "rate_limited": IssueText("The destination's rate limit was reached", RETRIED),
        "concurrency_limited": IssueText("Too many requests at once for the destination", RETRIED),
        "auth_failed": IssueText(
            "Logging in to the destination failed",
            "Check the client id and secret in this destination's Settings.",
        ),
        "missing_credential": IssueText(
            "A required credential is missing",
            "Add it in this destination's Settings, then replay the failed events.",
        ),
        "rejected": IssueText(
            "The destination did not accept the event",
            "The destination's answer below says why. Fix the event or the mapping, then replay.",
        ),
        "invalid_json": IssueText(
            "The event could not be turned into JSON",
            "A property holds a value JSON cannot carry.",
        ),
    }
    if code in known:
        return known[code]
    title = code.replace("_", " ").capitalize() if code else "Unknown error"
    return IssueText(title, RETRIED if will_retry else "")
