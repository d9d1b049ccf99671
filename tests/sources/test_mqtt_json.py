# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""MQTT JSON messages into failures, on the real broker and a real SCADA database."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scada_bridge.config.sources import JsonFields, MqttSource
from scada_bridge.sources.base import Conditions
from scada_bridge.sources.mqtt_json import BadMessage, json_event

from tests.poller_fixtures import Running, rows, wait_until, write_config
from tests.sources.mqtt_fixtures import (
    Publisher,
    broker_port,
    drop_session,
    mqtt_config,
    waiting_messages,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def msg(equipment: str, active: object, ts: str, **kw: object) -> str:
    return json.dumps(
        {"equipment": equipment, "code": "OVERHEAT", "active": active, "ts": ts, **kw}
    )


@pytest.fixture
def broker():
    port = broker_port()
    client_id = f"scada-test-{uuid.uuid4().hex[:12]}"
    topic = f"test/{uuid.uuid4().hex}/alarm"
    pub = Publisher(port)
    yield port, client_id, topic, pub
    pub.close()
    drop_session(port, client_id)


def test_a_raise_and_its_clear_are_one_failure_with_both_times(broker, scada_uri, tmp_path):
    asyncio.run(_raise_and_clear(broker, scada_uri, tmp_path))


async def _raise_and_clear(broker, scada_uri, tmp_path):
    port, client_id, topic, pub = broker
    cfg = write_config(
        tmp_path / "plant.toml", mqtt_config(scada_uri, tmp_path / "state", port, client_id, topic)
    )
    async with Running(cfg) as running:
        source = running.poller.sources[0]
        await asyncio.wait_for(source.connected.wait(), 30)
        raise_at, clear_at = "2026-03-01T08:00:00+00:00", "2026-03-01T08:05:30+00:00"
        await asyncio.to_thread(pub.publish, topic, msg("tank101", True, raise_at))
        # The same raise again (a device repeating itself): still one failure.
        await asyncio.to_thread(pub.publish, topic, msg("tank101", True, raise_at))
        await asyncio.to_thread(pub.publish, topic, msg("tank101", False, clear_at))
        got = await wait_until(
            lambda: len(rows(scada_uri)) >= 2 and rows(scada_uri), what="raise and clear stored"
        )
        await wait_until(lambda: source.acked >= 3, what="three PUBACKs")
    assert [(k, e, f) for k, e, f, *_ in got] == [
        ("raised", "tank101", "OVERHEAT"),
        ("cleared", "tank101", "OVERHEAT"),
    ]
    assert got[1][4] == got[0][3], "the clear points at its raise"
    times = rows(scada_uri, "SELECT occurred_at FROM scada.equipment_failure ORDER BY id")
    assert [t for (t,) in times] == [
        datetime.fromisoformat(raise_at),
        datetime.fromisoformat(clear_at),
    ]
    assert got[0][6]["protocol"] == "mqtt" and got[0][6]["topic"] == topic
    # Every message was acknowledged: the broker holds nothing for the session.
    assert waiting_messages(port, client_id, topic) == []


def test_bad_payloads_are_logged_once_each_and_the_rows_behind_go_on(
    broker, scada_uri, tmp_path, caplog
):
    asyncio.run(_bad_payloads(broker, scada_uri, tmp_path, caplog))


async def _bad_payloads(broker, scada_uri, tmp_path, caplog):
    port, client_id, topic, pub = broker
    cfg = write_config(
        tmp_path / "plant.toml", mqtt_config(scada_uri, tmp_path / "state", port, client_id, topic)
    )
    bad = [
        b"not json at all",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        msg("tank101", "maybe", "2026-03-01T08:00:00Z").encode(),  # unknown state
        json.dumps({"equipment": 42.5, "active": True}).encode(),  # wrong type
        msg("tank101", True, "yesterday").encode(),  # not a time
        msg("tank101", True, "2026-03-01T08:00:00Z", severity="urgent").encode(),
    ]
    caplog.set_level(logging.INFO)
    async with Running(cfg) as running:
        source = running.poller.sources[0]
        await asyncio.wait_for(source.connected.wait(), 30)
        for i, payload in enumerate(bad):
            await asyncio.to_thread(pub.publish, topic, payload)
            good = msg(f"pump{i}", True, f"2026-03-01T08:0{i}:00Z")
            await asyncio.to_thread(pub.publish, topic, good)
        await wait_until(lambda: len(rows(scada_uri)) >= len(bad), what="the good rows")
        await wait_until(lambda: source.acked >= 2 * len(bad), what="every message acked")
    stored = rows(scada_uri)
    assert [r[1] for r in stored] == [f"pump{i}" for i in range(len(bad))]
    refused = [r for r in caplog.records if "refused a message" in r.getMessage()]
    assert len(refused) == len(bad), [r.getMessage() for r in refused]
    kept = (tmp_path / "state" / "rejected-edge1.jsonl").read_text("utf-8").splitlines()
    assert len(kept) == len(bad)
    assert waiting_messages(port, client_id, topic) == []


CFG = MqttSource(
    name="edge1",
    host="127.0.0.1",
    topics=("t",),
    json=JsonFields(failure_code="code", state="active", time="ts"),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
FIELD = st.sampled_from(["equipment", "code", "active", "ts", "severity", "description"])


@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(max_size=64)
    | st.dictionaries(FIELD, JSONISH, max_size=6).map(lambda d: json.dumps(d).encode())
)
def test_any_payload_is_an_event_none_or_one_refusal(raw):
    """Whatever a device publishes, decoding yields an event, nothing, or BadMessage."""
    conditions = Conditions("edge1", {})
    try:
        event = json_event(CFG, conditions, "t", raw, T0)
    except BadMessage as exc:
        assert "\n" not in str(exc)
        return
    assert event is None or event.device == "edge1"


def test_a_message_delivered_twice_has_one_uid():
    payload = msg("tank101", True, "2026-03-01T08:00:00Z").encode()
    first = json_event(CFG, Conditions("edge1", {}), "t", payload, T0)
    again = json_event(CFG, Conditions("edge1", {}), "t", payload, T0)
    other_topic = json_event(CFG, Conditions("edge1", {}), "u", payload, T0)
    assert first and again and other_topic
    assert first.event_uid == again.event_uid != other_topic.event_uid
