"""``scada-bridge poll``: read every PLC on its own schedule, append failure events.

Shape of the service::

    PlcLoop (one asyncio task per PLC, own AsyncModbusTcpClient)
        read planned requests -> edges of status conditions, mailbox record
        -> Writer.submit(events)                   (conditions: no waiting)
        -> await Writer.submit(events, durable=True) then write the mailbox flag
    Writer (one task): batches events, runs EventSink in a worker thread
        -> SCADA database, or the local spool while the database is down
        -> scada.plc_status rows, retries and spool flushes

A PLC that is down or slow only delays its own task; the database only ever
delays the writer (and a mailbox acknowledgement, which waits for durability).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from .config import (
    COIL,
    DISCRETE_INPUT,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    Condition,
    Config,
    Plc,
)
from .doorbell import Doorbell
from .events import CLEARED, RAISED, NewEvent
from .registers import (
    BadBcd,
    Read,
    Snapshot,
    condition_true,
    condition_value,
    decode_ascii,
    decode_bcd_time,
    plan_reads,
)
from .sink import EventSink, Key
from .spool import ensure_state_dir
from .status import ERROR, UNREACHABLE, PlcStatus

_logger = logging.getLogger(__name__)

_MAILBOX_NS = uuid.UUID("6f1c3a52-3d0e-4f5b-9a57-5cada0b0c0de")

_EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    10: "gateway path unavailable",
    11: "gateway target failed to respond",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


class PlcDown(Exception):
    """This poll failed; ``state`` is 'unreachable' or 'error'."""

    def __init__(self, state: str, message: str) -> None:
        super().__init__(message)
        self.state = state


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the poller is told to stop."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


# -- writer --------------------------------------------------------------------

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

    def submit(self, events: list[NewEvent], *, durable: bool = False) -> asyncio.Future[str]:
        """Queue events; the future resolves to 'database' or 'spool' once they are durable."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((events, future if durable else None))
        if not durable:
            future.cancel()
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


# -- one PLC -------------------------------------------------------------------


@dataclass
class _Edge:
    """Debounce state of one condition."""

    streak: int = 0
    since: datetime | None = None


