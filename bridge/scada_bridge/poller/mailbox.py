"""A PLC's failure mailbox: one record read whole, stored durably, then acknowledged.

The PLC writes a record (equipment, failure code, text, BCD time) and sets the
flag word to 0; the poller reads the whole block in one request, stores the
event durably (database or spool), and only then writes 1 to the flag. A record
whose failure code is in ``ignore`` ("no failure") is acknowledged without an event.

Identity of a record (its ``event_uid``), so a repeat is a duplicate, never a
second failure, and a second failure is never taken for a repeat in silence:

* with a usable PLC time, the uid is derived from the record's words: offered
  again (acknowledgement lost, poller restarted before it), it is the same
  event. The same words offered again right after *our* acknowledgement may
  also be a second failure within the same second: that is logged;
* without a usable PLC time, words alike prove nothing, so each record gets a
  new uid, written (fsync) to ``mailbox-<plc>.json`` in the state directory
  before the event is submitted and removed once the flag is 1: a restart
  between store and acknowledgement finds it and stores the record once.

A record whose content cannot be converted is never left in the PLC to block
the mailbox, and never dropped either: it is stored, then acknowledged, so the
PLC can write the next one. A time that is no date (a nibble above 9, month 13)
or that no UTC time can hold (9999-12-31 23:00 west of UTC) becomes the
poller's clock, the PLC's words kept in ``payload.time_registers`` with a
``time_note``; a record that cannot become an event at all (any other
conversion failure) is stored as a raw record of its PLC (equipment
``<plc>:unknown``) with every word in its payload and the reason in
``payload.content_note``. Either way one warning line names the PLC, the
words, the value and what to do, and :attr:`MailboxWatch.substituted`
counts the records.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config import Mailbox, Plc, Span
from ..errors import PlcError, PlcRefused
from ..events import RAISED, NewEvent
from ..plc.driver import Driver
from ..plc.registers import decode_ascii, decode_bcd_time
from .writer import Writer

_logger = logging.getLogger(__name__)

_MAILBOX_NS = uuid.UUID("6f1c3a52-3d0e-4f5b-9a57-5cada0b0c0de")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hex(words: list[int]) -> str:
    return " ".join(f"0x{w:04X}" for w in words)


class _Unusable(ValueError):
    """The record's time words hold no time a UTC timestamp can carry; says why."""


