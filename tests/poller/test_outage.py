"""Outages: the SCADA database down (spool, order, restart in between), a PLC dead or slow.

The database is taken away for real through a TCP proxy; the slow PLC is a
TCP server that accepts connections and never answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from scada_bridge.simulator.server import Simulator

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

THREE_COILS = "".join(
    f"""
[[plc.condition]]
equipment = "eq{i}"
failure_code = "F{i}"
description = "failure {i}"
table = "coil"
address = {i}
"""
    for i in range(3)
)


def _three_coil_plant(tmp_path, uri: str, port: int):
    """plc1 on ``port`` watching coils 0..2 (eq0..eq2), storing into ``uri``."""
    return write_config(
        tmp_path / "plant.toml",
        config_text(uri, tmp_path / "state", plc_block("plc1", port, THREE_COILS)),
    )


def _spooled(tmp_path) -> int:
    text = (tmp_path / "state" / "spool.jsonl").read_text()
    return len(text.splitlines())


def _history(uri):
    """(kind, equipment, raise_uid -> index of the raise it ends) in id order."""
    out = []
    result = rows(uri)
    uids = [r[3] for r in result]
    for kind, equipment, _, _, raise_uid, _, _ in result:
        out.append((kind, equipment, uids.index(raise_uid) if raise_uid else None))
    return out


def test_database_down_spool_survives_restart_and_flushes_in_order(tmp_path, scada_uri, db_proxy):
    port = free_port()
    uri = db_proxy.via(scada_uri)
    config = _three_coil_plant(tmp_path, uri, port)

    async def scenario():
        async with simulated(config) as sim:
            async with Running(config) as running:
                await settle(running, 2)
                db_proxy.stop()
                for equipment, code, active, n in (
                    ("eq0", "F0", True, 1),
                    ("eq1", "F1", True, 2),
                    ("eq0", "F0", False, 3),
                ):
                    await sim.set_condition("plc1", equipment, code, active)
                    await wait_until(lambda n=n: _spooled(tmp_path) == n, what=f"{n} spooled")
            # Restarted while the database is still down: eq1 stays active, no new raise.
            async with Running(config) as running:
                await settle(running, 8)
                assert _spooled(tmp_path) == 3
                await sim.set_condition("plc1", "eq2", "F2", True)
                await wait_until(lambda: _spooled(tmp_path) == 4, what="4th event spooled")
                await sim.set_condition("plc1", "eq1", "F1", False)
                await wait_until(lambda: _spooled(tmp_path) == 5, what="5th event spooled")
                assert rows(scada_uri) == []
                db_proxy.start()
                await wait_until(lambda: len(rows(scada_uri)) == 5, what="spool flushed")
                await wait_until(lambda: _spooled(tmp_path) == 0, what="spool emptied")

    asyncio.run(scenario())
    assert _history(scada_uri) == [
        ("raised", "eq0", None),
        ("raised", "eq1", None),
        ("cleared", "eq0", 0),
        ("raised", "eq2", None),
        ("cleared", "eq1", 1),  # the clear after the restart still points at its raise
    ]


def test_spool_left_at_stop_is_flushed_at_next_start_without_duplicates(
    tmp_path, scada_uri, db_proxy
):
    port = free_port()
    uri = db_proxy.via(scada_uri)
    config = _three_coil_plant(tmp_path, uri, port)

    async def scenario():
        async with simulated(config) as sim:
            async with Running(config):
                await sim.set_condition("plc1", "eq0", "F0", True)
                await wait_until(lambda: len(rows(scada_uri)) == 1, what="direct insert")
                db_proxy.stop()
                await sim.set_condition("plc1", "eq1", "F1", True)
                await wait_until(lambda: _spooled(tmp_path) == 1, what="spooled")
            db_proxy.start()
            async with Running(config) as running:
                await wait_until(lambda: len(rows(scada_uri)) == 2, what="flushed at start")
                await settle(running, 8)  # eq0 and eq1 still active: no second raise

    asyncio.run(scenario())
    assert _history(scada_uri) == [("raised", "eq0", None), ("raised", "eq1", None)]


async def _black_hole(port: int) -> asyncio.AbstractServer:
    """A 'PLC' that accepts TCP and never answers: the slow-PLC case."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.read(1024):
                pass
        finally:
            writer.close()

    return await asyncio.start_server(swallow, "127.0.0.1", port)


