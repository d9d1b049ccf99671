# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""OPC UA Alarms & Conditions into failures: a real asyncua server on 127.0.0.1, a real
SCADA database, the poller running its [[opcua]] source."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from scada_bridge.simulator.opcua import Alarm, OpcUaAlarmServer

from tests.poller_fixtures import FAST_POLLER, Running, free_port, rows, wait_until, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
ALARMS = [
    Alarm("Tank1", "HighLevel", 900, "Tank 1 level high"),
    Alarm("Pump2", "Trip", 400, "Pump 2 tripped"),
    Alarm("Mixer3", "Overload", 100, "Mixer 3 overload"),
]


def config(uri: str, tmp_path, endpoint: str) -> str:
    return (
        f'[database]\nuri = "{uri}"\nconnect_timeout = 5\nretry_max = 0.2\n'
        + FAST_POLLER.format(state_dir=tmp_path / "state")
        + f"""
[[opcua]]
name = "scada1"
endpoint = "{endpoint}"
timeout = 2
equipment_map = {{ Tank1 = "tank101" }}
"""
    )


def failures(uri: str) -> list[tuple]:
    return rows(
        uri,
        "SELECT kind, equipment_code, failure_code, severity, occurred_at, event_uid::text,"
        " raise_uid::text, payload FROM scada.equipment_failure ORDER BY id",
    )


def test_an_alarm_raised_and_cleared_is_one_failure_with_both_times(scada_uri, tmp_path):
    asyncio.run(_raise_and_clear(scada_uri, tmp_path))


async def _raise_and_clear(scada_uri, tmp_path):
    server = OpcUaAlarmServer(ALARMS, port=free_port())
    await server.start()
    try:
        cfg = write_config(tmp_path / "plant.toml", config(scada_uri, tmp_path, server.endpoint))
        async with Running(cfg) as running:
            source = running.poller.sources[0]
            await asyncio.wait_for(source.connected.wait(), 60)
            await server.raise_alarm("Tank1", "HighLevel", T0)
            await server.clear_alarm("Tank1", "HighLevel", T0 + timedelta(minutes=7))
            got = await wait_until(lambda: len(failures(scada_uri)) >= 2 and failures(scada_uri))
    finally:
        await server.stop()
    (k1, e1, f1, s1, t1, uid1, _, p1), (k2, e2, f2, _, t2, _, raise_uid, _) = got
    assert (k1, e1, f1, s1) == ("raised", "tank101", "HighLevel", "critical")
    assert (k2, e2, f2) == ("cleared", "tank101", "HighLevel")
    assert (t1, t2) == (T0, T0 + timedelta(minutes=7))
    assert raise_uid == uid1
    assert p1["protocol"] == "opcua" and p1["condition_id"].endswith("Tank1.HighLevel")


def test_a_poller_restart_while_alarms_change_is_reconciled_by_condition_refresh(
    scada_uri, tmp_path
):
    asyncio.run(_restart(scada_uri, tmp_path))


async def _restart(scada_uri, tmp_path):
    server = OpcUaAlarmServer(ALARMS, port=free_port())
    await server.start()
    try:
        cfg = write_config(tmp_path / "plant.toml", config(scada_uri, tmp_path, server.endpoint))
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            await server.raise_alarm("Tank1", "HighLevel", T0)
            await server.raise_alarm("Pump2", "Trip", T0 + timedelta(minutes=1))
            await wait_until(lambda: len(failures(scada_uri)) == 2, what="two raises")
        # The poller is away: one alarm ends, another starts.
        await server.clear_alarm("Tank1", "HighLevel", T0 + timedelta(minutes=2))
        await server.raise_alarm("Mixer3", "Overload", T0 + timedelta(minutes=3))
        before_restart = datetime.now(timezone.utc)
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            got = await wait_until(lambda: len(failures(scada_uri)) >= 4 and failures(scada_uri))
            await asyncio.sleep(0.5)  # nothing more comes (Pump2 is not raised again)
            got = failures(scada_uri)
    finally:
        await server.stop()
    assert [(k, e, f) for k, e, f, *_ in got] == [
        ("raised", "tank101", "HighLevel"),
        ("raised", "Pump2", "Trip"),
        ("raised", "Mixer3", "Overload"),
        ("cleared", "tank101", "HighLevel"),
    ], "refreshed: Mixer3 raised, Pump2 not twice, then tank101 cleared at RefreshEnd"
    mixer = next(r for r in got if r[1] == "Mixer3")
    assert mixer[4] == T0 + timedelta(minutes=3), "raised with its own time"
    assert mixer[3] == "low"
    clear = next(r for r in got if r[0] == "cleared")
    assert clear[7]["cleared_by"] == "refresh"
    assert clear[4] >= before_restart, "cleared at the refresh time"
    assert clear[6] == got[0][5], "the clear ends the raise stored before the restart"


