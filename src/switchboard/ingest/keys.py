"""Write key → source, with a short per-process cache.

The hot path must not query the database per request, so lookups (hits and misses) are
cached for `ttl` seconds; that is also how long a deleted source or an expired key keeps
working on a process that had just seen it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine, select

from switchboard.sources.models import Source, WriteKey


@dataclass(frozen=True, slots=True)
class KeyInfo:
    source_id: int
    enabled: bool
    expires_at: datetime | None
    rate_limit: float | None = None  # events per second, per process (ingest/rate.py)

    def usable(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


#: No stored key is longer (the column is String(100)); longer ones are refused unlooked-up,
#: which also keeps the miss cache small under a flood of huge random keys.
MAX_KEY_LENGTH: Final = 100


class WriteKeyResolver:
    def __init__(self, engine: Engine, ttl: float = 5.0, max_entries: int = 100_000) -> None:
        self._engine = engine
        self._ttl = ttl
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, KeyInfo | None]] = {}

    def _lookup(self, key: str) -> KeyInfo | None:
        statement = (
            select(
                WriteKey.source_id,
                Source.enabled,
                WriteKey.expires_at,
                Source.rate_limit_per_second,
            )
            .join(Source, Source.id == WriteKey.source_id)
            .where(WriteKey.key == key)
        )
        with self._engine.connect() as conn:
            row = conn.execute(statement).first()
        if row is None:
            return None
        expires_at = row.expires_at
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return KeyInfo(row.source_id, bool(row.enabled), expires_at, row.rate_limit_per_second)

    async def resolve(self, key: str) -> KeyInfo | None:
        """The source behind `key` if the key exists and has not expired, else None."""
        if len(key) > MAX_KEY_LENGTH or "\x00" in key:
            return None  # cannot exist, and Postgres refuses NUL in a query parameter
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            info = cached[1]
        else:
            info = await asyncio.to_thread(self._lookup, key)
            if len(self._cache) >= self._max_entries:
                self._cache.clear()  # bounded memory against random-key floods
            self._cache[key] = (now + self._ttl, info)
        if info is None or not info.usable(datetime.now(UTC)):
            return None
        return info

    def forget(self) -> None:
        self._cache.clear()
