"""The delivery statuses, and what one attempt at a delivery came to: the one vocabulary.

Routing writes the first status of every delivery, the deliver job the later ones; the
deliveries queries, rollups, the admin API and the dashboard read them. The values are stored
(`deliveries.status`, `attempts.outcome`, `delivery_rollups.status`) and shown in the API, so
they never change. This module imports nothing of ours, so every layer may use it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    """Where one event stands at one destination (`deliveries.status`)."""

    PENDING = "pending"  # waiting for a deliver job
    RETRYING = "retrying"  # failed temporarily; next try at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # permanent failure, or gave up
    SKIPPED = "skipped"  # the event's integrations object turned this destination off
    FILTERED = "filtered"  # a destination filter dropped it
    UNSUPPORTED = "unsupported"  # the adapter does not take this call type


#: Deliveries a deliver job may still send.
OPEN: Final = (Status.PENDING, Status.RETRYING)

#: Every status, in the order the API and the dashboard list them.
ALL: Final = tuple(Status)


class AttemptOutcome(StrEnum):
    """What one try came to, as the retry policy judged it (`attempts.outcome`, the
    `switchboard_deliveries` metric's label, the event tester's `kind`)."""

    DELIVERED = "delivered"
    RETRY = "retry"  # temporary: tried again later, unless the give-up point has passed
    FAILED = "failed"  # permanent: discarded, with the reason
