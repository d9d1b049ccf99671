# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Sparkplug B into failures on the real broker: births teach aliases, Boolean metrics are
conditions, a dying node is unreachable without clearing anything, bad payloads refused."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone

import pytest
from scada_bridge.sources.sparkplug_pb import Metric, Payload, encode_payload

from tests.poller_fixtures import FAST_POLLER, Running, rows, wait_until, write_config
from tests.sources.mqtt_fixtures import Publisher, broker_port, drop_session

T0 = 1_772_352_000_000  # 2026-03-01T08:00:00Z in ms


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def pb(*metrics: Metric, ts: int = T0, seq: int = 0) -> bytes:
    return encode_payload(Payload(timestamp=ts, seq=seq, metrics=list(metrics)))


@pytest.fixture
def plant():
    port = broker_port()
    client_id = f"scada-test-{uuid.uuid4().hex[:12]}"
    group = f"g{uuid.uuid4().hex[:10]}"
    pub = Publisher(port)
    yield port, client_id, group, pub
    pub.close()
    drop_session(port, client_id)


def test_births_data_death_and_bad_payloads(plant, scada_uri, tmp_path, caplog):
    asyncio.run(_scenario(plant, scada_uri, tmp_path, caplog))


async def _scenario(plant, scada_uri, tmp_path, caplog):
    port, client_id, group, pub = plant
    text = (
        f'[database]\nuri = "{scada_uri}"\nconnect_timeout = 5\nretry_max = 0.2\n'
        + FAST_POLLER.format(state_dir=tmp_path / "state")
        + f"""
[[mqtt]]
name = "spb"
host = "127.0.0.1"
port = {port}
client_id = "{client_id}"
format = "sparkplug"
topics = ["spBv1.0/{group}/#"]
metrics = ["Alarms/*"]
equipment_map = {{ pump1 = "pump101" }}
"""
    )
    cfg = write_config(tmp_path / "plant.toml", text)
    base = f"spBv1.0/{group}"
    caplog.set_level(logging.INFO)

    def send(kind: str, payload: bytes, device: str | None = None) -> None:
        pub.publish(f"{base}/{kind}/edge1" + (f"/{device}" if device else ""), payload)

    async with Running(cfg) as running:
        source = running.poller.sources[0]
        await asyncio.wait_for(source.connected.wait(), 30)
        await asyncio.to_thread(
            send, "NBIRTH", pb(Metric("Alarms/Power", 1, datatype=11, value=False))
        )
        dbirth = pb(
            Metric("Alarms/Trip", 5, datatype=11, value=False),
            Metric("Speed", 6, datatype=9, value=12.5),
            seq=1,
        )
        await asyncio.to_thread(send, "DBIRTH", dbirth, "pump1")
        # By alias only, as DATA messages go. An unknown alias and a truncated payload
        # are refused; the messages behind them are stored.
        await asyncio.to_thread(
            send, "DDATA", pb(Metric(None, 99, datatype=11, value=True), seq=2), "pump1"
        )
        await asyncio.to_thread(
            send, "DDATA", pb(Metric(None, 5, T0 + 60_000, 11, value=True), seq=3)[:-3], "pump1"
        )
        await asyncio.to_thread(
            send, "DDATA", pb(Metric(None, 5, T0 + 60_000, 11, value=True), seq=4), "pump1"
        )
        # A replay of the node's history (store and forward): kept with its own time.
        old = Metric(None, 1, T0 - 3_600_000, 11, is_historical=True, value=True)
        await asyncio.to_thread(send, "NDATA", pb(old, ts=T0 + 61_000, seq=7))
        got = await wait_until(lambda: len(rows(scada_uri)) >= 2 and rows(scada_uri))
        await asyncio.to_thread(send, "NDEATH", b"")
        await wait_until(
            lambda: rows(
                scada_uri,
                "SELECT count(*) FROM scada.plc_status WHERE state = 'unreachable'"
                " AND device LIKE 'spb:%%'",
            )[0][0]
            == 2,
            what="node and device unreachable",
        )
        await wait_until(lambda: source.acked >= 7, what="every message acknowledged")
    assert [(k, e, f) for k, e, f, *_ in got] == [
        ("raised", "pump101", "Alarms/Trip"),
        ("raised", "edge1", "Alarms/Power"),
    ]
    times = rows(scada_uri, "SELECT occurred_at, payload FROM scada.equipment_failure ORDER BY id")
    assert times[0][0] == at(T0 + 60_000)
    assert times[1][0] == at(T0 - 3_600_000) and times[1][1]["historical"] is True
    # The death cleared nothing.
    assert [k for k, *_ in rows(scada_uri)] == ["raised", "raised"]
    status = dict(rows(scada_uri, "SELECT device, state FROM scada.plc_status"))
    assert status[f"spb:{group}/edge1"] == "unreachable"
    assert status[f"spb:{group}/edge1/pump1"] == "unreachable"
    assert status["spb"] == "ok", "the broker connection itself is fine"
    refused = [r.getMessage() for r in caplog.records if "refused a message" in r.getMessage()]
    assert len(refused) == 2, refused
    assert "alias 99 is unknown" in refused[0] and "truncated protobuf" in refused[1]
    gaps = [r.getMessage() for r in caplog.records if "sequence number went" in r.getMessage()]
    assert len(gaps) == 2 and "from 2 to 4: 1 message(s) lost" in gaps[0], gaps
    assert "from 4 to 7: 2 message(s) lost" in gaps[1]
