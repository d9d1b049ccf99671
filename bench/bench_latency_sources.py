# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Benchmark: OPC UA alarm and MQTT message to Odoo latency, with the doorbell on (issue 20).

``bench_latency.py``'s chain with event sources instead of a polled PLC: one
``scada-bridge poll`` process reading an asyncua alarm server (the simulator, in a
thread of this process) and the MQTT broker on 127.0.0.1 (port
``SCADA_TEST_MQTT_PORT``, default 1883), with the ``[odoo]`` doorbell, and a real
Odoo 18 (2 prefork workers, 2 cron threads). For each of ``--failures`` alarms,
then as many MQTT messages, one after the other: the alarm is raised (the message
published, QoS 1) and the clock runs until the raise is committed in the SCADA
database and until the failure is committed in Odoo's database. The next starts
``--gap`` seconds (1.0: the doorbell's spacing) after the previous reached Odoo.

Run (PostgreSQL, Odoo 18 at ODOO_PATH, a broker)::

    .venv/bin/python bench/bench_latency_sources.py [--failures 40] [--gap 1.0]

Exit status 1 when a failure does not arrive, or p95 into Odoo is above 0.25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg2
from bench_latency import percentile, summary
from paho.mqtt.enums import CallbackAPIVersion
from scada_bridge.simulator.opcua import Alarm, OpcUaAlarmServer
from stack import Stack, free_port, wait_until

TARGET_P95 = 0.25
MQTT_PORT = int(os.environ.get("SCADA_TEST_MQTT_PORT", "1883"))


class AlarmThread:
    """The simulated OPC UA server on an event loop of its own thread."""

    def __init__(self, alarms: list[Alarm]) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = OpcUaAlarmServer(alarms, port=free_port())
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not ready.wait(60):
            raise SystemExit("the OPC UA simulator did not start")

    def raise_alarm(self, source: str) -> None:
        call = self.server.raise_alarm(source, "Fault")
        asyncio.run_coroutine_threadsafe(call, self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=40, help="per source")
    parser.add_argument("--gap", type=float, default=1.0)
    args = parser.parse_args(argv)
    n = args.failures
    tmp = Path(tempfile.mkdtemp(prefix="scada-latency-sources-"))
    stack = Stack(tmp, "latsrc")
    alarms = AlarmThread([Alarm(f"eq-o{i}", "Fault", 700) for i in range(n)])
    client_id, topic = f"bench-{uuid.uuid4().hex[:10]}", f"bench/{uuid.uuid4().hex}/alarm"
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{client_id}-pub")
    pub.connect("127.0.0.1", MQTT_PORT, 30)
    pub.loop_start()
    results: dict[str, tuple[list[float], list[float]]] = {}
    try:
        uri = stack.scada()
        stack.odoo(workers=2, cron_threads=2)
        config = tmp / "plant.toml"
        config.write_text(
            f'[database]\nuri = "{uri}"\n[poller]\nstate_dir = "{tmp / "state"}"\n'
            f'[odoo]\nurl = "{stack.odoo_url}"\napi_key_env = "ODOO_API_KEY"\n'
            f'[[opcua]]\nname = "scada1"\nendpoint = "{alarms.server.endpoint}"\n'
            f'[[mqtt]]\nname = "edge1"\nhost = "127.0.0.1"\nport = {MQTT_PORT}\n'
            f'client_id = "{client_id}"\ntopics = ["{topic}"]\n'
            '  [mqtt.json]\n  failure_code = "code"\n',
            encoding="utf-8",
        )
        stack.start_poller(config, doorbell=True)
        wait_until("Odoo", stack.odoo_up, 120)
        scada = psycopg2.connect(dbname=stack.scada_db)
        scada.autocommit = True
        odoo = psycopg2.connect(dbname=stack.odoo_db)
        odoo.autocommit = True
        in_scada = "SELECT 1 FROM scada.equipment_failure WHERE equipment_code = %s"
        in_odoo = "SELECT 1 FROM scada_failure_report WHERE equipment_code = %s"
        time.sleep(3.0)  # the poller connects to both, Odoo's first pull warms up

        def publish(i: int) -> None:
            body = json.dumps({"equipment": f"eq-m{i}", "code": "FAULT"})
            pub.publish(topic, body, qos=1)

        plan = [("OPC UA alarm", "eq-o", lambda i: alarms.raise_alarm(f"eq-o{i}"))]
        plan.append(("MQTT message", "eq-m", publish))
        with scada.cursor() as scur, odoo.cursor() as ocur:
            for label, prefix, act in plan:
                to_scada: list[float] = []
                to_odoo: list[float] = []
                for i in range(n):
                    code = f"{prefix}{i}"
                    t0 = time.monotonic()
                    act(i)
                    seen_scada = seen_odoo = None
                    while (seen_scada is None or seen_odoo is None) and time.monotonic() < t0 + 60:
                        if seen_scada is None:
                            scur.execute(in_scada, (code,))
                            if scur.fetchone():
                                seen_scada = time.monotonic() - t0
                        if seen_odoo is None:
                            ocur.execute(in_odoo, (code,))
                            if ocur.fetchone():
                                seen_odoo = time.monotonic() - t0
                        time.sleep(0.005)
                    if seen_scada is None or seen_odoo is None:
                        print(f"latency: {code} did not arrive within 60 s", file=sys.stderr)
                        return 1
                    to_scada.append(seen_scada)
                    to_odoo.append(seen_odoo)
                    time.sleep(args.gap)
                results[label] = (to_scada, to_odoo)
        scada.close()
        odoo.close()
    finally:
        pub.disconnect()
        pub.loop_stop()
        stack.close()
        alarms.close()
        gone = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        gone.connect("127.0.0.1", MQTT_PORT, 10)  # leave no session of the poller behind
        gone.disconnect()
    ok = True
    print(f"latency: {n} failures per source one by one, doorbell on, Odoo 2 workers + 2 crons")
    for label, (to_scada, to_odoo) in results.items():
        print(summary(f"{label} -> SCADA row", to_scada))
        print(summary(f"{label} -> Odoo row", to_odoo))
        ok = ok and percentile(to_odoo, 95) <= TARGET_P95
    print(f"latency: target p95 <= {TARGET_P95} s into Odoo: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