class PlcLoop:
    """Polls one PLC forever; owns its client, its status and its conditions' state."""

    def __init__(
        self,
        plc: Plc,
        writer: Writer,
        status: PlcStatus,
        active: dict[Key, str],
        *,
        backoff_initial: float,
        backoff_max: float,
    ) -> None:
        self.plc = plc
        self.writer = writer
        self.status = status
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.active: dict[tuple[str, str], str] = {
            (e, f): uid for (d, e, f), uid in active.items() if d == plc.name
        }
        self.edges = {c.key: _Edge() for c in plc.conditions}
        self.reads = plan_reads(self._spans(), max_gap=plc.max_gap)
        self.client: AsyncModbusTcpClient | None = None
        self.cycles = 0
        self.last_cycle: float = 0.0  # seconds one poll (read + handling) took
        self.max_period: float = 0.0  # longest time between two successful polls
        self._last_ok: float | None = None
        self._unacked: tuple[int, ...] | None = None
        self._unreadable: set[tuple[str, str]] = set()
        self._zone = ZoneInfo(plc.mailbox.clock_timezone) if plc.mailbox else timezone.utc

    def _spans(self) -> list[tuple[str, int, int]]:
        spans = [(c.table, c.address, c.width) for c in self.plc.conditions]
        if self.plc.mailbox:
            spans += [
                (HOLDING_REGISTER, s.address, s.registers)
                for s in self.plc.mailbox.spans().values()
            ]
        return spans

    # -- loop ----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        backoff = self.backoff_initial
        next_at = loop.time()
        try:
            while not stop.is_set():
                started = loop.time()
                try:
                    snapshot = await self._poll()
                except PlcDown as exc:
                    self._close()
                    if self.status.failure(exc.state, str(exc)):
                        _logger.warning(
                            "%s is %s: %s; retrying with backoff up to %.0f s",
                            self.plc.where,
                            exc.state,
                            exc,
                            self.backoff_max,
                        )
                    else:
                        _logger.debug("%s still %s: %s", self.plc.where, exc.state, exc)
                    await _sleep(stop, backoff)
                    backoff = min(backoff * 2, self.backoff_max)
                    next_at = loop.time()
                    continue
                failures = self.status.consecutive_failures
                if self.status.success():
                    if failures:
                        _logger.info(
                            "%s is ok again after %d failed poll(s)", self.plc.where, failures
                        )
                    else:
                        _logger.info("%s is ok", self.plc.where)
                backoff = self.backoff_initial
                try:
                    await self._conditions(snapshot)
                    if self.plc.mailbox is not None:
                        await self._mailbox(snapshot)
                except Exception as exc:  # a bug must not stop this PLC's polling for good
                    _logger.exception("PLC %r: unexpected error handling a poll", self.plc.name)
                    self.status.failure(ERROR, f"internal error: {type(exc).__name__}: {exc}")
                    await _sleep(stop, backoff)
                    backoff = min(backoff * 2, self.backoff_max)
                self.cycles += 1
                self.last_cycle = loop.time() - started
                if self._last_ok is not None:
                    self.max_period = max(self.max_period, started - self._last_ok)
                self._last_ok = started
                next_at += self.plc.interval
                now = loop.time()
                if next_at < now:
                    next_at = now
                await _sleep(stop, next_at - now)
        finally:
            self._close()

    def _close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    async def _poll(self) -> Snapshot:
        plc = self.plc
        if self.client is None:
            client = AsyncModbusTcpClient(
                plc.host,
                port=plc.port,
                timeout=plc.timeout,
                retries=plc.retries,
                reconnect_delay=0,
                name=plc.name,
            )
            try:
                ok = await asyncio.wait_for(client.connect(), plc.timeout + 1)
            except (asyncio.TimeoutError, OSError, ModbusException):
                ok = False
            if not ok:
                client.close()
                raise PlcDown(
                    UNREACHABLE,
                    f"no Modbus TCP connection to {plc.host}:{plc.port} within {plc.timeout:g} s "
                    "(PLC off, wrong host/port, or a firewall)",
                )
            self.client = client
        snapshot = Snapshot()
        for read in self.reads:
            snapshot.add(read, await self._read(read))
        return snapshot

    async def _read(self, read: Read) -> Sequence[int | bool]:
        assert self.client is not None
        call = {
            COIL: self.client.read_coils,
            DISCRETE_INPUT: self.client.read_discrete_inputs,
            HOLDING_REGISTER: self.client.read_holding_registers,
            INPUT_REGISTER: self.client.read_input_registers,
        }[read.table]
        what = f"{read.table} {read.address}..{read.address + read.count - 1}"
        try:
            rr = await call(read.address, count=read.count, device_id=self.plc.device_id)
        except (ModbusException, OSError, asyncio.TimeoutError) as exc:
            raise PlcDown(
                UNREACHABLE,
                f"reading {what} from {self.plc.host}:{self.plc.port} failed: "
                f"{str(exc).strip() or type(exc).__name__}",
            ) from None
        if rr.isError():
            code = getattr(rr, "exception_code", 0)
            raise PlcDown(
                ERROR,
                f"PLC answered exception {code} ({_EXCEPTION_NAMES.get(code, 'unknown')}) to "
                f"reading {what} with device id {self.plc.device_id}: check the addresses, "
                "table and device_id in the configuration",
            )
        values = rr.bits if read.table in (COIL, DISCRETE_INPUT) else rr.registers
        if len(values) < read.count:
            raise PlcDown(ERROR, f"PLC returned {len(values)} values for {what}")
        return values

    # -- status conditions --------------------------------------------------

    async def _conditions(self, snapshot: Snapshot) -> None:
        now = _now()
        events: list[NewEvent] = []
        for cond in self.plc.conditions:
            registers = snapshot.get(cond.table, cond.address, cond.width)
            try:
                value = condition_value(cond, registers)
            except BadBcd as exc:
                # The PLC's value is unreadable this poll: keep the state, say so once.
                if cond.key not in self._unreadable:
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
                continue
            self._unreadable.discard(cond.key)
            observed = condition_true(cond, value)
            edge = self.edges[cond.key]
            is_active = cond.key in self.active
            if observed == is_active:
                edge.streak, edge.since = 0, None
                continue
            if edge.streak == 0:
                edge.since = now
            edge.streak += 1
            if edge.streak < cond.debounce:
                continue
            events.append(self._edge_event(cond, observed, edge.since or now, registers, value))
            edge.streak, edge.since = 0, None
        if events:
            self.writer.submit(events)

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

    # -- mailbox ---------------------------------------------------------------

    async def _mailbox(self, snapshot: Snapshot) -> None:
        box = self.plc.mailbox
        assert box is not None
        if snapshot.get(HOLDING_REGISTER, box.flag)[0] != 0:
            self._unacked = None
            return
        equipment_regs = snapshot.get(
            HOLDING_REGISTER, box.equipment.address, box.equipment.registers
        )
        text_regs = snapshot.get(HOLDING_REGISTER, box.text.address, box.text.registers)
        time_regs = snapshot.get(HOLDING_REGISTER, box.time, 6)
        raw = (*equipment_regs, *text_regs, *time_regs)
        if raw != self._unacked:
            event = self._mailbox_event(equipment_regs, text_regs, time_regs, raw)
            try:
                where = await self.writer.submit([event], durable=True)
            except OSError:
                return  # logged by the writer; the PLC keeps the record, next cycle retries
            self._unacked = raw
            _logger.info(
                "raised %s %s (%s) on PLC %r from its mailbox: %s [stored in %s]",
                event.equipment_code,
                event.failure_code,
                event.severity,
                self.plc.name,
                event.description,
                where,
            )
        await self._acknowledge()

    def _mailbox_event(
        self,
        equipment_regs: list[int],
        text_regs: list[int],
        time_regs: list[int],
        raw: tuple[int, ...],
    ) -> NewEvent:
        box = self.plc.mailbox
        assert box is not None
        payload: dict[str, object] = {
            "source": "mailbox",
            "equipment_registers": equipment_regs,
            "text_registers": text_regs,
            "time_registers": time_regs,
        }
        equipment = decode_ascii(equipment_regs, box.byte_order)
        if not equipment:
            equipment = f"{self.plc.name}:unknown"
            payload["equipment_note"] = "empty equipment code in the mailbox"
        text = decode_ascii(text_regs, box.byte_order)
        try:
            parts = decode_bcd_time(time_regs, box.byte_order)
            occurred_at = datetime(*parts, tzinfo=self._zone).astimezone(timezone.utc)
        except (BadBcd, ValueError) as exc:
            occurred_at = _now()
            payload["time_note"] = f"PLC time unusable ({exc}); occurred_at is the poller's clock"
            _logger.warning(
                "PLC %r mailbox time %s is not a valid BCD date (%s): using the poller's clock",
                self.plc.name,
                " ".join(f"0x{r:04X}" for r in time_regs),
                exc,
            )
        # Same record (PLC time to the second included), same uid: stored again after
        # a crash before the flag was written, it is a duplicate the database ignores.
        # Without a usable PLC time two records could look alike: a fresh uid then.
        uid = (
            str(uuid.uuid4())
            if "time_note" in payload
            else str(uuid.uuid5(_MAILBOX_NS, f"{self.plc.name}:{raw}"))
        )
        return NewEvent(
            kind=RAISED,
            equipment_code=equipment,
            occurred_at=occurred_at,
            failure_code=box.failure_code,
            description=text or None,
            severity=box.severity,
            device=self.plc.name,
            payload=payload,
            event_uid=uid,
        )

    async def _acknowledge(self) -> None:
        """Write 1 to the mailbox flag: the only write the poller ever makes."""
        box = self.plc.mailbox
        assert box is not None and self.client is not None
        try:
            rr = await self.client.write_register(box.flag, 1, device_id=self.plc.device_id)
        except (ModbusException, OSError, asyncio.TimeoutError) as exc:
            _logger.warning(
                "PLC %r: acknowledging mailbox flag %d failed (%s); the record is stored and "
                "will be acknowledged at the next poll",
                self.plc.name,
                box.flag,
                exc,
            )
            self._close()
            return
        if rr.isError():
            _logger.warning(
                "PLC %r refused the write of 1 to mailbox flag holding register %d "
                "(exception %s): the record is stored; check the PLC allows that write",
                self.plc.name,
                box.flag,
                getattr(rr, "exception_code", "?"),
            )
            return
        self._unacked = None


