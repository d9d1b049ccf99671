# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Benchmark: OPC UA alarm transitions and an MQTT burst through ``scada-bridge poll`` (issue 20).

* OPC UA: the simulator's asyncua server (in this process) with ``--alarms``
  conditions makes ``--transitions`` transitions (raise, clear, raise, ...) as fast
  as it can; the poller (a separate ``scada-bridge poll`` process) subscribes to them;
* MQTT: a private Mosquitto (``max_queued_messages 0``, defaults otherwise:
  ``max_inflight_messages 20``) gets ``--messages`` JSON messages at QoS 1 (raise /
  clear of 100 equipments) in one burst; the poller acknowledges each only once
  it is durable.

For each: every event stored exactly once (rows = transitions, uids distinct),
the time from the first upstream change to the last row committed, the
throughput into the SCADA database, the poller process's CPU (user + system, s
and % of one core over the run) and peak resident memory (VmHWM), and the
latency of single changes (upstream change to row committed, ``--probes`` of
them, one at a time): p50 and p95. The Modbus figures of ``bench_poller.py``
and ``bench_latency.py`` stand beside them in bench/README.md.

Run (PostgreSQL on 127.0.0.1:5432, mosquitto installed)::

    .venv/bin/python bench/bench_sources.py [--transitions 1000] [--messages 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg2
from paho.mqtt.enums import CallbackAPIVersion
from scada_bridge import connect, migrate
from scada_bridge.simulator.opcua import Alarm, OpcUaAlarmServer

ADMIN_DSN = os.environ.get("SCADA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_db() -> str:
    name = f"scada_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(ADMIN_DSN + " dbname=postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    uri = f"{ADMIN_DSN} dbname={name}"
    conn = connect(uri)
    migrate(conn)
    conn.close()
    return uri


def drop_db(uri: str) -> None:
    name = uri.rsplit("dbname=", 1)[1]
    admin = psycopg2.connect(ADMIN_DSN + " dbname=postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def count(uri: str) -> tuple[int, int]:
    conn = psycopg2.connect(uri)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT event_uid) FROM scada.equipment_failure")
        rows, uids = cur.fetchone()
    conn.close()
    return rows, uids


def last_committed(uri: str) -> float:
    conn = psycopg2.connect(uri)
    with conn.cursor() as cur:
        cur.execute("SELECT extract(epoch FROM max(recorded_at)) FROM scada.equipment_failure")
        (value,) = cur.fetchone()
    conn.close()
    return float(value)


class PollerProcess:
    def __init__(self, config: Path, log: Path) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scada_bridge.cli", "poll", "--config", str(config)],
            stdout=self.log,
            stderr=self.log,
        )

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def hwm_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


def wait_rows(uri: str, n: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while count(uri)[0] < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {count(uri)[0]} of {n} rows after {timeout} s")
        time.sleep(0.02)
    return time.monotonic()


def head(uri: str, state: Path) -> str:
    return f'[database]\nuri = "{uri}"\n[poller]\nstate_dir = "{state}"\nstatus_every = 1\n'


def summary(name: str, n: int, uri: str, took: float, cpu: float, hwm: float, lat: list) -> dict:
    rows, uids = count(uri)
    lat.sort()
    return {
        "source": name,
        "events": n,
        "stored": rows,
        "distinct_uids": uids,
        "exactly_once": rows == uids == n,
        "seconds": round(took, 2),
        "events_per_s": round(n / took),
        "cpu_s": round(cpu, 2),
        "cpu_pct": round(100 * cpu / took),
        "rss_peak_mib": round(hwm, 1),
        "latency_p50_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p95_s": round(lat[int(0.95 * (len(lat) - 1))], 3) if lat else None,
    }


async def bench_opcua(args: argparse.Namespace, tmp: Path) -> dict:
    uri = new_db()
    alarms = [Alarm(f"Unit{i:03d}", "Fault", 100 + i) for i in range(args.alarms)]
    server = OpcUaAlarmServer(alarms, port=free_port())
    await server.start()
    config = tmp / "opcua.toml"
    config.write_text(
        head(uri, tmp / "state-opcua")
        + f'[[opcua]]\nname = "scada1"\nendpoint = "{server.endpoint}"\n',
        encoding="utf-8",
    )
    poller = PollerProcess(config, tmp / "opcua.log")
    try:
        # Connected once a first alarm gets through.
        await server.raise_alarm("Unit000", "Fault")
        await asyncio.to_thread(wait_rows, uri, 1, 120)
        await server.clear_alarm("Unit000", "Fault")
        await asyncio.to_thread(wait_rows, uri, 2, 60)
        lat = []
        for i in range(args.probes):  # one change at a time: upstream to committed row
            before = count(uri)[0]
            start = time.time()
            await (server.raise_alarm if i % 2 == 0 else server.clear_alarm)("Unit001", "Fault")
            await asyncio.to_thread(wait_rows, uri, before + 1, 60)
            lat.append(last_committed(uri) - start)
        base = count(uri)[0]
        cpu0 = poller.cpu()
        start = time.monotonic()
        for t in range(args.transitions):
            unit = f"Unit{(t // 2) % args.alarms:03d}"
            await (server.raise_alarm if t % 2 == 0 else server.clear_alarm)(unit, "Fault")
        done = await asyncio.to_thread(wait_rows, uri, base + args.transitions, 300)
        result = summary(
            "OPC UA A&C",
            args.transitions,
            uri,
            done - start,
            poller.cpu() - cpu0,
            poller.hwm_mib(),
            lat,
        )
        result["stored"] -= base
        result["distinct_uids"] -= base
        result["exactly_once"] = result["stored"] == result["distinct_uids"] == args.transitions
        return result
    finally:
        poller.stop()
        await server.stop()
        drop_db(uri)


def bench_mqtt(args: argparse.Namespace, tmp: Path) -> dict:
    uri = new_db()
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
        + ("user root\n" if os.geteuid() == 0 else ""),
        encoding="utf-8",
    )
    broker = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    config = tmp / "mqtt.toml"
    config.write_text(
        head(uri, tmp / "state-mqtt")
        + f'[[mqtt]]\nname = "edge1"\nhost = "127.0.0.1"\nport = {port}\n'
        'client_id = "bench-poller"\ntopics = ["plant/+/alarm"]\n'
        '  [mqtt.json]\n  failure_code = "code"\n  state = "active"\n  id = "id"\n',
        encoding="utf-8",
    )
    poller = PollerProcess(config, tmp / "mqtt.log")
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    pub.max_inflight_messages_set(1000)
    pub.max_queued_messages_set(0)
    pub.connect("127.0.0.1", port, 60)
    pub.loop_start()
    n = 0

    def send(active: bool, unit: int) -> None:
        nonlocal n
        n += 1
        body = {"id": n, "equipment": f"unit{unit:03d}", "code": "FAULT", "active": active}
        pub.publish(f"plant/line{unit % 10}/alarm", json.dumps(body), qos=1)

    try:
        time.sleep(3)  # the poller connects and subscribes
        lat = []
        for i in range(args.probes):
            before = count(uri)[0]
            start = time.time()
            send(i % 2 == 0, 999)
            wait_rows(uri, before + 1, 60)
            lat.append(last_committed(uri) - start)
        base = count(uri)[0]
        cpu0 = poller.cpu()
        start = time.monotonic()
        for m in range(args.messages):
            send((m // 100) % 2 == 0, m % 100)
        done = wait_rows(uri, base + args.messages, 600)
        result = summary(
            "MQTT JSON",
            args.messages,
            uri,
            done - start,
            poller.cpu() - cpu0,
            poller.hwm_mib(),
            lat,
        )
        result["stored"] -= base
        result["distinct_uids"] -= base
        result["exactly_once"] = result["stored"] == result["distinct_uids"] == args.messages
        return result
    finally:
        pub.disconnect()
        pub.loop_stop()
        poller.stop()
        broker.terminate()
        broker.wait(30)
        drop_db(uri)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transitions", type=int, default=1000)
    parser.add_argument("--alarms", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--probes", type=int, default=40, help="single changes timed for latency")
    parser.add_argument("--only", choices=("opcua", "mqtt"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-sources-") as tmp:
        if args.only in (None, "opcua"):
            results.append(asyncio.run(bench_opcua(args, Path(tmp))))
        if args.only in (None, "mqtt"):
            results.append(bench_mqtt(args, Path(tmp)))
    keys = list(results[0])
    print(" | ".join(keys))
    for r in results:
        print(" | ".join(str(r[k]) for k in keys))
    return 0 if all(r["exactly_once"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
