"""The mailbox: record stored, flag written only after the event is durable.

The database is made to fail for real through a TCP proxy (stalled or
stopped); the spool is made unwritable by putting a directory where its file
goes. Real Modbus TCP server, real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from scada_bridge.config import HOLDING_REGISTER
from scada_bridge.plc.registers import encode_ascii

from tests.poller_fixtures import (
    ModbusWriteFault,
    Running,
    config_text,
    free_port,
    plc_block,
    polls_of,
    rows,
    settle,
    simulated,
    wait_until,
    write_config,
)

MAILBOX = """
[plc.mailbox]
flag = 100
equipment = { address = 101, registers = 4 }
text = { address = 105, registers = 10 }
time = 115
severity = "critical"
clock_timezone = "Europe/Paris"
"""

PARIS = ZoneInfo("Europe/Paris")


def _config(tmp_path, uri, port):
    return write_config(
        tmp_path / "plant.toml",
        config_text(uri, tmp_path / "state", plc_block("plc1", port, MAILBOX)),
    )


def _mailbox_rows(uri):
    return rows(
        uri,
        "SELECT equipment_code, description, occurred_at, severity, failure_code, payload"
        " FROM scada.equipment_failure ORDER BY id",
    )


async def _wait_flag(sim, value: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while await sim.mailbox_flag("plc1") != value:
        if time.monotonic() > deadline:
            raise AssertionError(f"mailbox flag did not become {value} within {timeout} s")
        await asyncio.sleep(0.02)


def test_record_is_stored_with_plc_time_then_acknowledged_once(tmp_path, scada_uri):
    port = free_port()
    config = _config(tmp_path, scada_uri, port)
    when = datetime(2026, 3, 1, 14, 5, 9, tzinfo=PARIS)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await sim.post_mailbox("plc1", "silo101", "Motor overload", when)
            await wait_until(lambda: _mailbox_rows(scada_uri), what="the mailbox event")
            await _wait_flag(sim, 1)
            await settle(running, 5)  # flag stays 1: nothing more is stored
            assert len(_mailbox_rows(scada_uri)) == 1
            await sim.post_mailbox("plc1", "conv12", "Belt torn", when + timedelta(minutes=1))
            await wait_until(lambda: len(_mailbox_rows(scada_uri)) == 2, what="second record")

    asyncio.run(scenario())
    first, second = _mailbox_rows(scada_uri)
    assert first[:2] == ("silo101", "Motor overload")
    assert first[2] == datetime(2026, 3, 1, 13, 5, 9, tzinfo=timezone.utc)  # Paris is UTC+1
    assert first[3:5] == ("critical", "PLC_REPORTED")
    assert first[5]["source"] == "mailbox"
    assert first[5]["time_registers"] == [0x2026, 0x03, 0x01, 0x14, 0x05, 0x09]
    assert second[:2] == ("conv12", "Belt torn")


def test_flag_stays_0_while_the_database_write_is_stalled(tmp_path, scada_uri, db_proxy):
    port = free_port()
    config = _config(tmp_path, db_proxy.via(scada_uri), port)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await settle(running, 2)
            (loop,), writer = running.poller.loops, running.poller.writer
            db_proxy.pause()  # the INSERT will hang on the wire, like a stalled link
            try:
                submitted = writer.submitted
                await sim.post_mailbox("plc1", "silo101", "Stalled write")
                await wait_until(lambda: writer.submitted > submitted, what="record read")
                cycles = loop.cycles
                await wait_until(lambda: db_proxy.held, what="the writer stuck on the wire")
                # The loop waits for durability: no poll completes, nothing is acknowledged.
                assert loop.cycles == cycles
                flag = await sim.mailbox_flag("plc1")
                assert flag == 0, "acknowledged before the event is durable"
                assert _mailbox_rows(scada_uri) == []
            finally:
                db_proxy.resume()  # else the stuck writer thread would hang the test
            await _wait_flag(sim, 1)
            # Flag 1 seen: the committed row must already be visible.
            assert [r[1] for r in _mailbox_rows(scada_uri)] == ["Stalled write"]

    asyncio.run(scenario())


def test_database_down_record_spooled_and_acknowledged_then_delivered(
    tmp_path, scada_uri, db_proxy
):
    port = free_port()
    config = _config(tmp_path, db_proxy.via(scada_uri), port)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await settle(running, 2)
            db_proxy.stop()  # database unreachable: connections cut, new ones refused
            await sim.post_mailbox("plc1", "silo101", "While DB down")
            await _wait_flag(sim, 1)  # the PLC is not blocked by the database outage
            assert _mailbox_rows(scada_uri) == []
            assert "While DB down" in (tmp_path / "state" / "spool.jsonl").read_text()
            db_proxy.start()
            await wait_until(lambda: _mailbox_rows(scada_uri), what="spool flushed")
            await wait_until(
                lambda: (tmp_path / "state" / "spool.jsonl").read_text() == "",
                what="spool emptied",
            )

    asyncio.run(scenario())
    assert [r[1] for r in _mailbox_rows(scada_uri)] == ["While DB down"]


def test_flag_stays_0_when_neither_database_nor_spool_can_hold_the_event(
    tmp_path, scada_uri, db_proxy
):
    port = free_port()
    config = _config(tmp_path, db_proxy.via(scada_uri), port)
    spool = tmp_path / "state" / "spool.jsonl"

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await settle(running, 2)
            db_proxy.stop()
            spool.unlink()
            spool.mkdir()  # the spool file cannot be opened for writing any more
            await sim.post_mailbox("plc1", "silo101", "Nowhere to go")
            await polls_of(running.poller.loops[0], 10)
            assert await sim.mailbox_flag("plc1") == 0
            shutil.rmtree(spool)
            spool.touch()
            db_proxy.start()
            await _wait_flag(sim, 1)
            await wait_until(lambda: _mailbox_rows(scada_uri), what="event stored")

    asyncio.run(scenario())
    assert [r[1] for r in _mailbox_rows(scada_uri)] == ["Nowhere to go"]


def test_garbage_from_the_plc_is_stored_readably(tmp_path, scada_uri, caplog):
    port = free_port()
    config = _config(tmp_path, scada_uri, port)
    # Month 0x13 and a nibble 0xA: both impossible.
    bad_time = [0x2026, 0x0013, 0x0001, 0x001A, 0x0000, 0x0000]
    caplog.set_level(logging.WARNING, logger="scada_bridge")

    async def scenario():
        async with simulated(config) as sim, Running(config):
            # Bytes that are not printable ASCII (0x07 bell, 0xFF); flag 0 written last.
            await sim.write("plc1", HOLDING_REGISTER, 101, [0x5349, 0x0731, 0xFF30, 0x3100])
            await sim.write("plc1", HOLDING_REGISTER, 105, encode_ascii("Jam\tnow", 10))
            await sim.write("plc1", HOLDING_REGISTER, 115, bad_time)
            await sim.write("plc1", HOLDING_REGISTER, 100, [0])
            await wait_until(lambda: _mailbox_rows(scada_uri), what="the event")

    before = datetime.now(timezone.utc)
    asyncio.run(scenario())
    (equipment, text, occurred_at, _, _, payload), *_ = _mailbox_rows(scada_uri)
    assert equipment == "SI?1?01"
    assert text == "Jam?now"
    assert before - timedelta(seconds=1) <= occurred_at <= datetime.now(timezone.utc)
    assert payload["time_registers"] == bad_time
    assert "poller's clock" in payload["time_note"]
    assert any("not a valid BCD date" in r.getMessage() for r in caplog.records)


def test_same_record_presented_again_is_not_a_second_failure(tmp_path, scada_uri):
    """An acknowledgement lost (or a poller crash before it) makes the PLC offer the record
    again: same content and PLC time, same event_uid, one row."""
    port = free_port()
    config = _config(tmp_path, scada_uri, port)
    when = datetime(2026, 3, 1, 14, 5, 9, tzinfo=PARIS)

    async def scenario():
        async with simulated(config) as sim:
            async with Running(config):
                await sim.post_mailbox("plc1", "silo101", "Motor overload", when)
                await _wait_flag(sim, 1)
            await sim.write("plc1", HOLDING_REGISTER, 100, [0])  # offered again
            async with Running(config):
                await _wait_flag(sim, 1)
                # A new record a second later is a new failure.
                await sim.post_mailbox(
                    "plc1", "silo101", "Motor overload", when + timedelta(seconds=1)
                )
                await wait_until(lambda: len(_mailbox_rows(scada_uri)) == 2, what="new record")

    asyncio.run(scenario())
    assert [r[2].second for r in _mailbox_rows(scada_uri)] == [9, 10]


@pytest.mark.parametrize("fault", ["refuse", "cut"])
def test_a_flag_write_refused_or_cut_is_retried_and_never_makes_a_second_event(
    tmp_path, scada_uri, fault, caplog
):
    """The event is durable before the flag write; a write the PLC refuses (Modbus
    exception) or a link that dies on it is retried at the next polls, and the
    record is never stored twice, even without a usable PLC time (a fresh uid)."""
    plc_port = free_port()
    plc_side = _config(tmp_path, scada_uri, plc_port)
    hop = ModbusWriteFault(plc_port)
    poller_side = write_config(
        tmp_path / "poller.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", hop.port, MAILBOX)),
    )
    caplog.set_level(logging.INFO, logger="scada_bridge")

    async def scenario():
        async with simulated(plc_side) as sim:
            await hop.start()
            hop.mode = fault
            try:
                async with Running(poller_side) as running:
                    await sim.write("plc1", HOLDING_REGISTER, 101, encode_ascii("silo101", 4))
                    await sim.write("plc1", HOLDING_REGISTER, 105, encode_ascii("Overload", 10))
                    await sim.write("plc1", HOLDING_REGISTER, 115, [0x2026, 0x13, 1, 0, 0, 0])
                    await sim.write("plc1", HOLDING_REGISTER, 100, [0])
                    await wait_until(lambda: _mailbox_rows(scada_uri), what="the event")
                    await wait_until(lambda: hop.faulted >= 3, timeout=60, what="3 failed acks")
                    await settle(running, 3)
                    assert await sim.mailbox_flag("plc1") == 0
                    assert len(_mailbox_rows(scada_uri)) == 1
                    hop.mode = "pass"
                    await _wait_flag(sim, 1)
                    await settle(running, 3)
            finally:
                await hop.stop()

    asyncio.run(scenario())
    assert [r[:2] for r in _mailbox_rows(scada_uri)] == [("silo101", "Overload")]
    assert hop.passed == 1  # one acknowledgement reached the PLC, once it could
    stored = [r.getMessage() for r in caplog.records if "from its mailbox" in r.getMessage()]
    assert len(stored) == 1, stored  # handed to the writer once, not once per retry
    warned = [
        r.getMessage()
        for r in caplog.records
        if "mailbox flag" in r.getMessage() and r.levelno == logging.WARNING
    ]
    # Said once for the record, not once per failed poll (at least 3 failed here).
    assert len(warned) == 1 and "record is stored" in warned[0], warned
    assert any("acknowledged after" in r.getMessage() for r in caplog.records)
