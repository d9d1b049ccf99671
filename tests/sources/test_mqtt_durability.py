# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Nothing lost, nothing twice: kill -9 of the poller, a restart of the broker.

Real processes: ``scada-bridge poll`` as a subprocess killed with SIGKILL, the real
Mosquitto, a real PostgreSQL whose table lock holds an insert in flight.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from scada_bridge.sources.mqtt_json import message_uid

from tests.poller_fixtures import Running, rows, write_config
from tests.sources.mqtt_fixtures import (
    HoldProxy,
    Publisher,
    broker_port,
    drop_session,
    mosquitto,  # noqa: F401 - fixture
    mqtt_config,
    waiting_messages,
)


def payload(equipment: str, active: bool, minute: int) -> bytes:
    ts = f"2026-03-01T08:{minute:02d}:00+00:00"
    return json.dumps({"equipment": equipment, "code": "TRIP", "active": active, "ts": ts}).encode()


def wait(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)
    return result


def count(uri: str) -> int:
    return rows(uri, "SELECT count(*) FROM scada.equipment_failure")[0][0]


def status_ok(uri: str) -> bool:
    found = rows(uri, "SELECT state FROM scada.plc_status WHERE device = 'edge1'")
    return bool(found) and found[0][0] == "ok"


def insert_waits_on_lock(uri: str) -> bool:
    return bool(
        rows(
            uri,
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'scada-bridge poll'"
            " AND wait_event_type = 'Lock'"
            " AND query ILIKE '%%INSERT INTO scada.equipment_failure%%'",
        )
    )


def lock_table(uri: str) -> psycopg2.extensions.connection:
    """Hold the events table: the poller's insert waits (received, not yet stored)."""
    conn = psycopg2.connect(uri)
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE scada.equipment_failure IN ACCESS EXCLUSIVE MODE")
    return conn


#: Every poller process a test started, killed at its end whatever happened.
STARTED: list[subprocess.Popen[bytes]] = []


class PollerProcess:
    def __init__(self, config: Path, log: Path) -> None:
        self.log = open(log, "ab")
        env = {k: v for k, v in os.environ.items() if k != "SCADA_DB_URI"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scada_bridge.cli",
                "--verbose",
                "poll",
                "--config",
                str(config),
            ],
            stdout=self.log,
            stderr=self.log,
            env=env,
        )
        STARTED.append(self.proc)

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> int:
        self.proc.terminate()
        code = self.proc.wait(30)
        self.log.close()
        return code


@pytest.fixture
def session():
    port = broker_port()
    client_id = f"scada-test-{uuid.uuid4().hex[:12]}"
    yield port, client_id, f"test/{uuid.uuid4().hex}/alarm"
    drop_session(port, client_id)


def test_kill_9_between_receipt_and_store_or_store_and_puback_loses_nothing_twice(
    session, scada_uri, tmp_path
):
    port, client_id, topic = session
    proxy = HoldProxy(port)
    config = tmp_path / "plant.toml"
    write_config(config, mqtt_config(scada_uri, tmp_path / "state", proxy.port, client_id, topic))
    log = tmp_path / "poller.log"
    pub = Publisher(port)
    published: list[bytes] = []

    def send(data: bytes) -> None:
        pub.publish(topic, data)
        published.append(data)

    try:
        # 1. Received, not stored: the insert waits on a lock when the poller dies.
        first = PollerProcess(config, log)
        wait(lambda: status_ok(scada_uri), "the poller connected")
        lock = lock_table(scada_uri)
        for i in range(5):
            send(payload(f"pump{i}", True, i))
        wait(lambda: insert_waits_on_lock(scada_uri), "the insert in flight")
        first.kill9()
        lock.rollback()
        lock.close()
        assert count(scada_uri) == 0
        # 2. Stored, not acknowledged: the PUBACKs never reach the broker.
        second = PollerProcess(config, log)
        wait(lambda: count(scada_uri) == 5, "the redelivered raises stored")
        proxy.hold()
        for i in range(5):
            send(payload(f"pump{i}", False, 30 + i))
        send(payload("pump9", True, 40))
        wait(lambda: count(scada_uri) == 11, "clears and the new raise stored")
        time.sleep(0.3)  # the PUBACKs are sent, and swallowed
        second.kill9()
        proxy.cut()
        assert proxy.held > 0, "the poller sent its PUBACKs (swallowed by the proxy)"
        # 3. The broker sends the unacknowledged messages again: duplicates, not records.
        third = PollerProcess(config, log)
        wait(lambda: log.read_text().count("(session resumed)") >= 2, "the session resumed")
        time.sleep(2)
        assert third.stop() == 0
    finally:
        pub.close()
        proxy.close()
        for proc in STARTED:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    stored = rows(
        scada_uri,
        "SELECT kind, equipment_code, event_uid::text FROM scada.equipment_failure ORDER BY id",
    )
    assert len(stored) == 11, log.read_text()
    assert sorted(uid for *_, uid in stored) == sorted(
        message_uid("edge1", topic, p) for p in published
    ), "each message stored exactly once, under the uid derived from it"
    assert [k for k, e, _ in stored if e == "pump0"] == ["raised", "cleared"]
    assert waiting_messages(port, client_id, topic) == [], "every message acknowledged at last"