def test_an_alarm_that_came_and_went_while_the_poller_was_away_is_read_from_history(
    scada_uri, tmp_path
):
    asyncio.run(_history(scada_uri, tmp_path))


async def _history(scada_uri, tmp_path):
    """ConditionRefresh lists only what is retained now; the event history has the rest."""
    server = OpcUaAlarmServer(ALARMS, port=free_port(), history=True)
    await server.start()
    try:
        cfg = write_config(tmp_path / "plant.toml", config(scada_uri, tmp_path, server.endpoint))
        # Times in the past: the history is read up to now (plus a margin for clock skew).
        now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=30)
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            await server.raise_alarm("Tank1", "HighLevel", now)
            await wait_until(lambda: len(failures(scada_uri)) == 1, what="the first raise")
        # Away: Pump2 trips and recovers; nothing of it is retained for a refresh.
        await server.raise_alarm("Pump2", "Trip", now + timedelta(seconds=1))
        await server.clear_alarm("Pump2", "Trip", now + timedelta(seconds=2))
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            got = await wait_until(lambda: len(failures(scada_uri)) >= 3 and failures(scada_uri))
            await asyncio.sleep(0.5)
            got = failures(scada_uri)
    finally:
        await server.stop()
    assert [(k, e, f, t) for k, e, f, _, t, *_ in got] == [
        ("raised", "tank101", "HighLevel", now),
        ("raised", "Pump2", "Trip", now + timedelta(seconds=1)),
        ("cleared", "Pump2", "Trip", now + timedelta(seconds=2)),
    ], "both transitions of the gap, with their own times; Tank1 not twice"


def test_a_server_restart_is_reconnected_and_refreshed(scada_uri, tmp_path):
    asyncio.run(_server_restart(scada_uri, tmp_path))


async def _server_restart(scada_uri, tmp_path):
    port = free_port()
    server = OpcUaAlarmServer(ALARMS, port=port)
    await server.start()
    cfg = write_config(tmp_path / "plant.toml", config(scada_uri, tmp_path, server.endpoint))
    async with Running(cfg) as running:
        source = running.poller.sources[0]
        await asyncio.wait_for(source.connected.wait(), 60)
        await server.raise_alarm("Tank1", "HighLevel", T0)
        await wait_until(lambda: len(failures(scada_uri)) == 1, what="the raise")
        await server.stop()
        await wait_until(lambda: source.status.state == "unreachable", what="unreachable")
        # The server comes back (its alarm state with it: Tank1 still active, Pump2 new).
        server = OpcUaAlarmServer(ALARMS, port=port)
        await server.start()
        try:
            await server.raise_alarm("Tank1", "HighLevel", T0)
            await server.raise_alarm("Pump2", "Trip", T0 + timedelta(minutes=1))
            got = await wait_until(
                lambda: len(failures(scada_uri)) >= 2 and failures(scada_uri), what="reconnect"
            )
            await wait_until(lambda: source.status.state == "ok", what="ok again")
            await asyncio.sleep(0.5)
            got = failures(scada_uri)
        finally:
            await server.stop()
    assert [(k, e, f) for k, e, f, *_ in got] == [
        ("raised", "tank101", "HighLevel"),
        ("raised", "Pump2", "Trip"),
    ], "Pump2 raised after the reconnect, Tank1 not twice"
