"""Whatever words a PLC leaves in its mailbox, the record is stored and acknowledged (issue 18.1).

A time no UTC timestamp can hold (9999-12-31 23:30 in New York is year 10000 in
UTC) used to raise OverflowError out of the mailbox: the record was read again
at every poll, never stored and never acknowledged, and the PLC could not write
its next failure. Now a record whose content cannot be converted is stored with
a substitute (the poller's clock, or the raw record) and the PLC's words in the
payload, one warning says so, and the flag is written.

The property test drives :class:`MailboxWatch` directly (a fake driver and
writer: no sockets, so hundreds of records run in a second); the scenario test
runs the real poller against the Modbus simulator and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scada_bridge.config import HOLDING_REGISTER
from scada_bridge.config.model import Mailbox, Plc, Span
from scada_bridge.events import event_to_json
from scada_bridge.plc.registers import bcd_time_registers, encode_ascii, encode_bcd
from scada_bridge.poller import mailbox as mailbox_module
from scada_bridge.poller.mailbox import MailboxWatch

from tests.poller_fixtures import (
    Running,
    config_text,
    free_port,
    plc_block,
    rows,
    simulated,
    wait_until,
    write_config,
)

NEW_YORK = ZoneInfo("America/New_York")

MAILBOX = """
[plc.mailbox]
flag = 100
equipment = { address = 101, registers = 4 }
text = { address = 105, registers = 10 }
time = 115
clock_timezone = "America/New_York"
"""


def _rows(uri):
    return rows(
        uri,
        "SELECT equipment_code, description, occurred_at, payload"
        " FROM scada.equipment_failure ORDER BY id",
    )


def test_a_plc_clock_at_year_9999_west_of_utc_is_stored_with_the_poller_clock(
    tmp_path, scada_uri, caplog
):
    """The OverflowError record is stored (poller's clock, PLC words kept), acknowledged,
    and the next record of that PLC goes through: the mailbox is not blocked."""
    port = free_port()
    config = write_config(
        tmp_path / "plant.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", port, MAILBOX)),
    )
    caplog.set_level(logging.WARNING, logger="scada_bridge")
    far = datetime(9999, 12, 31, 23, 30, 0, tzinfo=NEW_YORK)
    later = datetime(2026, 3, 1, 8, 0, 0, tzinfo=NEW_YORK)

    async def scenario():
        async with simulated(config) as sim, Running(config):
            await sim.post_mailbox("plc1", "silo101", "Clock at 9999", far)
            await wait_until(lambda: _rows(scada_uri), timeout=20, what="the 9999 record")
            # A PLC writes its next record once the last one is acknowledged: posting it
            # before let the late ack of the first hide the second (a race of the test).
            for _ in range(400):  # bounded: 20 s
                if await sim.mailbox_flag("plc1") == 1:
                    break
                await asyncio.sleep(0.05)
            assert await sim.mailbox_flag("plc1") == 1, "the 9999 record is acknowledged"
            await sim.post_mailbox("plc1", "conv12", "Next record", later)
            await wait_until(lambda: len(_rows(scada_uri)) == 2, timeout=20, what="next record")
            for _ in range(400):  # bounded: 20 s
                if await sim.mailbox_flag("plc1") == 1:
                    break
                await asyncio.sleep(0.05)
            assert await sim.mailbox_flag("plc1") == 1, "the next record is acknowledged"

    before = datetime.now(timezone.utc)
    asyncio.run(scenario())
    (equipment, text, occurred_at, payload), second = _rows(scada_uri)
    assert (equipment, text) == ("silo101", "Clock at 9999")
    assert before - timedelta(seconds=1) <= occurred_at <= datetime.now(timezone.utc)
    assert payload["time_registers"] == [0x9999, 0x12, 0x31, 0x23, 0x30, 0x00]
    assert "outside the years 1..9999 in UTC" in payload["time_note"]
    assert second[:3] == ("conv12", "Next record", later.astimezone(timezone.utc))
    said = [r.getMessage() for r in caplog.records if "mailbox time" in r.getMessage()]
    assert said == [
        "PLC 'plc1' mailbox time holding_register 115..120 (0x9999 0x0012 0x0031 0x0023 "
        "0x0030 0x0000) is not a usable date: 9999-12-31 23:30:00 in America/New_York is "
        "outside the years 1..9999 in UTC (date value out of range): stored with the "
        "poller's clock, the PLC's words kept in payload.time_registers; check the PLC's "
        "clock and the program that writes the mailbox (1 record(s) with a substitute so far)"
    ]


# -- the property: any words, any zone -------------------------------------------------

ZONES = ("UTC", "America/New_York", "Asia/Jakarta", "Pacific/Kiritimati", "Etc/GMT+12")
BLOCK = 25  # flag 100, equipment 101-104, text 105-114, time 115-120, code 121-124


class _Driver:
    """The PLC side of the mailbox: one block of words; records the flag writes."""

    def __init__(self, words: list[int]) -> None:
        self.words = words
        self.writes: list[tuple[str, int, int]] = []

    async def read_words(self, area: str, address: int, count: int) -> list[int]:
        return self.words[address - 100 : address - 100 + count]

    async def write_word(self, area: str, address: int, value: int) -> None:
        self.writes.append((area, address, value))

    def close(self) -> None:
        pass


class _Writer:
    """Takes every event at once, as a database that always answers would."""

    def __init__(self) -> None:
        self.events: list = []

    def submit(self, events, *, durable=False):
        self.events += events
        future = asyncio.get_running_loop().create_future()
        future.set_result("database")
        return future


def _watch(zone: str, byte_order: str, words: list[int]) -> tuple[MailboxWatch, _Driver, _Writer]:
    box = Mailbox(
        flag=100,
        equipment=Span(101, 4),
        text=Span(105, 10),
        time=115,
        failure_code=Span(121, 4),
        clock_timezone=zone,
        byte_order=byte_order,
        area=HOLDING_REGISTER,
    )
    plc = Plc(name="plc1", host="127.0.0.1", mailbox=box)
    driver, writer = _Driver(words), _Writer()
    return MailboxWatch(plc, driver, writer), driver, writer  # type: ignore[arg-type]


def _swap(word: int) -> int:
    return (word & 0xFF) << 8 | word >> 8


#: Time words: anything at all, BCD digits around every edge of a date, or a real date
#: anywhere in years 1..9999 (often in the last day of 9999 or the first of year 100).
_WORD = st.integers(0, 0xFFFF)
_BCD = st.sampled_from([0, 1, 12, 13, 23, 24, 28, 29, 30, 31, 32, 59, 60, 99, 100, 2026, 9999])
_TIME = st.one_of(
    st.lists(_WORD, min_size=6, max_size=6),
    st.lists(_BCD.map(encode_bcd), min_size=6, max_size=6),
    st.datetimes().map(bcd_time_registers),
    st.datetimes(min_value=datetime(9999, 12, 31)).map(bcd_time_registers),
    st.datetimes(max_value=datetime(100, 1, 1, 12)).map(bcd_time_registers),
)


@st.composite
def _records(draw):
    zone = draw(st.sampled_from(ZONES))
    byte_order = draw(st.sampled_from(["big", "little"]))
    words = draw(st.lists(_WORD, min_size=BLOCK, max_size=BLOCK))
    time = draw(_TIME)
    if byte_order == "little":
        time = [_swap(w) for w in time]
    words[0] = 0  # flag 0: a record waits
    words[15:21] = time
    if draw(st.booleans()):  # a readable failure code, sometimes one meaning "no failure"
        code = draw(st.sampled_from(["START_FAILURE", "START_FAILURE", "NONE", "", "0"]))
        words[21:25] = encode_ascii(code, 4, byte_order)
    return zone, byte_order, words


#: The record of the issue: the last second of year 9999, twelve hours west of UTC.
_YEAR_9999 = (
    [0] * 15 + bcd_time_registers(datetime(9999, 12, 31, 23, 59, 59)) + encode_ascii("START", 4)
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
@example(("Etc/GMT+12", "big", _YEAR_9999))
def test_any_words_in_any_zone_are_stored_or_ignored_and_always_acknowledged(record):
    """Every record the layout allows: the mailbox never raises, stores one event the
    spool can write (or none for a "no failure" code), and writes its flag once."""
    zone, byte_order, words = record
    watch, driver, writer = _watch(zone, byte_order, words)

    async def cycle():
        before = datetime.now(timezone.utc)
        await watch.handle(await watch.read(0))
        return before

    before = asyncio.run(cycle())
    assert driver.writes == [(HOLDING_REGISTER, 100, 1)]
    assert len(writer.events) <= 1
    for event in writer.events:
        json.dumps(event_to_json(event))  # what the spool writes
        assert event.occurred_at.tzinfo is not None
        assert "content_note" not in event.payload  # every field converts: no raw fallback
        if "time_note" in event.payload:
            assert before <= event.occurred_at <= datetime.now(timezone.utc)
            assert event.payload["time_registers"] == words[15:21]


def test_a_record_that_cannot_be_converted_at_all_is_stored_raw_and_acknowledged(
    monkeypatch, caplog
):
    """The safety net behind the property: any other conversion failure (here the ASCII
    decoder failing) stores the record as its raw words instead of blocking the PLC."""
    words = [0] + encode_ascii("silo101", 4) + [0] * 10 + bcd_time_registers(datetime(2026, 1, 2))
    words += [0] * (BLOCK - len(words))
    watch, driver, writer = _watch("UTC", "big", words)

    def broken(*_args, **_kwargs):
        raise RuntimeError("decoder broke")

    monkeypatch.setattr(mailbox_module, "decode_ascii", broken)
    caplog.set_level(logging.WARNING, logger="scada_bridge")

    async def cycle():
        await watch.handle(await watch.read(0))

    asyncio.run(cycle())
    assert driver.writes == [(HOLDING_REGISTER, 100, 1)]
    (event,) = writer.events
    assert event.equipment_code == "plc1:unknown"
    assert event.payload["block_registers"] == words
    assert "RuntimeError: decoder broke" in event.payload["content_note"]
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == [
        "PLC 'plc1' mailbox record holding_register 100..124 could not be converted "
        "(RuntimeError: decoder broke): stored as equipment 'plc1:unknown' with its words "
        "in the payload; check the [plc.mailbox] layout against the PLC program "
        "(1 record(s) with a substitute so far)"
    ]
    assert watch.substituted == 1
