"""The plant's Omron mailbox read over FINS/UDP and FINS/TCP, and the same mailbox on Modbus.

Real FINS frames on 127.0.0.1 (the simulator's FINS server), real Modbus TCP,
real PostgreSQL. The record is the one the issue describes: silo101 /
START_FAILURE written at 2026-02-23 20:22:35 in Asia/Jakarta (WIB, UTC+7).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

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

WIB = ZoneInfo("Asia/Jakarta")
WRITTEN = datetime(2026, 2, 23, 20, 22, 35, tzinfo=WIB)

FINS_MAILBOX = """
[plc.mailbox]
area = "DM"
flag = 8022
equipment = { address = 8000, registers = 8 }
failure_code = { address = 8008, registers = 8 }
time = 8016
clock_timezone = "Asia/Jakarta"
"""

MODBUS_MAILBOX = """
[plc.mailbox]
flag = 122
equipment = { address = 100, registers = 8 }
failure_code = { address = 108, registers = 8 }
time = 116
clock_timezone = "Asia/Jakarta"
"""


def fins_block(
    name: str,
    port: int,
    body: str,
    *,
    transport: str = "udp",
    node: int | None = None,
    interval: float = 0.05,
    timeout: float = 0.3,
    retries: int = 0,
) -> str:
    return f"""
