"""Per-destination concurrency caps and rate limits, across processes when Redis is there.

- A concurrency slot is a member of a Redis sorted set scored by its expiry, so a worker
  killed mid-send frees its slot when the score passes instead of holding it forever.
- The rate limit is a one-second window counter (INCRBY + EXPIRE): simple, shared by every
  worker, and exact enough for vendor limits stated per second.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from typing import Protocol

import redis

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class Limiter(Protocol):
    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        """A slot token, or None when `cap` sends are already running."""

    def release_slot(self, destination_id: int | str, token: str) -> None: ...

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None: ...

    def take(self, destination_id: int | str, rate: float, count: int) -> float:
        """Reserve `count` sends; return 0, or the seconds to wait when over `rate`/s."""


class RedisLimiter:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._acquire = connection.register_script(_ACQUIRE)

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        now = time.time()
        key = f"switchboard:slots:{destination_id}"
        got = self._acquire(keys=[key], args=[now, cap, now + ttl, token, int(ttl * 1000) + 1000])
        return token if got == 1 else None

    def release_slot(self, destination_id: int | str, token: str) -> None:
        self._redis.zrem(f"switchboard:slots:{destination_id}", token)

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None:
        key = f"switchboard:slots:{destination_id}"
        self._redis.zadd(key, {token: time.time() + ttl}, xx=True)
        self._redis.pexpire(key, int(ttl * 1000) + 1000)

    def take(self, destination_id: int | str, rate: float, count: int) -> float:
        now = time.time()
        window = int(now)
        key = f"switchboard:rate:{destination_id}:{window}"
        pipe = self._redis.pipeline()
        pipe.incrby(key, count)
        pipe.expire(key, 2)
        used = int(pipe.execute()[0])
        if used <= rate:
            return 0.0
        # Over the limit: give the reservation back and wait for the next window.
        self._redis.decrby(key, count)
        return max(0.01, window + 1 - now)


class LocalLimiter:
    """The same limits inside one process (the embedded mode has one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[int | str, dict[str, float]] = defaultdict(dict)
        self._windows: dict[int | str, tuple[int, int]] = {}

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        now = time.monotonic()
        with self._lock:
            slots = self._slots[destination_id]
            for token, expiry in list(slots.items()):
                if expiry <= now:
                    del slots[token]
            if len(slots) >= cap:
                return None
            token = uuid.uuid4().hex
            slots[token] = now + ttl
            return token

    def release_slot(self, destination_id: int | str, token: str) -> None:
        with self._lock:
            self._slots[destination_id].pop(token, None)

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None:
        with self._lock:
            if token in self._slots[destination_id]:
                self._slots[destination_id][token] = time.monotonic() + ttl

    def take(self, destination_id: int | str, rate: float, count: int) -> float:
        now = time.time()
        window = int(now)
        with self._lock:
            start, used = self._windows.get(destination_id, (window, 0))
            if start != window:
                used = 0
            if used + count <= rate:
                self._windows[destination_id] = (window, used + count)
                return 0.0
            self._windows[destination_id] = (window, used)
            return max(0.01, window + 1 - now)
