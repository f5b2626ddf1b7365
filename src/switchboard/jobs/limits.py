"""Per-destination concurrency caps and rate limits, across processes when Redis is there.

- A concurrency slot is a member of a Redis sorted set scored by its expiry, so a worker
  killed mid-send frees its slot when the score passes instead of holding it forever.
- The rate limit counts each send from the moment it is reserved until one second after it
  finished (a sorted set of reservations scored by expiry, with their event counts), so the
  sends that start within any one second never add up to more than the rate. A counter per
  clock second let two full seconds meet at the boundary: up to twice the rate within
  milliseconds (seen by a test's sink).
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


# KEYS: reservations (zset token -> expiry), their counts (hash token -> events).
# ARGV: now, rate, count, expiry, token, key ttl ms. Returns "ok", or the seconds until the
# oldest reservation expires.
_RESERVE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  redis.call('HDEL', KEYS[2], unpack(expired))
end
local used = 0
for _, n in ipairs(redis.call('HVALS', KEYS[2])) do used = used + tonumber(n) end
if used == 0 or used + tonumber(ARGV[3]) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[5])
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  return 'ok'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) - tonumber(ARGV[1]))
"""


#: How long a finished send still counts against its destination's rate (seconds).
_RATE_WINDOW = 1.0


class Limiter(Protocol):
    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        """A slot token, or None when `cap` sends are already running."""

    def release_slot(self, destination_id: int | str, token: str) -> None: ...

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None: ...

    def reserve(
        self, destination_id: int | str, rate: float, count: int, ttl: float
    ) -> tuple[str | None, float]:
        """Reserve `count` sends under `rate`/s: (token, 0), or (None, seconds to wait).

        The reservation counts until `settle` (or, if its holder dies, `ttl` seconds)."""

    def settle(self, destination_id: int | str, token: str) -> None:
        """The reserved sends are done: count them for one more second, then forget them."""


class RedisLimiter:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._acquire = connection.register_script(_ACQUIRE)
        self._reserve = connection.register_script(_RESERVE)

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

    def reserve(
        self, destination_id: int | str, rate: float, count: int, ttl: float
    ) -> tuple[str | None, float]:
        token = uuid.uuid4().hex
        now = time.time()
        keys = [f"switchboard:rate:{destination_id}", f"switchboard:rate:{destination_id}:n"]
        args: list[float | int | str] = [now, rate, count, now + ttl, token, int(ttl * 1000) + 2000]
        answer = self._reserve(keys=keys, args=args)
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        if text == "ok":
            return token, 0.0
        return None, max(0.01, float(text))

    def settle(self, destination_id: int | str, token: str) -> None:
        key = f"switchboard:rate:{destination_id}"
        self._redis.zadd(key, {token: time.time() + _RATE_WINDOW}, xx=True)


class LocalLimiter:
    """The same limits inside one process (the embedded mode has one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[int | str, dict[str, float]] = defaultdict(dict)
        self._reservations: dict[int | str, dict[str, tuple[float, int]]] = defaultdict(dict)

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

    def reserve(
        self, destination_id: int | str, rate: float, count: int, ttl: float
    ) -> tuple[str | None, float]:
        now = time.monotonic()
        with self._lock:
            held = self._reservations[destination_id]
            for token, (expiry, _) in list(held.items()):
                if expiry <= now:
                    del held[token]
            if not held or sum(n for _, n in held.values()) + count <= rate:
                token = uuid.uuid4().hex
                held[token] = (now + ttl, count)
                return token, 0.0
            return None, max(0.01, min(expiry for expiry, _ in held.values()) - now)

    def settle(self, destination_id: int | str, token: str) -> None:
        with self._lock:
            held = self._reservations[destination_id]
            if token in held:
                held[token] = (time.monotonic() + _RATE_WINDOW, held[token][1])
