"""Benchmark: PLC to Odoo latency, one failure at a time, with the doorbell on.

A simulated PLC (``scada-bridge simulate``) with 100 fault coils, polled every
``--interval`` seconds (0.25) by ``scada-bridge poll`` with the ``[odoo]`` doorbell,
and a real Odoo 18 server (2 prefork workers, 2 cron threads). For each of ``--failures``
failures (100), one after the other: the coil goes to 1 (what a machine's fault bit does)
and the clock runs until

* the raise is committed in the SCADA database (the poller's hop: the baseline), and
* the failure is committed in Odoo's database (the whole chain: poll, store, ring,
  the cron thread waking up, the pull job, its commit).

Both are read with plain SELECTs every 5 ms on open connections. The next failure
starts ``--gap`` seconds (1.0) after the previous one reached Odoo: failures of a
plant are seconds apart, and the poller rings Odoo at most once a second (a write
during a ring asks for one more), so faster failures wait for the next ring.

Run (PostgreSQL running, Odoo 18 at ODOO_PATH, default /opt/odoo18; about 4 minutes)::

    .venv/bin/python bench/bench_latency.py [--failures 100] [--interval 0.25] [--gap 1.0]

Exit status 1 when p95 > 0.5 s or p99 > 1 s for the whole chain.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
from stack import Stack, coil_plant, free_port, set_coils, wait_until

TARGET_P95, TARGET_P99 = 0.5, 1.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label:28} p50 {percentile(values, 50):.3f} s   p95 {percentile(values, 95):.3f} s   "
        f"p99 {percentile(values, 99):.3f} s   max {max(values):.3f} s   "
        f"mean {statistics.mean(values):.3f} s"
    )


def first_seen(cur, table_sql: str, code: str) -> bool:
    cur.execute(table_sql, (code,))
    return cur.fetchone() is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.25, help="PLC poll interval (s)")
    parser.add_argument("--gap", type=float, default=1.0, help="pause between failures (s)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="scada-latency-"))
    stack = Stack(tmp, "latency")
    try:
        uri = stack.scada()
        stack.odoo(workers=2, cron_threads=2)
        port = free_port()
        config = tmp / "plant.toml"
        config.write_text(
            f'[database]\nuri = "{uri}"\n[poller]\nstate_dir = "{tmp / "state"}"\n'
            f'[odoo]\nurl = "{stack.odoo_url}"\napi_key_env = "ODOO_API_KEY"\n'
            + coil_plant(uri, tmp, port, args.failures, interval=args.interval, name="line1"),
            encoding="utf-8",
        )
        stack.start_simulator(config, [port])
        stack.start_poller(config, doorbell=True)
        scada = psycopg2.connect(dbname=stack.scada_db)
        scada.autocommit = True
        odoo = psycopg2.connect(dbname=stack.odoo_db)
        odoo.autocommit = True
        in_scada = "SELECT 1 FROM scada.equipment_failure WHERE equipment_code = %s"
        in_odoo = "SELECT 1 FROM scada_failure_report WHERE equipment_code = %s"
        # Warm-up: the poller's first write and Odoo's first pull load code and caches.
        wait_until("the poller's first poll", lambda: stack.odoo_up(), 60)
        time.sleep(2.0)
        to_scada: list[float] = []
        to_odoo: list[float] = []
        with scada.cursor() as scur, odoo.cursor() as ocur:
            for i in range(args.failures):
                code = f"eq{i}"
                t0 = time.monotonic()
                set_coils(port, {i: True})
                seen_scada = seen_odoo = None
                deadline = t0 + 60
                while (seen_scada is None or seen_odoo is None) and time.monotonic() < deadline:
                    if seen_scada is None and first_seen(scur, in_scada, code):
                        seen_scada = time.monotonic() - t0
                    if seen_odoo is None and first_seen(ocur, in_odoo, code):
                        seen_odoo = time.monotonic() - t0
                    time.sleep(0.005)
                if seen_scada is None or seen_odoo is None:
                    print(f"latency: failure {code} did not arrive within 60 s", file=sys.stderr)
                    return 1
                to_scada.append(seen_scada)
                to_odoo.append(seen_odoo)
                time.sleep(args.gap)
        scada.close()
        odoo.close()
    finally:
        stack.close()

    print(
        f"latency: {args.failures} failures one by one, poll interval {args.interval} s, "
        f"doorbell on, Odoo 2 workers + 2 cron threads, {args.gap} s between failures"
    )
    print(summary("baseline PLC -> SCADA row", to_scada))
    print(summary("result   PLC -> Odoo row", to_odoo))
    p95, p99 = percentile(to_odoo, 95), percentile(to_odoo, 99)
    ok = p95 <= TARGET_P95 and p99 <= TARGET_P99
    print(
        f"latency: Odoo hop adds p50 {percentile(to_odoo, 50) - percentile(to_scada, 50):.3f} s; "
        f"target p95 <= {TARGET_P95} s and p99 <= {TARGET_P99} s: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