# -- the service -----------------------------------------------------------------


class Poller:
    """Runs every PLC loop and the writer until :meth:`stop` (or SIGTERM/SIGINT)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.statuses = [PlcStatus(p.name, p.host, p.port) for p in config.plcs]
        self.loops: list[PlcLoop] = []
        self.sink: EventSink | None = None
        self._stop: asyncio.Event | None = None
        self.started = asyncio.Event()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def run(self, *, handle_signals: bool = False) -> int:
        cfg = self.config
        self._stop = asyncio.Event()
        ensure_state_dir(cfg.poller.state_dir)
        self.sink = EventSink(cfg.database, cfg.poller.state_dir)
        await asyncio.to_thread(self.sink.start, [p.name for p in cfg.plcs])
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        doorbell = (
            # The writer spaces the rings itself (RING_SPACING).
            Doorbell(cfg.odoo.url, cfg.odoo.api_key, timeout=cfg.odoo.timeout, min_interval=0)
            if cfg.odoo
            else None
        )
        writer = Writer(self.sink, self.statuses, cfg.poller.status_every, doorbell=doorbell)
        writer_task = asyncio.create_task(writer.run(self._stop), name="writer")
        self.loops = [
            PlcLoop(
                plc,
                writer,
                status,
                self.sink.active,
                backoff_initial=cfg.poller.backoff_initial,
                backoff_max=cfg.poller.backoff_max,
            )
            for plc, status in zip(cfg.plcs, self.statuses, strict=True)
        ]
        tasks = [asyncio.create_task(pl.run(self._stop), name=pl.plc.name) for pl in self.loops]
        _logger.info(
            "polling %d PLC(s); events to %s; spool %s",
            len(tasks),
            self.sink.where,
            self.sink.spool.path,
        )
        self.started.set()
        try:
            await self._stop.wait()
        finally:
            self._stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await writer.close(writer_task)
            self.sink.close()
            if handle_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
        left = len(self.sink.spool)
        if left:
            _logger.warning(
                "stopped with %d event(s) still in the spool %s: they are sent at the next start",
                left,
                self.sink.spool.path,
            )
        _logger.info("poller stopped")
        return 0