def test_dead_plc_never_delays_another_and_reconnects(tmp_path, scada_uri, caplog):
    good_port, dead_port = free_port(), free_port()
    one = """
[[plc.condition]]
equipment = "eq"
failure_code = "F"
description = "failure"
table = "coil"
address = 0
"""
    config = write_config(
        tmp_path / "plant.toml",
        config_text(
            scada_uri,
            tmp_path / "state",
            plc_block("good", good_port, one, interval=0.1, timeout=0.3),
            plc_block("slow", dead_port, one, interval=0.1, timeout=0.3),
        ),
    )
    good_cfg = dataclasses.replace(config, plcs=(config.plc("good"),))
    slow_cfg = dataclasses.replace(config, plcs=(config.plc("slow"),))
    caplog.set_level(logging.INFO, logger="scada_bridge")
    status = "SELECT device, state FROM scada.plc_status ORDER BY device"

    async def scenario():
        hole = await _black_hole(dead_port)
        async with simulated(good_cfg) as good, Running(config) as running:
            good_loop, slow_loop = running.poller.loops
            # 20 polls of the good PLC while the slow one never completes one: its
            # timeouts and backoff run beside the good loop, never in front of it.
            await polls_of(good_loop, 20)
            assert slow_loop.cycles == 0
            assert running.poller.statuses[1].consecutive_failures >= 1
            await wait_until(
                lambda: rows(scada_uri, status) == [("good", "ok"), ("slow", "unreachable")],
                what="statuses",
            )
            await good.set_condition("good", "eq", "F", True)
            await wait_until(lambda: len(rows(scada_uri)) == 1, what="event of the good PLC")
            # The slow PLC comes back as a real one: reconnected, polled, events flow.
            hole.close()
            await hole.wait_closed()
            slow = Simulator(slow_cfg)
            await slow.start()
            try:
                await slow.set_condition("slow", "eq", "F", True)
                await wait_until(lambda: len(rows(scada_uri)) == 2, what="event of the slow PLC")
                await wait_until(
                    lambda: rows(scada_uri, status) == [("good", "ok"), ("slow", "ok")],
                    what="slow PLC ok again",
                )
            finally:
                await slow.stop()

    asyncio.run(scenario())
    assert [(r[5], r[0]) for r in rows(scada_uri)] == [("good", "raised"), ("slow", "raised")]
    # One line when it went down, one when it came back: no flood while it stayed down.
    slow_lines = [r.getMessage() for r in caplog.records if "'slow'" in r.getMessage()]
    assert sum("is unreachable" in m for m in slow_lines) == 1, slow_lines
    assert sum("ok again" in m for m in slow_lines) == 1, slow_lines


def test_condition_events_wait_in_order_when_neither_database_nor_spool_works(
    tmp_path, scada_uri, db_proxy
):
    """Database down and the spool unwritable (a directory where its file goes):
    the raise and its clear are kept and stored, in order, once the spool works again."""
    port = free_port()
    uri = db_proxy.via(scada_uri)
    config = _three_coil_plant(tmp_path, uri, port)
    spool = tmp_path / "state" / "spool.jsonl"

    async def scenario():
        async with simulated(config) as sim, Running(config) as running:
            await settle(running, 2)
            db_proxy.stop()
            spool.unlink()
            spool.mkdir()
            (loop,) = running.poller.loops
            await sim.set_condition("plc1", "eq0", "F0", True)
            await polls_of(loop, 3)  # the raise is seen, and kept: nowhere to write it
            await sim.set_condition("plc1", "eq0", "F0", False)
            await polls_of(loop, 3)
            assert not spool.is_file() and rows(scada_uri) == []
            spool.rmdir()
            await wait_until(lambda: spool.is_file() and _spooled(tmp_path) == 2, what="spooled")
            db_proxy.start()
            await wait_until(lambda: len(rows(scada_uri)) == 2, what="stored")

    asyncio.run(scenario())
    assert _history(scada_uri) == [("raised", "eq0", None), ("cleared", "eq0", 0)]


def test_reconnection_backs_off_exponentially_up_to_the_cap(tmp_path, scada_uri):
    """A 'PLC' that accepts and hangs up at once: attempts get sparser, then steady at the cap."""
    port = free_port()
    config = write_config(
        tmp_path / "plant.toml",
        # backoff_initial 0.05, backoff_max 0.2 (tests.poller_fixtures.FAST_POLLER)
        config_text(scada_uri, tmp_path / "state", plc_block("plc1", port, THREE_COILS)),
    )
    attempts: list[float] = []

    async def scenario():
        loop = asyncio.get_running_loop()

        async def hang_up(_reader, writer):
            attempts.append(loop.time())
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", port)
        async with Running(config):
            await wait_until(lambda: len(attempts) >= 8, timeout=60, what="8 attempts")
        server.close()
        await server.wait_closed()

    asyncio.run(scenario())
    gaps = [b - a for a, b in zip(attempts, attempts[1:8], strict=False)]
    # Backoff 0.05, 0.1, 0.2, then 0.2 at the cap. A busy machine only makes a gap
    # longer, so the lower bounds hold under load; the cap shows as gaps that stop
    # doubling (0.4, 0.8, 1.6 would follow without it): the shortest of them stays near 0.2.
    assert all(g >= 0.045 for g in gaps), gaps
    assert all(g >= 0.18 for g in gaps[3:]), gaps  # at the cap
    assert min(gaps[3:]) < 0.39, gaps  # and not beyond it