[[plc]]
name = "{name}"
protocol = "fins"
fins_transport = "{transport}"
host = "127.0.0.1"
port = {port}
{f"fins_node = {node}" if node is not None else ""}
interval = {interval}
timeout = {timeout}
retries = {retries}
{body}
"""


def _rows(uri):
    return rows(
        uri,
        "SELECT equipment_code, failure_code, occurred_at, description, kind, device, payload"
        " FROM scada.equipment_failure ORDER BY id",
    )


async def _flag(sim, plc: str, value: int, what: str) -> None:
    for _ in range(500):  # at most 10 s
        if await sim.mailbox_flag(plc) == value:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"mailbox flag of {plc} never became {value} ({what})")


def _plant(tmp_path, uri, block: str):
    return write_config(tmp_path / "plant.toml", config_text(uri, tmp_path / "state", block))


def _stored_then_acknowledged(config, uri, plc: str) -> None:
    """silo101 START_FAILURE stored once with the PLC's time; flag 1 only once durable;
    then a NO_FAILURE record: acknowledged, no event."""

    async def scenario():
        async with simulated(config) as sim, Running(config):
            await sim.post_mailbox(plc, "silo101", failure_code="START_FAILURE", when=WRITTEN)
            while await sim.mailbox_flag(plc) == 0:  # bounded by the timeout below
                await asyncio.sleep(0.005)
            # The moment the PLC sees its flag at 1, the event is already committed.
            assert len(await asyncio.to_thread(_rows, uri)) == 1
            await sim.post_mailbox(plc, "silo101", failure_code="NO_FAILURE", when=WRITTEN)
            await _flag(sim, plc, 1, "NO_FAILURE record acknowledged")
            await sim.post_mailbox(plc, "conv12", failure_code="MOTOR_FAILURE")
            await _flag(sim, plc, 1, "third record acknowledged")
            await wait_until(lambda: len(_rows(uri)) == 2, what="the MOTOR_FAILURE event")

    asyncio.run(asyncio.wait_for(scenario(), 60))
    first, second = _rows(uri)
    assert first[:5] == (
        "silo101",
        "START_FAILURE",
        datetime(2026, 2, 23, 13, 22, 35, tzinfo=timezone.utc),
        "START_FAILURE",  # no text registers: the description is the failure code
        "raised",
    )
    assert first[5] == plc
    assert first[6]["time_registers"] == [0x2026, 0x02, 0x23, 0x20, 0x22, 0x35]
    assert second[:2] == ("conv12", "MOTOR_FAILURE")  # NO_FAILURE made no event in between


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_fins_mailbox_record_stored_with_plc_time_acknowledged_after_durable(
    tmp_path, scada_uri, transport, caplog
):
    caplog.set_level(logging.INFO, logger="scada_bridge")
    config = _plant(
        tmp_path, scada_uri, fins_block("omron1", free_port(), FINS_MAILBOX, transport=transport)
    )
    _stored_then_acknowledged(config, scada_uri, "omron1")
    ignored = [r.getMessage() for r in caplog.records if "in ignore" in r.getMessage()]
    assert len(ignored) == 1 and "'NO_FAILURE'" in ignored[0], ignored


def test_modbus_mailbox_with_failure_code_registers(tmp_path, scada_uri):
    config = _plant(tmp_path, scada_uri, plc_block("line1", free_port(), MODBUS_MAILBOX))
    _stored_then_acknowledged(config, scada_uri, "line1")


@pytest.mark.parametrize("block", ["fins", "modbus"])
def test_flag_stays_0_while_the_database_write_is_stalled(tmp_path, scada_uri, db_proxy, block):
    port = free_port()
    body = (
        fins_block("p", port, FINS_MAILBOX)
        if block == "fins"
        else plc_block("p", port, MODBUS_MAILBOX)
    )
    config = _plant(tmp_path, db_proxy.via(scada_uri), body)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            (loop,) = running.poller.loops
            await wait_until(lambda: loop.cycles >= 2, what="two polls")
            writer = running.poller.writer
            db_proxy.pause()  # the INSERT hangs on the wire, like a stalled link
            try:
                submitted = writer.submitted
                await sim.post_mailbox("p", "silo101", failure_code="START_FAILURE")
                await wait_until(lambda: writer.submitted > submitted, what="record read")
                cycles = loop.cycles
                await wait_until(lambda: db_proxy.held, what="the writer stuck on the wire")
                assert loop.cycles == cycles  # the loop waits for durability, no poll done
                assert await sim.mailbox_flag("p") == 0, "acknowledged before the event is durable"
            finally:
                db_proxy.resume()
            await _flag(sim, "p", 1, "acknowledged once stored")
            assert [r[:2] for r in _rows(scada_uri)] == [("silo101", "START_FAILURE")]

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_fins_plc_that_does_not_answer_does_not_slow_the_others(tmp_path, scada_uri):
    port = free_port()
    # The simulator answers node 1 only: node 9 on the same port never gets an answer,
    # like a wrong node number or a PLC switched off behind a switch.
    config = _plant(
        tmp_path,
        scada_uri,
        fins_block("good", port, FINS_MAILBOX, interval=0.05)
        + fins_block("dead", port, FINS_MAILBOX, node=9, timeout=0.5, retries=1),
    )
    sim_cfg = dataclasses.replace(config, plcs=(config.plc("good"),))
    status = "SELECT device, state, last_error FROM scada.plc_status ORDER BY device"

    async def scenario():
        async with simulated(sim_cfg) as sim, Running(config) as running:
            good, dead = running.poller.loops
            await wait_until(lambda: good.cycles >= 1, what="first poll of the good PLC")
            start = good.cycles
            # Each failed poll of the dead PLC waits 2 x 0.5 s for an answer; three of them
            # (plus backoff) take > 3 s, in which the good PLC polls every 0.05 s.
            await wait_until(
                lambda: dead.status.consecutive_failures >= 3, timeout=30, what="dead PLC down"
            )
            assert good.cycles - start >= 20, good.cycles - start
            await sim.post_mailbox("good", "silo101", failure_code="START_FAILURE")
            await _flag(sim, "good", 1, "good PLC acknowledged")
            await wait_until(
                lambda: [r[:2] for r in rows(scada_uri, status)]
                == [("dead", "unreachable"), ("good", "ok")],
                what="statuses",
            )
            return rows(scada_uri, status)

    statuses = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert [r[:2] for r in statuses] == [("dead", "unreachable"), ("good", "ok")]
    assert "no answer on FINS/UDP" in statuses[0][2]
    assert "fins_node = 9" in statuses[0][2]
    assert [r[:2] for r in _rows(scada_uri)] == [("silo101", "START_FAILURE")]


def test_unusable_plc_time_is_stored_once_across_a_restart_before_the_ack(tmp_path, scada_uri):
    """Issue 9.9: A0-A447 are read-only on a CS/CJ CPU, so the acknowledgement of a
    mailbox there is refused (end code 2101): the record stays offered, the poller is
    restarted, and the record (time unusable, so no uid from its words) is not stored twice."""
    mailbox = FINS_MAILBOX.replace('area = "DM"', 'area = "A"').replace("80", "1")
    config = _plant(tmp_path, scada_uri, fins_block("omron1", free_port(), mailbox))
    bad_time = [0x2026, 0x0013, 0x0001, 0x001A, 0x0000, 0x0000]  # month 13: unusable

    async def scenario():
        async with simulated(config) as sim:
            await sim.post_mailbox(
                "omron1", "silo101", failure_code="START_FAILURE", time_registers=bad_time
            )
            async with Running(config):
                await wait_until(lambda: _rows(scada_uri), what="the event")
            assert await sim.mailbox_flag("omron1") == 0  # the ack was refused
            async with Running(config) as running:
                (loop,) = running.poller.loops
                before = loop.cycles
                await wait_until(lambda: loop.cycles >= before + 5, what="five more polls")
            assert len(await asyncio.to_thread(_rows, scada_uri)) == 1, "stored twice"
            # The PLC now takes the flag itself: the next record is a new failure.
            await sim.write("omron1", "A", 122, [1])
            async with Running(config) as running:
                (loop,) = running.poller.loops
                await wait_until(lambda: loop.cycles >= 1, what="the flag seen at 1")
                await sim.post_mailbox(
                    "omron1", "silo101", failure_code="START_FAILURE", time_registers=bad_time
                )
                await wait_until(lambda: len(_rows(scada_uri)) == 2, what="the second record")

    asyncio.run(asyncio.wait_for(scenario(), 90))
    first, second = _rows(scada_uri)
    assert first[6]["time_registers"] == bad_time and "time_note" in first[6]
    assert second[:2] == ("silo101", "START_FAILURE")
    # The second record is stored but still not acknowledged: its uid waits on disk.
    assert (tmp_path / "state" / "mailbox-omron1.json").exists()


def test_the_record_is_read_in_one_request_even_with_its_parts_apart(tmp_path, scada_uri):
    """max_gap = 0 would read parts with holes between them in separate requests, where a
    record rewritten between two of them would be stored half old, half new. The poll reads
    the flag alone; the record, flag included, comes in one more request. Counted at the
    simulator: every request it served is a flag read per poll, plus one record read and
    one acknowledgement write."""
    mailbox = """
