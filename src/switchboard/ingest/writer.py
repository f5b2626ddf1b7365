"""Group commit: many concurrent requests share one INSERT and one COMMIT.

One commit per request caps Postgres at a few thousand rows a second on a small machine;
one `INSERT … ON CONFLICT DO NOTHING` per flush (`events/store.py`) does several times that.
Requests put their rows on a queue and await a future; writer threads take whatever has queued up
(no waiting to fill a batch: the batch is whatever arrived during the previous commit),
insert it in one transaction, commit, and only then resolve the futures. So a request is
answered 200 only after its events are durable.

A flush that fails for a reason other than the connection is retried one request at a
time, so one bad request can never fail the others that shared its flush.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from switchboard.events import store
from switchboard.ingest.rows import EventRow, RejectedRow

log = logging.getLogger(__name__)

#: Called after each commit with the ids of the events it inserted (the route job hook).
CommitHook = Callable[[list[int]], None]
#: Called after each commit with the rows it wrote (the metrics hook: one call per flush).
FlushHook = Callable[[Sequence[EventRow], Sequence[RejectedRow]], None]


class WriterClosed(RuntimeError):
    """The writer is stopped and takes no more rows."""


class IngestWriter(Protocol):
    """What the tracking API needs from a writer: durable, shared commits."""

    commits: int
    requests: int

    async def start(self) -> None: ...

    async def stop(self, timeout: float = 30.0) -> None: ...

    async def write(
        self, events: Sequence[EventRow], rejected: Sequence[RejectedRow] = ()
    ) -> WriteResult: ...


@dataclass(slots=True)
class WriteResult:
    inserted_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    events: Sequence[EventRow]
    rejected: Sequence[RejectedRow]
    future: asyncio.Future[WriteResult]
    loop: asyncio.AbstractEventLoop
    result: WriteResult = field(default_factory=WriteResult)
    error: BaseException | None = None


class GroupCommitWriter:
    """Writes event rows in shared transactions; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        writers: int = 1,
        max_rows_per_commit: int = 2000,
        on_commit: CommitHook | None = None,
        on_flush: FlushHook | None = None,
    ) -> None:
        self._engine = engine
        self._writers = max(1, writers)
        self._max_rows = max_rows_per_commit
        self._on_commit = on_commit
        self._on_flush = on_flush
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()
        self._closed = True
        #: Commits and requests written so far: group commit shows as commits < requests.
        self.commits = 0
        self.requests = 0

    async def start(self) -> None:
        self._closed = False
        for n in range(self._writers):
            thread = threading.Thread(target=self._run, name=f"switchboard-writer-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    async def stop(self, timeout: float = 30.0) -> None:
        """Refuse new rows, write everything already queued, then end the threads."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            await asyncio.to_thread(thread.join, timeout)
        self._threads.clear()

    async def write(
        self, events: Sequence[EventRow], rejected: Sequence[RejectedRow] = ()
    ) -> WriteResult:
        """Return once `events` and `rejected` are committed; raise if they could not be."""
        if self._closed:
            raise WriterClosed("the ingest writer is stopped")
        if not events and not rejected:
            return WriteResult()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[WriteResult] = loop.create_future()
        self._queue.put(_Pending(events, rejected, future, loop))
        return await future

    def _run(self) -> None:
        # Each writer keeps one connection for its life: no pool checkout and no pre-ping
        # round trip per flush. A broken connection is dropped and replaced on next use.
        self._local.conn = None
        try:
            self._serve()
        finally:
            conn = self._local.conn
            if conn is not None:
                conn.close()

    def _connection(self) -> Connection:
        conn: Connection | None = self._local.conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._local.conn = self._engine.connect()
        return conn

    def _serve(self) -> None:
        while True:
            first = self._queue.get()  # blocks: no polling while idle
            if first is None:
                return
            group = [first]
            rows = len(first.events) + len(first.rejected)
            stop = False
            while rows < self._max_rows:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
                rows += len(more.events) + len(more.rejected)
            self._flush(group)
            if stop:
                return

    def _flush(self, group: list[_Pending]) -> None:
        try:
            self._commit(group)
        except DBAPIError as exc:
            if len(group) == 1 or exc.connection_invalidated:
                for pending in group:
                    pending.error = exc
            else:
                # Find the request that broke the shared flush; the others still land.
                log.warning("group flush failed (%s); retrying request by request", exc.orig)
                for pending in group:
                    try:
                        self._commit([pending])
                    except Exception as single_exc:
                        pending.error = single_exc
        except Exception as exc:
            log.exception("ingest writer failed")
            for pending in group:
                pending.error = exc
        self._resolve(group)

    def _commit(self, group: list[_Pending]) -> None:
        events = [row for pending in group for row in pending.events]
        rejected = [row for pending in group for row in pending.rejected]
        conn = self._connection()
        with conn.begin():
            ids = store.insert_events(conn, events)
            store.insert_rejected(conn, rejected)
        self.commits += 1
        self.requests += len(group)
        if self._on_flush is not None:
            report_flush(self._on_flush, events, rejected)
        # Ids are not attributed per request (duplicates are skipped); the whole flush's
        # ids go to the hook, and each request learns only that its rows are durable.
        if len(group) == 1:
            group[0].result.inserted_ids = ids
        if self._on_commit is not None and ids:
            try:
                self._on_commit(ids)
            except Exception:  # the events are committed; the scheduler will route them
                log.exception("post-commit hook failed")

    @staticmethod
    def _resolve(group: list[_Pending]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending in group:
            by_loop.setdefault(pending.loop, []).append(pending)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # that loop has closed; nobody is waiting any more
                log.warning("dropped the answer to %d requests: their loop closed", len(items))


def report_flush(
    hook: FlushHook, events: Sequence[EventRow], rejected: Sequence[RejectedRow]
) -> None:
    """Tell `hook` about a committed flush; its failure never fails the committed rows."""
    try:
        hook(events, rejected)
    except Exception:
        log.exception("flush hook failed")


def _settle(items: list[_Pending]) -> None:
    for pending in items:
        if pending.future.done():  # the request was cancelled (client went away)
            continue
        if pending.error is not None:
            pending.future.set_exception(pending.error)
        else:
            pending.future.set_result(pending.result)
