"""One PLC's poll loop: its driver (Modbus or FINS), its status, its conditions and its mailbox."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ..config import Condition, Plc
from ..errors import PlcError
from ..events import CLEARED, RAISED, NewEvent
from ..plc.connect import driver_for
from ..plc.driver import Driver
from ..plc.planning import Read, Snapshot, plan_reads
from ..plc.registers import BadBcd
from ..store.plc_status import ERROR, PlcStatus
from .conditions import Check, Edge, plan_checks
from .mailbox import MailboxWatch
from .sink import Key
from .sleep import sleep as _sleep
from .writer import Writer

_logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class PlcDown(Exception):
    """This poll failed; ``state`` is 'unreachable' or 'error'."""

    def __init__(self, state: str, message: str) -> None:
        super().__init__(message)
        self.state = state


class PlcLoop:
    """Polls one PLC forever; owns its driver, its status and its conditions' state."""

    def __init__(
        self,
        plc: Plc,
        writer: Writer,
        status: PlcStatus,
        active: dict[Key, str],
        *,
        backoff_initial: float,
        backoff_max: float,
        state_dir: Path | None = None,
    ) -> None:
        self.plc = plc
        self.writer = writer
        self.status = status
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.active: dict[tuple[str, str], str] = {
            (e, f): uid for (d, e, f), uid in active.items() if d == plc.name
        }
        self.edges = {c.key: Edge() for c in plc.conditions}
        self.driver: Driver = driver_for(plc)
        self.reads = plan_reads(
            self._spans(),
            max_gap=plc.max_gap,
            max_words=self.driver.max_words,
            max_bits=self.driver.max_bits,
            bit_areas=self.driver.bit_areas,
        )
        self._blocks = plan_checks(self.reads, plc.conditions, self.edges)
        # Each PLC polls at its own phase of its interval (from its name, stable across
        # restarts): 1,000 PLCs are requests spread over the second, not one burst that
        # made every PLC time out at once (issue 23). The first poll is still at once.
        self._phase = zlib.crc32(plc.name.encode()) / 2**32 * plc.interval
        self.cycles = 0
        self.last_cycle: float = 0.0  # seconds one poll (read + handling) took
        self.max_period: float = 0.0  # longest time between two successful polls
        self._last_ok: float | None = None
        self._unreadable: set[tuple[str, str]] = set()
        self.mailbox = (
            MailboxWatch(plc, self.driver, writer, state_dir) if plc.mailbox is not None else None
        )
        self._record: list[int] | None = None  # the mailbox block this poll read, if any
        self._backoff = backoff_initial
        self._said_unexpected: tuple[type, str] | None = None  # logged once, then debug

    def _spans(self) -> list[tuple[str, int, int]]:
        spans = [(c.table, c.address, c.width) for c in self.plc.conditions]
        if self.plc.mailbox:  # the flag; the record is read whole when the flag is 0
            spans.append((self.plc.mailbox.area, self.plc.mailbox.flag, 1))
        return spans

    # -- loop ----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop``; no exception of any type ends the loop (issue 18.7).

        A poll that fails (the PLC down or refusing, or anything unexpected: a
        driver bug, a peer no driver foresaw) is counted in :attr:`status`
        ('unreachable' or 'error', consecutive failures, last error), logged once
        with the PLC's name, and retried with backoff; the conditions and the
        mailbox are handled only after a good poll, and a failure handling them
        counts the same way.
        """
        loop = asyncio.get_running_loop()
        self._backoff = self.backoff_initial
        next_at = loop.time()
        try:
            while not stop.is_set():
                started = loop.time()
                try:
                    snapshot = await self._poll()
                except PlcDown as exc:
                    await self._poll_failed(stop, exc.state, str(exc))
                    next_at = loop.time()
                    continue
                except Exception as exc:  # nothing may end this PLC's polling
                    text = self._unexpected(exc, "polling")
                    await self._poll_failed(stop, ERROR, text, logged=True)
                    next_at = loop.time()
                    continue
                try:
                    await self._conditions(snapshot)
                    if self.mailbox is not None:
                        await self.mailbox.handle(self._record)
                except Exception as exc:  # a bug must not stop this PLC's polling for good
                    self.status.failure(ERROR, self._unexpected(exc, "handling a poll"))
                    await _sleep(stop, self._backoff)
                    self._backoff = min(self._backoff * 2, self.backoff_max)
                else:
                    self._succeeded()
                self.cycles += 1
                self.last_cycle = loop.time() - started
                if self._last_ok is not None:
                    self.max_period = max(self.max_period, started - self._last_ok)
                self._last_ok = started
                # The second poll comes at this PLC's phase, within one interval of the first.
                next_at += self._phase or self.plc.interval
                self._phase = 0.0
                now = loop.time()
                if next_at < now:
                    next_at = now
                await _sleep(stop, next_at - now)
        finally:
            self._close()

    async def _poll_failed(
        self, stop: asyncio.Event, state: str, error: str, *, logged: bool = False
    ) -> None:
        """Count a failed poll, say so once per state (unless ``logged``), wait the backoff."""
        self._close()
        for edge in self.edges.values():  # debounce counts polls in a row
            edge.streak, edge.since = 0, None
        if self.status.failure(state, error):
            if not logged:
                _logger.warning(
                    "%s is %s: %s; retrying with backoff up to %g s",
                    self.plc.where,
                    state,
                    error,
                    self.backoff_max,
                )
        elif not logged:
            _logger.debug("%s still %s: %s", self.plc.where, state, error)
        await _sleep(stop, self._backoff)
        self._backoff = min(self._backoff * 2, self.backoff_max)

    def _succeeded(self) -> None:
        failures = self.status.consecutive_failures
        if self.status.success():
            if failures:
                _logger.info("%s is ok again after %d failed poll(s)", self.plc.where, failures)
            else:
                _logger.info("%s is ok", self.plc.where)
        self._backoff = self.backoff_initial
        self._said_unexpected = None

    def _unexpected(self, exc: Exception, doing: str) -> str:
        """The status text of an exception nothing should raise; logged with its traceback
        once, then at debug level while the same kind repeats (a bug to report)."""
        kind = type(exc)
        name = kind.__qualname__
        if kind.__module__ != "builtins":  # struct.error, not "error"
            name = f"{kind.__module__}.{name}"
        text = f"unexpected {name} {doing}: {' '.join(str(exc).split())[:200]}"
        said = (kind, doing) == self._said_unexpected
        self._said_unexpected = (kind, doing)
        if said:
            _logger.debug("%s: %s (again)", self.plc.where, text)
        else:
            _logger.error(
                "%s: %s; retrying with backoff up to %g s (a bug in scada-bridge: please "
                "report it with this traceback)",
                self.plc.where,
                text,
                self.backoff_max,
                exc_info=exc,
            )
        return text

    def _close(self) -> None:
        self.driver.close()

    async def _poll(self) -> Snapshot:
        snapshot = Snapshot()
        for read in self.reads:
            snapshot.add(read, await self._read(read))
        self._record = None
        if self.mailbox is not None:
            box = self.mailbox.box
            try:
                self._record = await self.mailbox.read(snapshot.get(box.area, box.flag)[0])
            except PlcError as exc:
                raise PlcDown(exc.state, str(exc)) from None
        return snapshot

    async def _read(self, read: Read) -> Sequence[int]:
        """Words as the driver gives them; bits as 0/1, as events' payloads show them."""
        try:
            if read.area in self.driver.bit_areas:
                bits = await self.driver.read_bits(read.area, read.address, read.count)
                return [int(bit) for bit in bits]
            return await self.driver.read_words(read.area, read.address, read.count)
        except PlcError as exc:
            raise PlcDown(exc.state, str(exc)) from None

    # -- status conditions --------------------------------------------------

    async def _conditions(self, snapshot: Snapshot) -> None:
        """Edges of the conditions whose words changed, or whose debounce is counting.

        A block read with exactly the words of the previous read, and no debounce
        counting in it, is skipped: one list comparison instead of decoding every
        condition. An edge lasting one read still changes the words of that read.
        """
        now: datetime | None = None
        events: list[tuple[int, NewEvent]] = []
        for block in self._blocks:
            read = block.read
            words = snapshot.get(read.area, read.address, read.count)
            if words == block.words and not block.pending:
                continue
            if now is None:
                now = _now()
            block.pending = self._evaluate(block.checks, words, now, events)
            block.words = words  # only once evaluated: an error above re-evaluates next poll
        if events:
            if len(events) > 1:
                events.sort(key=lambda item: item[0])
            self.writer.submit([event for _, event in events])

    def _evaluate(
        self,
        checks: list[Check],
        words: list[int],
        now: datetime,
        events: list[tuple[int, NewEvent]],
    ) -> bool:
        """Evaluate ``checks`` on ``words``; whether a debounce is still counting."""
        pending = False
        active = self.active
        for check in checks:
            edge = check.edge
            registers = words[check.start : check.end]
            try:
                value = check.decode(registers)
            except BadBcd as exc:
                self._unreadable_once(check.cond, exc)
                pending = pending or edge.streak > 0
                continue
            if self._unreadable:
                self._unreadable.discard(check.key)
            observed = check.test(value)
            if observed == (check.key in active):
                edge.streak, edge.since = 0, None
                continue
            if edge.streak == 0:
                edge.since = now
            edge.streak += 1
            cond = check.cond
            if edge.streak < cond.debounce:
                pending = True
                continue
            event = self._edge_event(cond, observed, edge.since or now, registers, value)
            events.append((check.index, event))
            edge.streak, edge.since = 0, None
        return pending

    def _unreadable_once(self, cond: Condition, exc: BadBcd) -> None:
        """The PLC's value is unreadable this poll: keep the state, say so once."""
        if cond.key in self._unreadable:
            return
        self._unreadable.add(cond.key)
        _logger.warning(
            "PLC %r %s %d (%s/%s): %s; condition left as it was until readable",
            self.plc.name,
            cond.table,
            cond.address,
            cond.equipment,
            cond.failure_code,
            exc,
        )

    def _edge_event(
        self,
        cond: Condition,
        raised: bool,
        when: datetime,
        registers: Sequence[int],
        value: float | int | bool,
    ) -> NewEvent:
        payload = {
            "source": "condition",
            "table": cond.table,
            "address": cond.address,
            "registers": list(registers),
            "value": value,
            "when": cond.when,
            "debounce": cond.debounce,
        }
        if cond.value is not None:
            payload["threshold"] = cond.value
        if cond.bit is not None:
            payload["bit"] = cond.bit
        common = dict(
            equipment_code=cond.equipment,
            occurred_at=when,
            failure_code=cond.failure_code,
            description=cond.description,
            severity=cond.severity,
            device=self.plc.name,
            payload=payload,
        )
        if raised:
            event = NewEvent(kind=RAISED, **common)  # type: ignore[arg-type]
            self.active[cond.key] = event.event_uid
            _logger.info(
                "raised %s %s (%s) on PLC %r: %s [value %s]",
                cond.equipment,
                cond.failure_code,
                cond.severity,
                self.plc.name,
                cond.description,
                value,
            )
        else:
            raise_uid = self.active.pop(cond.key)
            event = NewEvent(kind=CLEARED, raise_uid=raise_uid, **common)  # type: ignore[arg-type]
            _logger.info(
                "cleared %s %s on PLC %r (raise %s) [value %s]",
                cond.equipment,
                cond.failure_code,
                self.plc.name,
                raise_uid,
                value,
            )
        return event