[plc.mailbox]
flag = 8030
equipment = { address = 8000, registers = 8 }
failure_code = { address = 8010, registers = 8 }
time = 8020
clock_timezone = "Asia/Jakarta"
"""
    port = free_port()
    config = _plant(tmp_path, scada_uri, fins_block("omron1", port, mailbox, interval=0.05))
    config = dataclasses.replace(config, plcs=(dataclasses.replace(config.plcs[0], max_gap=0),))

    async def scenario():
        async with simulated(config) as sim:
            running = Running(config)
            async with running:
                (loop,) = running.poller.loops
                await wait_until(lambda: loop.cycles >= 3, what="three polls")
                await sim.post_mailbox(
                    "omron1", "silo101", failure_code="START_FAILURE", when=WRITTEN
                )
                await _flag(sim, "omron1", 1, "acknowledged")
            # Stopped: every poll has ended, so the counts are final.
            return loop.cycles, sim.fins_servers[port].requests

    cycles, requests = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert requests == cycles + 2, (cycles, requests)
    (row,) = _rows(scada_uri)
    assert row[:2] == ("silo101", "START_FAILURE")


def test_a_record_without_plc_time_waits_in_the_plc_while_its_uid_cannot_be_saved(
    tmp_path, scada_uri, caplog
):
    config = _plant(tmp_path, scada_uri, fins_block("omron1", free_port(), FINS_MAILBOX))
    blocker = tmp_path / "state" / "mailbox-omron1.tmp"
    bad_time = [0x2026, 0x0013, 0x0001, 0x0000, 0x0000, 0x0000]
    caplog.set_level(logging.WARNING, logger="scada_bridge")

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            (loop,) = running.poller.loops
            blocker.mkdir()  # the uid file cannot be written
            await sim.post_mailbox(
                "omron1", "silo101", failure_code="START_FAILURE", time_registers=bad_time
            )
            before = loop.cycles
            await wait_until(lambda: loop.cycles >= before + 5, what="five polls")
            assert await sim.mailbox_flag("omron1") == 0  # not acknowledged: nothing lost
            assert _rows(scada_uri) == []
            blocker.rmdir()
            await _flag(sim, "omron1", 1, "stored once the uid is saved")

    asyncio.run(asyncio.wait_for(scenario(), 60))
    assert [r[:2] for r in _rows(scada_uri)] == [("silo101", "START_FAILURE")]
    said = [r for r in caplog.records if "cannot save the mailbox record's uid" in r.getMessage()]
    assert len(said) == 1  # once for the record, not once per poll
