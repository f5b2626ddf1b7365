"""Timing constants of the operational endpoints, with their unit and reason."""

from __future__ import annotations

from typing import Final

#: How long /readyz waits for the database or Redis to answer (seconds). A load balancer's
#: probe usually times out after a few seconds; answering 503 before that names the cause.
READY_TIMEOUT_SECONDS: Final = 2.0
#: Shared-state gauges (queue depth, oldest pending work) are read at most this often
#: (seconds), however many scrapers ask: each read is a few indexed queries.
STATE_CACHE_SECONDS: Final = 2.0