class _Pending:
    """The uid of the record stored but not yet acknowledged, kept across a restart."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.raw: list[int] | None = None
        self.uid: str | None = None
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text("utf-8"))
                self.raw, self.uid = list(data["raw"]), str(data["uid"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _logger.warning("%s unreadable (%s): ignored", path, exc)

    def uid_for(self, raw: list[int]) -> str:
        """The uid stored for these words before a restart, or a new one, saved first."""
        if self.raw == raw and self.uid:
            return self.uid
        uid = str(uuid.uuid4())
        if self.path is not None:
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"raw": raw, "uid": uid}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        self.raw, self.uid = raw, uid
        return uid

    def clear(self) -> None:
        if self.raw is None:
            return
        self.raw = self.uid = None
        if self.path is not None:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass


class MailboxWatch:
    """The mailbox of one PLC; :meth:`check` runs once per successful poll."""

    def __init__(
        self, plc: Plc, driver: Driver, writer: Writer, state_dir: Path | None = None
    ) -> None:
        assert plc.mailbox is not None
        self.plc = plc
        self.box: Mailbox = plc.mailbox
        self.driver = driver
        self.writer = writer
        self.block = self.box.block()
        self._zone = ZoneInfo(self.box.clock_timezone)
        self._unacked: list[int] | None = None  # stored, acknowledgement not yet written
        self._acked: list[int] | None = None  # the last record acknowledged
        self._pending = _Pending(state_dir / f"mailbox-{plc.name}.json" if state_dir else None)
        self._ignored_logged: list[int] | None = None
        self._uid_warned: list[int] | None = None  # said once per record
        self._ack_failures = 0  # failed acknowledgements of the record in hand
        #: Records stored with a substitute (poller's clock, raw record) since the start.
        self.substituted = 0
        self._substitute_counted: list[int] | None = None
        self._substitute_warned: tuple[str, list[int]] | None = None  # said once per record

    def _part(self, words: list[int], span: Span) -> list[int]:
        start = span.address - self.block.address
        return words[start : start + span.registers]

    def _raw(self, words: list[int]) -> list[int]:
        """The record's words: equipment, text, time (the order older pollers derived
        uids from, so a record stored before an upgrade keeps its uid), failure code."""
        box = self.box
        spans = [box.equipment, *([box.text] if box.text else []), Span(box.time, 6)]
        if isinstance(box.failure_code, Span):
            spans.append(box.failure_code)
        return [w for span in spans for w in self._part(words, span)]

    async def read(self, flag: int) -> list[int] | None:
        """The record's block when ``flag`` (what the poll read) is 0, in one request, so
        never half of an old record and half of a new one; None when nothing waits.
        Raises :class:`PlcError` (the poll then counts as failed)."""
        box = self.box
        if flag != 0:
            self._unacked = None
            self._pending.clear()
            return None
        words = await self.driver.read_words(box.area, self.block.address, self.block.registers)
        if self._part(words, Span(box.flag, 1))[0] != 0:
            return None  # acknowledged between the two reads (by someone else)
        return words

    async def handle(self, words: list[int] | None) -> None:
        """Store the record read by :meth:`read` durably, then acknowledge it."""
        if words is None:
            return
        raw = self._raw(words)
        if raw != self._unacked:
            try:
                event = self._event(words, raw)
            except OSError as exc:  # the uid of a record without PLC time cannot be kept
                if raw == self._uid_warned:
                    return
                self._uid_warned = raw
                _logger.warning(
                    "PLC %r: cannot save the mailbox record's uid in %s (%s): the record stays "
                    "in the PLC (flag 0) and is read again at the next poll; check the state "
                    "directory is writable",
                    self.plc.name,
                    self._pending.path,
                    exc.strerror or exc,
                )
                return
            if event is None:
                await self._acknowledge(raw)
                return
            if raw == self._acked:
                _logger.warning(
                    "PLC %r offers again the mailbox record just acknowledged (same words, "
                    "same PLC second): stored once as event %s. If the PLC reported the same "
                    "failure twice within one second, the second is that same event",
                    self.plc.name,
                    event.event_uid,
                )
            durable = self.writer.submit([event], durable=True)
            assert durable is not None
            try:
                where = await durable
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
        await self._acknowledge(raw)

    def _failure_code(self, words: list[int]) -> tuple[str, bool]:
        """The record's failure code, and whether it means "no failure"."""
        code = self.box.failure_code
        if not isinstance(code, Span):
            return code, False
        text = decode_ascii(self._part(words, code), self.box.byte_order)
        ignored = text.strip().upper() in {i.strip().upper() for i in self.box.ignore}
        return text, ignored

    def _event(self, words: list[int], raw: list[int]) -> NewEvent | None:
        """The record as an event (None: "no failure"), whatever its words hold.

        OSError (the uid of a record without usable time cannot be saved) is the
        only exception: the record then stays in the PLC (see :meth:`handle`).
        """
        try:
            return self._decode(words, raw)
        except OSError:
            raise
        except Exception as exc:  # any conversion failure: the record is kept raw
            return self._raw_event(words, raw, exc)

    def _plc_time(self, registers: list[int]) -> datetime:
        """The record's PLC time in UTC; :class:`_Unusable` saying why when there is none."""
        try:
            parts = decode_bcd_time(registers, self.box.byte_order)
            local = datetime(*parts, tzinfo=self._zone)
        except (ArithmeticError, ValueError) as exc:  # BadBcd, month 13, fewer words
            raise _Unusable(f"not a valid BCD date: {exc}") from None
        try:
            return local.astimezone(timezone.utc)
        except (ArithmeticError, ValueError) as exc:  # 9999-12-31 23:00 west of UTC
            raise _Unusable(
                f"not a usable date: {local:%Y-%m-%d %H:%M:%S} in {self.box.clock_timezone} "
                f"is outside the years 1..9999 in UTC ({exc})"
            ) from None

    def _substituted(self, what: str, raw: list[int], message: str, *args: object) -> None:
        """Count a record stored with a substitute (``what``: time or record), say it once."""
        if raw != self._substitute_counted:
            self._substitute_counted = raw
            self.substituted += 1
        said = (what, raw) == self._substitute_warned
        self._substitute_warned = (what, raw)
        (_logger.debug if said else _logger.warning)(message, *args, self.substituted)

    def _raw_event(self, words: list[int], raw: list[int], exc: Exception) -> NewEvent:
        """The record as its PLC's raw words: stored rather than lost or left to block."""
        box, block = self.box, self.block
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        equipment = f"{self.plc.name}:unknown"
        self._substituted(
            "record",
            raw,
            "PLC %r mailbox record %s %d..%d could not be converted (%s): stored as equipment "
            "%r with its words in the payload; check the [plc.mailbox] layout against the "
            "PLC program (%d record(s) with a substitute so far)",
            self.plc.name,
            box.area,
            block.address,
            block.address + block.registers - 1,
            reason,
            equipment,
        )
        payload = {
            "source": "mailbox",
            "block_address": block.address,
            "block_registers": list(words),
            "content_note": f"record not convertible ({reason}); occurred_at is the poller's "
            "clock",
        }
        return NewEvent(
            kind=RAISED,
            equipment_code=equipment,
            occurred_at=_now(),
            failure_code="PLC_REPORTED",
            description="mailbox record not convertible (raw words in the payload)",
            severity=box.severity,
            device=self.plc.name,
            payload=payload,
            event_uid=self._pending.uid_for(raw),
        )

    def _decode(self, words: list[int], raw: list[int]) -> NewEvent | None:
        box = self.box
        code, ignored = self._failure_code(words)
        equipment_regs = self._part(words, box.equipment)
        equipment = decode_ascii(equipment_regs, box.byte_order)
        if ignored:
            if raw != self._ignored_logged:
                self._ignored_logged = raw
                _logger.info(
                    "PLC %r mailbox record for %r has failure code %r (in ignore: no failure): "
                    "acknowledged, no event",
                    self.plc.name,
                    equipment,
                    code,
                )
            return None
        time_regs = self._part(words, Span(box.time, 6))
        payload: dict[str, object] = {
            "source": "mailbox",
            "equipment_registers": equipment_regs,
            "time_registers": time_regs,
        }
        if box.text is not None:
            payload["text_registers"] = self._part(words, box.text)
        if isinstance(box.failure_code, Span):
            payload["failure_code_registers"] = self._part(words, box.failure_code)
        if not equipment:
            equipment = f"{self.plc.name}:unknown"
            payload["equipment_note"] = "empty equipment code in the mailbox"
        code = code or "PLC_REPORTED"
        text = decode_ascii(self._part(words, box.text), box.byte_order) if box.text else ""
        try:
            occurred_at = self._plc_time(time_regs)
        except _Unusable as exc:
            occurred_at = _now()
            payload["time_note"] = f"PLC time unusable ({exc}); occurred_at is the poller's clock"
            self._substituted(
                "time",
                raw,
                "PLC %r mailbox time %s %d..%d (%s) is %s: stored with the poller's clock, the "
                "PLC's words kept in payload.time_registers; check the PLC's clock and the "
                "program that writes the mailbox (%d record(s) with a substitute so far)",
                self.plc.name,
                box.area,
                box.time,
                box.time + 5,
                _hex(time_regs),
                exc,
            )
        if "time_note" in payload:
            uid = self._pending.uid_for(raw)
        else:
            uid = str(uuid.uuid5(_MAILBOX_NS, f"{self.plc.name}:{tuple(raw)}"))
        return NewEvent(
            kind=RAISED,
            equipment_code=equipment,
            occurred_at=occurred_at,
            failure_code=code,
            description=text or code,
            severity=box.severity,
            device=self.plc.name,
            payload=payload,
            event_uid=uid,
        )

    async def _acknowledge(self, raw: list[int]) -> None:
        """Write 1 to the mailbox flag: the only write the poller ever makes.

        A refused or failed write is retried at every poll; it is logged once per
        record (then at debug level), so a PLC that forbids the write does not fill
        the log with one line per poll.
        """
        box = self.box
        try:
            await self.driver.write_word(box.area, box.flag, 1)
        except PlcError as exc:
            refused = isinstance(exc, PlcRefused)
            self._ack_failures += 1
            log = _logger.warning if self._ack_failures == 1 else _logger.debug
            if refused:
                log(
                    "PLC %r refused the write of 1 to mailbox flag %s %d (%s): the record is "
                    "stored; check the PLC allows that write (retried at every poll, logged once)",
                    self.plc.name,
                    box.area,
                    box.flag,
                    exc,
                )
            else:
                log(
                    "PLC %r: acknowledging mailbox flag %d failed (%s); the record is stored "
                    "and will be acknowledged at the next poll (retried at every poll, logged "
                    "once)",
                    self.plc.name,
                    box.flag,
                    exc,
                )
                self.driver.close()
            return
        if self._ack_failures:
            _logger.info(
                "PLC %r: mailbox flag %d acknowledged after %d failed attempt(s)",
                self.plc.name,
                box.flag,
                self._ack_failures,
            )
            self._ack_failures = 0
        self._unacked = None
        self._acked = raw
        self._pending.clear()
