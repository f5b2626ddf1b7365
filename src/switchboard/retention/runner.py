"""Prune on a timer, in the background of a worker (or of `serve` without Redis)."""

from __future__ import annotations

import logging
import threading
import uuid

import redis
from sqlalchemy import Engine

from switchboard.retention.prune import days, prune
from switchboard.settings import Settings

log = logging.getLogger(__name__)

#: Redis key that lets one worker in all prune per interval.
TURN_KEY = "switchboard:prune"


class PrunerThread:
    """Runs `prune` every `prune_interval_seconds` until `stop()`.

    With Redis, the workers take turns: whoever sets the turn key first in an interval prunes,
    the others skip, so adding workers does not add pruning. Each pass gets the interval as
    its time budget; what is left is pruned on the next pass.
    """

    def __init__(
        self, engine: Engine, settings: Settings, connection: redis.Redis | None = None
    ) -> None:
        self._engine = engine
        self._event_age = days(settings.event_retention_days)
        self._attempt_age = days(settings.attempt_retention_days)
        self._interval = settings.prune_interval_seconds
        self._batch = settings.prune_batch_size
        self._redis = connection
        self._me = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="switchboard-pruner", daemon=True)

    @property
    def enabled(self) -> bool:
        return self._event_age is not None or self._attempt_age is not None

    def start(self) -> None:
        if self.enabled:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _my_turn(self) -> bool:
        if self._redis is None:
            return True
        try:
            taken = self._redis.set(TURN_KEY, self._me, nx=True, px=int(self._interval * 1000))
        except redis.RedisError:
            return False
        return bool(taken)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if not self._my_turn():
                continue
            try:
                pruned = prune(
                    self._engine,
                    event_age=self._event_age,
                    attempt_age=self._attempt_age,
                    batch=self._batch,
                    budget_seconds=self._interval,
                    stopping=self._stop,
                )
            except Exception:  # a database hiccup: log, and try again next time
                log.exception("pruning failed")
                continue
            if pruned.events or pruned.attempts or pruned.rejected_events:
                log.info(
                    "pruned %d events, %d rejected events and %d attempts",
                    pruned.events,
                    pruned.rejected_events,
                    pruned.attempts,
                )
