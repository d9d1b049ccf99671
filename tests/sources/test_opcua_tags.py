# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""OPC UA tags as conditions, by data-change subscription on a real asyncua server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from scada_bridge.simulator.opcua import OpcUaAlarmServer

from tests.poller_fixtures import FAST_POLLER, Running, free_port, rows, wait_until, write_config

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_tags_raise_and_clear_on_change_and_reconcile_after_a_restart(scada_uri, tmp_path):
    asyncio.run(_tags(scada_uri, tmp_path))


async def _tags(scada_uri, tmp_path):
    server = OpcUaAlarmServer([], port=free_port(), tags={"Pump1.Fault": False, "Tank1.Level": 0})
    await server.start()
    text = (
        f'[database]\nuri = "{scada_uri}"\nconnect_timeout = 5\nretry_max = 0.2\n'
        + FAST_POLLER.format(state_dir=tmp_path / "state")
        + f"""
[[opcua]]
name = "tags1"
endpoint = "{server.endpoint}"
alarms = false
timeout = 2

  [[opcua.tag]]
  node = "ns=2;s=Pump1.Fault"
  equipment = "pump101"
  failure_code = "FAULT"
  severity = "high"

  [[opcua.tag]]
  node = "ns=2;s=Tank1.Level"
  equipment = "tank101"
  failure_code = "LEVEL_HIGH"
  when = "above"
  value = 90
"""
    )
    cfg = write_config(tmp_path / "plant.toml", text)

    def stored():
        return rows(
            scada_uri,
            "SELECT kind, equipment_code, failure_code, occurred_at, payload->>'cleared_by'"
            " FROM scada.equipment_failure ORDER BY id",
        )

    try:
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            await asyncio.sleep(0.5)  # the first values (false, 0) raise nothing
            await server.set_tag("Pump1.Fault", True, T0)
            await server.set_tag("Tank1.Level", 95, T0 + timedelta(seconds=5))
            await server.set_tag("Tank1.Level", 80, T0 + timedelta(seconds=9))
            await wait_until(lambda: len(stored()) == 3, what="three edges")
        # Away: the pump's fault ends; back: its first value clears it.
        await server.set_tag("Pump1.Fault", False, T0 + timedelta(minutes=1))
        async with Running(cfg) as running:
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            got = await wait_until(lambda: len(stored()) == 4 and stored(), what="the clear")
    finally:
        await server.stop()
    assert [(k, e, f, t) for k, e, f, t, _ in got] == [
        ("raised", "pump101", "FAULT", T0),
        ("raised", "tank101", "LEVEL_HIGH", T0 + timedelta(seconds=5)),
        ("cleared", "tank101", "LEVEL_HIGH", T0 + timedelta(seconds=9)),
        ("cleared", "pump101", "FAULT", T0 + timedelta(minutes=1)),
    ]
