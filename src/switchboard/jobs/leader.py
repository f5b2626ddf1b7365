"""One scheduler among many workers: whoever holds a short Redis lease ticks."""

from __future__ import annotations

import contextlib
import uuid

import redis

#: The lease outlives a few scheduler ticks, so a live leader keeps it; a dead one's
#: lease lapses and another worker takes over within this many milliseconds.
LEASE_MS = 5000


class RedisLeader:
    def __init__(
        self, connection: redis.Redis, key: str = "switchboard:scheduler", tick: float = 1.0
    ) -> None:
        self._redis = connection
        self._key = key
        self._lease_ms = max(LEASE_MS, int(tick * 3000))
        self._me = uuid.uuid4().hex.encode()
        self._release = connection.register_script(_RELEASE)

    def __call__(self) -> bool:
        """True while this process holds the lease (taking or renewing it as needed)."""
        try:
            if self._redis.set(self._key, self._me, nx=True, px=self._lease_ms):
                return True
            if self._redis.get(self._key) == self._me:
                self._redis.pexpire(self._key, self._lease_ms)
                return True
        except redis.RedisError:
            return False
        return False

    def release(self) -> None:
        """Give the lease up (a worker stopping), so another worker takes over at once."""
        # On failure the lease lapses on its own within its time.
        with contextlib.suppress(redis.RedisError):
            self._release(keys=[self._key], args=[self._me])


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
