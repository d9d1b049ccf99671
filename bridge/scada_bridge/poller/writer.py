"""The writer: the one path from the PLC loops to the event sink.

Keeps event order, batches what the PLC loops queued, runs the blocking sink
(psycopg2, fsync) in a worker thread, resolves a mailbox's future only once its
event is durable, writes ``scada.plc_status``, retries the spool, and rings
Odoo's optional doorbell after events reach the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Literal, overload

from ..events import NewEvent
from ..store.plc_status import PlcStatus
from .doorbell import Doorbell
from .sink import EventSink

_logger = logging.getLogger(__name__)

#: Least time between two doorbell rings (seconds): one Odoo pull per burst.
RING_SPACING = 1.0


class Writer:
    """The only path to the sink: keeps event order, batches, runs blocking I/O off the loop."""

    def __init__(
        self,
        sink: EventSink,
        statuses: Sequence[PlcStatus],
        status_every: float,
        *,
        doorbell: Doorbell | None = None,
    ):
        self.sink = sink
        self.statuses = statuses
        self.status_every = status_every
        #: Optional: asks Odoo to pull right after events reach the database.
        self.doorbell = doorbell
        self._ring_task: asyncio.Task[None] | None = None
        self._ring_wanted = False
        self._queue: asyncio.Queue[tuple[list[NewEvent], asyncio.Future[str] | None]] = (
            asyncio.Queue()
        )
        self._closing = False
        #: Condition events a failed write could not make durable: retried first, in order.
        self._retry: list[NewEvent] = []
        self._failing = False
        #: Rounds of :meth:`run` completed: two more than at some moment means every
        #: event queued before that moment was handled (tests and benchmarks wait on it).
        self.rounds = 0
        #: Events handed to :meth:`submit` so far.
        self.submitted = 0

    @overload
    def submit(self, events: list[NewEvent], *, durable: Literal[True]) -> asyncio.Future[str]: ...
    @overload
    def submit(
        self, events: list[NewEvent], *, durable: bool = False
    ) -> asyncio.Future[str] | None: ...

    def submit(
        self, events: list[NewEvent], *, durable: bool = False
    ) -> asyncio.Future[str] | None:
        """Queue events. With ``durable``, return a future that resolves to 'database'
        or 'spool' once they are durable (a mailbox waits for it before acknowledging)."""
        future = asyncio.get_running_loop().create_future() if durable else None
        self._queue.put_nowait((events, future))
        self.submitted += len(events)
        return future

    async def run(self, stop: asyncio.Event) -> None:
        loop = self._loop = asyncio.get_running_loop()
        next_status = 0.0
        while True:
            try:
                first = await asyncio.wait_for(self._queue.get(), 0.1)
            except asyncio.TimeoutError:
                first = None
            items = [first, *self._drain()] if first is not None else []
            if items or self._retry:
                await self._write(items)
            now = loop.time()
            status_due = now >= next_status or any(s.changed for s in self.statuses)
            if status_due:
                next_status = now + self.status_every
            if status_due or len(self.sink.spool):
                # A waiting spool is retried each round; the sink's backoff keeps it cheap.
                await self._tick(write_status=status_due)
            self.rounds += 1
            if self._closing and self._queue.empty():
                if self._retry:
                    _logger.error(
                        "stopping with %d event(s) neither in the database nor in the spool: "
                        "they are lost (conditions still active are raised again at start)",
                        len(self._retry),
                    )
                return

    def _drain(self) -> list[tuple[list[NewEvent], asyncio.Future[str] | None]]:
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def _write(self, items: list[tuple[list[NewEvent], asyncio.Future[str] | None]]) -> None:
        events = self._retry + [e for batch, _ in items for e in batch]
        try:
            where = await asyncio.to_thread(self.sink.write, events)
        except Exception as exc:  # nothing may stop the writer: every PLC depends on it
            if not self._failing:
                if isinstance(exc, OSError):
                    _logger.error(
                        "cannot make %d event(s) durable: database down and spool %s not "
                        "writable (%s); mailboxes stay unacknowledged, condition events are "
                        "kept in memory and retried in order",
                        len(events),
                        self.sink.spool.path,
                        exc.strerror or exc,
                    )
                else:
                    _logger.exception("cannot make %d event(s) durable", len(events))
            self._failing = True
            # Condition events are kept (a later clear points at their raise); a mailbox
            # record stays in the PLC, which offers it again since its flag stays 0.
            self._retry = self._retry + [e for batch, fut in items if fut is None for e in batch]
            for _, future in items:
                if future is not None and not future.done():
                    future.set_exception(exc)
            return
        if self._failing:
            _logger.info("events are durable again (%s)", where)
        self._failing = False
        self._retry = []
        for _, future in items:
            if future is not None and not future.done():
                future.set_result(where)
        if where == "database":
            self._ring()

    def _ring(self) -> None:
        """Ring Odoo's doorbell in the background: never delays the next write."""
        if self.doorbell is None:
            return
        self._ring_wanted = True
        if self._ring_task is None or self._ring_task.done():
            self._ring_task = asyncio.create_task(self._ring_loop(), name="doorbell")

    async def _ring_loop(self) -> None:
        """Ring until no event was stored since the last ring, at most once per spacing.

        A write during a ring asks for one more: the pull that ring started may
        have read the database before that write committed.
        """
        while self._ring_wanted:
            self._ring_wanted = False
            await asyncio.to_thread(self.doorbell.ring)  # type: ignore[union-attr]
            if self._ring_wanted and not self._closing:
                await asyncio.sleep(RING_SPACING)

    async def _tick(self, *, write_status: bool = True) -> None:
        rows = []
        if write_status:
            for status in self.statuses:
                rows.append(status.snapshot())
                status.changed = False
        await asyncio.to_thread(self._tick_blocking, rows)

    def _tick_blocking(self, rows: list[PlcStatus]) -> None:
        try:
            if self.sink.flush():
                self._ring_from_thread()
            if len(self.sink.spool) == 0:
                self.sink.write_status(rows)
        except OSError as exc:
            _logger.error("cannot read the spool %s: %s", self.sink.spool.path, exc)
        except Exception:  # never let a bug stop the writer
            _logger.exception("writing the spool or the PLC status failed")

    def _ring_from_thread(self) -> None:
        if self.doorbell is not None:
            self._loop.call_soon_threadsafe(self._ring)

    async def close(self, task: asyncio.Task[None]) -> None:
        """Write what is queued, one last flush and status, then stop the task."""
        self._closing = True
        await task
        if self._ring_task is not None:
            await self._ring_task  # bounded by the doorbell's timeout
        await asyncio.to_thread(self._tick_blocking, [s.snapshot() for s in self.statuses])
        if self._ring_task is not None:
            # That last flush may have stored the spool and asked for a ring: let it
            # finish (it was scheduled before this await returned) rather than drop it.
            await self._ring_task
