"""Group commit on Postgres, inside the event loop (psycopg's async connection).

Same contract as the threaded writer in `writer.py`, without threads: the server's event loop
sends the shared INSERT and, while Postgres works, keeps serving requests. Threads would
contend with the loop for the GIL on every round trip, and each answer would need a
cross-thread wake-up; measured, the loop-native writer gives lower tail latency
(docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import psycopg
from sqlalchemy import URL

from switchboard.events import store
from switchboard.ingest.rows import EventRow, RejectedRow
from switchboard.ingest.writer import (
    CommitHook,
    FlushHook,
    WriterClosed,
    WriteResult,
    report_flush,
)

log = logging.getLogger(__name__)


class _Pending:
    __slots__ = ("events", "future", "rejected")

    def __init__(
        self,
        events: Sequence[EventRow],
        rejected: Sequence[RejectedRow],
        future: asyncio.Future[WriteResult],
    ) -> None:
        self.events = events
        self.rejected = rejected
        self.future = future


def conninfo(url: URL) -> str:
    """A libpq connection string from a SQLAlchemy URL (driver name dropped)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class AsyncPostgresWriter:
    """Writes event rows in shared transactions on `writers` long-lived connections."""

    def __init__(
        self,
        dsn: str,
        *,
        writers: int = 2,
        max_rows_per_commit: int = 2000,
        on_commit: CommitHook | None = None,
        on_flush: FlushHook | None = None,
    ) -> None:
        self._dsn = dsn
        self._writers = max(1, writers)
        self._max_rows = max_rows_per_commit
        self._on_commit = on_commit
        self._on_flush = on_flush
        self._queue: asyncio.Queue[_Pending | None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = True
        #: Commits and requests written so far: group commit shows as commits < requests.
        self.commits = 0
        self.requests = 0

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        # Connect now, so a wrong URL fails the start instead of the first request.
        connections = [
            await psycopg.AsyncConnection.connect(self._dsn) for _ in range(self._writers)
        ]
        self._tasks = [
            asyncio.create_task(self._run(conn), name=f"switchboard-writer-{n}")
            for n, conn in enumerate(connections)
        ]
        self._closed = False

    async def stop(self, timeout: float = 30.0) -> None:
        """Refuse new rows, write everything already queued, then close the connections."""
        self._closed = True
        if self._queue is None:
            return
        for _ in self._tasks:
            self._queue.put_nowait(None)
        await asyncio.wait(self._tasks, timeout=timeout)
        self._tasks.clear()

    async def write(
        self, events: Sequence[EventRow], rejected: Sequence[RejectedRow] = ()
    ) -> WriteResult:
        """Return once `events` and `rejected` are committed; raise if they could not be."""
        if self._closed or self._queue is None:
            raise WriterClosed("the ingest writer is stopped")
        if not events and not rejected:
            return WriteResult()
        future: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(events, rejected, future))
        return await future

    async def _run(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        assert self._queue is not None
        queue = self._queue
        try:
            while True:
                first = await queue.get()  # no polling while idle
                if first is None:
                    return
                group = [first]
                rows = len(first.events) + len(first.rejected)
                stop = False
                while rows < self._max_rows and not queue.empty():
                    more = queue.get_nowait()
                    if more is None:
                        stop = True
                        break
                    group.append(more)
                    rows += len(more.events) + len(more.rejected)
                conn = await self._flush(conn, group)
                if stop:
                    return
        finally:
            await conn.close()

    async def _flush(
        self, conn: psycopg.AsyncConnection[tuple[object, ...]], group: list[_Pending]
    ) -> psycopg.AsyncConnection[tuple[object, ...]]:
        """Commit the group (or, if it fails, each request alone); return a usable connection."""
        try:
            if conn.closed or conn.broken:
                conn = await psycopg.AsyncConnection.connect(self._dsn)
            ids = await self._commit(conn, group)
        except psycopg.OperationalError as exc:  # the connection or server is gone
            log.warning("ingest writer lost its connection: %s", exc)
            _fail(group, exc)
            return conn
        except psycopg.Error as exc:
            if len(group) == 1:
                _fail(group, exc)
                return conn
            # Find the request that broke the shared flush; the others still land.
            log.warning("group flush failed (%s); retrying request by request", exc)
            for pending in group:
                try:
                    await self._commit(conn, [pending])
                    _succeed([pending], WriteResult())
                except psycopg.Error as single:
                    _fail([pending], single)
            return conn
        _succeed(group, WriteResult(inserted_ids=ids) if len(group) == 1 else WriteResult())
        return conn

    async def _commit(
        self, conn: psycopg.AsyncConnection[tuple[object, ...]], group: list[_Pending]
    ) -> list[int]:
        events = [row for pending in group for row in pending.events]
        rejected = [row for pending in group for row in pending.rejected]
        async with conn.transaction(), conn.cursor() as cursor:
            ids = await store.insert_events_async(cursor, events)
            await store.insert_rejected_async(cursor, rejected)
        self.commits += 1
        self.requests += len(group)
        if self._on_flush is not None:
            report_flush(self._on_flush, events, rejected)
        if self._on_commit is not None and ids:
            try:
                self._on_commit(ids)
            except Exception:  # the events are committed; the scheduler will route them
                log.exception("post-commit hook failed")
        return ids


def _succeed(group: list[_Pending], result: WriteResult) -> None:
    for pending in group:
        if not pending.future.done():  # done: the request was cancelled (client went away)
            pending.future.set_result(result)


def _fail(group: list[_Pending], error: BaseException) -> None:
    for pending in group:
        if not pending.future.done():
            pending.future.set_exception(error)
