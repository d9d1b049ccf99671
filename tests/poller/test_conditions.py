"""Status conditions against a real Modbus TCP server and real PostgreSQL.

Edges only (raise once, clear once, nothing while steady), debounce, a clear
pointing at its raise, restart without a second raise, and plc_status.
"""

from __future__ import annotations

import asyncio
import logging

from pymodbus.client import AsyncModbusTcpClient
from scada_bridge.config import COIL, HOLDING_REGISTER

from tests.poller_fixtures import (
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

CONDITIONS = """
[[plc.condition]]
equipment = "silo101"
failure_code = "START_FAILURE"
description = "Motor did not start"
severity = "high"
table = "coil"
address = 2

[[plc.condition]]
equipment = "pump7"
failure_code = "DRY_RUN"
description = "Pump running dry"
table = "holding_register"
address = 10
when = "bit"
bit = 4
debounce = 4
"""


def _config(tmp_path, uri, port, interval=0.05):
    return write_config(
        tmp_path / "plant.toml",
        config_text(
            uri, tmp_path / "state", plc_block("plc1", port, CONDITIONS, interval=interval)
        ),
    )


def _events(uri):
    return [(k, e, f) for k, e, f, *_ in rows(uri)]


def test_edges_raise_once_clear_once_and_clear_points_at_raise(tmp_path, scada_uri):
    port = free_port()
    config = _config(tmp_path, scada_uri, port)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            # An ordinary Modbus client injects the fault, as a person would.
            client = AsyncModbusTcpClient("127.0.0.1", port=port)
            await client.connect()
            await client.write_coil(2, True, device_id=1)
            await wait_until(lambda: len(rows(scada_uri)) == 1, what="the raise")
            await settle(running, 10)  # 10 polls with the fault steady
            assert _events(scada_uri) == [("raised", "silo101", "START_FAILURE")]
            await client.write_coil(2, False, device_id=1)
            await wait_until(lambda: len(rows(scada_uri)) == 2, what="the clear")
            await settle(running, 5)
            client.close()
            assert await sim.read("plc1", COIL, 2) == [0]

    asyncio.run(scenario())
    raised, cleared = rows(scada_uri)
    assert raised[0] == "raised" and raised[4] is None
    assert cleared[0] == "cleared" and cleared[4] == raised[3]  # clear points at its raise
    assert raised[5] == "plc1" and raised[6]["source"] == "condition"
    assert raised[6]["table"] == "coil" and raised[6]["value"] is True


def test_debounce_ignores_chatter_shorter_than_n_polls(tmp_path, scada_uri):
    port = free_port()
    config = _config(tmp_path, scada_uri, port, interval=0.1)

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            (loop,) = running.poller.loops
            # Chatter: on for 1-2 polls (at least one poll starts after each change),
            # off again for as long, several times: never 4 polls in a row.
            for _ in range(4):
                await sim.set_condition("plc1", "pump7", "DRY_RUN", True)
                await polls_of(loop, 2)
                await sim.set_condition("plc1", "pump7", "DRY_RUN", False)
                await polls_of(loop, 2)
            await settle(running, 2)
            assert _events(scada_uri) == []
            # Other bits of the same status word do not matter.
            await sim.write("plc1", HOLDING_REGISTER, 10, [0b1101_1111])
            await wait_until(lambda: len(rows(scada_uri)) == 1, what="debounced raise")
            assert _events(scada_uri) == [("raised", "pump7", "DRY_RUN")]

    asyncio.run(scenario())


def test_restart_does_not_raise_an_active_failure_twice(tmp_path, scada_uri):
    port = free_port()
    config = _config(tmp_path, scada_uri, port)

    async def scenario():
        async with simulated(config) as sim:
            await sim.set_condition("plc1", "silo101", "START_FAILURE", True)
            async with Running(config):
                await wait_until(lambda: len(rows(scada_uri)) == 1, what="the raise")
            # Restarted with the fault still present: nothing new.
            async with Running(config) as running:
                await settle(running, 10)
                assert len(rows(scada_uri)) == 1
            # Cleared while the poller is down; the next one clears the recorded raise.
            await sim.set_condition("plc1", "silo101", "START_FAILURE", False)
            async with Running(config):
                await wait_until(lambda: len(rows(scada_uri)) == 2, what="the clear")

    asyncio.run(scenario())
    raised, cleared = rows(scada_uri)
    assert (raised[0], cleared[0]) == ("raised", "cleared")
    assert cleared[4] == raised[3]


def test_restart_uses_the_database_even_without_the_state_directory(tmp_path, scada_uri):
    """The database is the truth: a wiped state directory still gives no duplicate."""
    port = free_port()
    config = _config(tmp_path, scada_uri, port)

    async def scenario():
        async with simulated(config) as sim:
            await sim.set_condition("plc1", "silo101", "START_FAILURE", True)
            async with Running(config):
                await wait_until(lambda: len(rows(scada_uri)) == 1, what="the raise")
            for f in (tmp_path / "state").iterdir():
                f.unlink()
            async with Running(config) as running:
                await settle(running, 10)
        assert len(rows(scada_uri)) == 1

    asyncio.run(scenario())


def test_plc_status_says_ok_then_unreachable_since_when_and_why(tmp_path, scada_uri):
    port = free_port()
    config = _config(tmp_path, scada_uri, port)
    status_sql = (
        "SELECT state, state_since, last_error, consecutive_failures, last_success_at"
        " FROM scada.plc_status WHERE device = 'plc1'"
    )

    async def scenario():
        async with Running(config):
            async with simulated(config):
                await wait_until(
                    lambda: rows(scada_uri, status_sql)
                    and rows(scada_uri, status_sql)[0][0] == "ok",
                    what="state ok",
                )
            await wait_until(
                lambda: rows(scada_uri, status_sql)[0][0] == "unreachable"
                and rows(scada_uri, status_sql)[0][3] >= 2,
                what="state unreachable",
            )

    asyncio.run(scenario())
    state, since, error, failures, last_ok = rows(scada_uri, status_sql)[0]
    assert state == "unreachable"
    assert f"127.0.0.1:{port}" in error
    assert since > last_ok


def test_unreadable_bcd_value_keeps_the_state_and_logs_once(tmp_path, scada_uri, caplog):
    port = free_port()
    body = """
[[plc.condition]]
equipment = "press4"
failure_code = "PRESS_FAULT"
description = "Press fault number set"
table = "holding_register"
address = 5
type = "bcd"
"""
    config = write_config(
        tmp_path / "plant.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", port, body)),
    )
    caplog.set_level(logging.WARNING, logger="scada_bridge")

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await sim.write("plc1", HOLDING_REGISTER, 5, [0x0042])
            await wait_until(lambda: len(rows(scada_uri)) == 1, what="the raise")
            await sim.write("plc1", HOLDING_REGISTER, 5, [0x00A0])  # not BCD
            await settle(running, 10)
            assert len(rows(scada_uri)) == 1  # neither cleared nor raised again
            assert running.poller.statuses[0].state == "ok"
            await sim.write("plc1", HOLDING_REGISTER, 5, [0])
            await wait_until(lambda: len(rows(scada_uri)) == 2, what="the clear")

    asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if "0x00A0 is not BCD" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert not any(r.exc_info for r in caplog.records)


def test_plc_answering_with_an_exception_is_in_state_error_with_the_fix(tmp_path, scada_uri):
    """The poller reads an address the PLC does not have: state 'error', not 'unreachable'."""
    port = free_port()
    plc_side = _config(tmp_path, scada_uri, port)  # tables up to address 16
    wrong = CONDITIONS.replace("address = 10", "address = 600")
    poller_side = write_config(
        tmp_path / "wrong.toml",
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", port, wrong)),
    )
    status_sql = "SELECT state, last_error FROM scada.plc_status WHERE device = 'plc1'"

    async def scenario():
        async with simulated(plc_side), Running(poller_side):
            await wait_until(
                lambda: rows(scada_uri, status_sql)
                and rows(scada_uri, status_sql)[0][0] == "error",
                what="state error",
            )

    asyncio.run(scenario())
    state, error = rows(scada_uri, status_sql)[0]
    assert "exception 2 (illegal address)" in error  # name from pymodbus ExcCodes
    assert "holding_register 600..600" in error
    assert "check the addresses" in error