def test_a_broker_restart_with_messages_in_flight_loses_nothing(mosquitto, scada_uri, tmp_path):  # noqa: F811
    asyncio.run(_broker_restart(mosquitto, scada_uri, tmp_path))


async def _broker_restart(broker, scada_uri, tmp_path):
    client_id, topic = f"scada-test-{uuid.uuid4().hex[:12]}", "plant/line1/alarm"
    cfg = write_config(
        tmp_path / "plant.toml",
        mqtt_config(scada_uri, tmp_path / "state", broker.port, client_id, topic),
    )
    published: list[bytes] = []

    def send(minute_from: int, n: int) -> None:
        pub = Publisher(broker.port)
        for i in range(minute_from, minute_from + n):
            data = payload(f"valve{i}", True, i)
            pub.publish(topic, data)
            published.append(data)
        pub.close()

    async with Running(cfg) as running:
        source = running.poller.sources[0]
        await asyncio.wait_for(source.connected.wait(), 30)
        lock = await asyncio.to_thread(lock_table, scada_uri)
        await asyncio.to_thread(send, 0, 20)
        await asyncio.to_thread(wait, lambda: insert_waits_on_lock(scada_uri), "insert in flight")
        await asyncio.to_thread(broker.stop)  # 20 messages delivered, none acknowledged
        lock.rollback()
        lock.close()
        await asyncio.to_thread(broker.start)
        await asyncio.to_thread(send, 20, 10)
        await asyncio.to_thread(wait, lambda: count(scada_uri) == 30, "all 30 stored")
        await asyncio.to_thread(wait, lambda: source.acked >= 30, "the redelivered acknowledged")
        await asyncio.sleep(0.5)
    stored = rows(scada_uri, "SELECT event_uid::text FROM scada.equipment_failure")
    assert sorted(u for (u,) in stored) == sorted(message_uid("edge1", topic, p) for p in published)
    assert waiting_messages(broker.port, client_id, topic) == []


def test_a_broker_down_at_start_is_unreachable_once_then_read_when_it_comes(
    scada_uri,
    tmp_path,
    caplog,
):
    asyncio.run(_broker_late(scada_uri, tmp_path, caplog))


async def _broker_late(scada_uri, tmp_path, caplog):
    from tests.sources.mqtt_fixtures import Mosquitto

    broker = Mosquitto(tmp_path / "broker")  # not started yet
    client_id = f"scada-test-{uuid.uuid4().hex[:12]}"
    cfg = write_config(
        tmp_path / "plant.toml",
        mqtt_config(scada_uri, tmp_path / "state", broker.port, client_id, "plant/+/alarm"),
    )

    def state() -> str | None:
        found = rows(scada_uri, "SELECT state, last_error FROM scada.plc_status")
        return found[0][0] if found else None

    try:
        async with Running(cfg) as running:
            await asyncio.to_thread(wait, lambda: state() == "unreachable", "unreachable row")
            await asyncio.sleep(2.5)  # a few reconnection attempts
            said = [r for r in caplog.records if "is unreachable" in r.getMessage()]
            assert len(said) == 1, [r.getMessage() for r in said]
            assert "cannot connect to 127.0.0.1" in said[0].getMessage()
            await asyncio.to_thread(broker.start)
            await asyncio.wait_for(running.poller.sources[0].connected.wait(), 60)
            pub = Publisher(broker.port)
            await asyncio.to_thread(pub.publish, "plant/l1/alarm", payload("p1", True, 0))
            pub.close()
            await asyncio.to_thread(wait, lambda: count(scada_uri) == 1, "the message stored")
            await asyncio.to_thread(wait, lambda: state() == "ok", "the row ok again")
    finally:
        if broker.proc is not None:
            broker.stop()
