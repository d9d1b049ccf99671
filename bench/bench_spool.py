"""Spool flush after a long outage: memory and transaction size, chunked vs all at once.

Spools ``--events`` condition events (what a poller gathers while the SCADA
database is down), then sends them to a throwaway database twice, from the same
spool file, measuring Python's peak memory (tracemalloc) and the rows per
transaction:

* baseline: the old flush, every spooled event read into memory and inserted in
  one transaction (``insert_events(conn, spool.read())``);
* result: ``EventSink.flush()`` as the poller runs it, chunk after chunk.

Exits non-zero when the chunked flush misses its targets: at most
``spool.CHUNK_EVENTS`` rows per transaction, every event stored once in spool
order, and a peak at most a fifth of the baseline's.

    .venv/bin/python bench/bench_spool.py --events 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
from psycopg2 import sql
from scada_bridge import connect, migrate
from scada_bridge.config import Database
from scada_bridge.events import NewEvent
from scada_bridge.poller.sink import EventSink
from scada_bridge.poller.spool import CHUNK_EVENTS, Spool
from scada_bridge.store.insert import insert_events

ADMIN = "host=127.0.0.1 port=5432 user=postgres"
T0 = datetime(2026, 11, 29, tzinfo=timezone.utc)


def _events(n: int) -> list[NewEvent]:
    return [
        NewEvent(
            kind="raised",
            equipment_code=f"eq{i % 500}",
            occurred_at=T0 + timedelta(milliseconds=i),
            failure_code="OVERHEAT",
            description="Oven above its limit",
            severity="high",
            device=f"plc{i % 20}",
            payload={
                "source": "condition",
                "table": "holding_register",
                "address": i % 100,
                "registers": [0x42A0, 0x0000],
                "value": 80.0,
                "when": "above",
            },
        )
        for i in range(n)
    ]


def _stored(uri: str) -> list[str]:
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT event_uid::text FROM scada.equipment_failure ORDER BY id")
        uids = [r[0] for r in cur.fetchall()]
        cur.execute("TRUNCATE scada.equipment_failure")
    conn.close()
    return uids


def _measure(run) -> tuple[float, float, int]:
    """Seconds, peak MiB (tracemalloc) and the largest transaction of ``run()``."""
    tracemalloc.start()
    started = time.perf_counter()
    largest = run()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    admin = psycopg2.connect(ADMIN + " dbname=postgres")
    admin.autocommit = True
    name = f"scada_bench_spool_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    uri = f"{ADMIN} dbname={name}"
    try:
        conn = connect(uri)
        migrate(conn)
        conn.commit()
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp)
            events = _events(args.events)
            Spool(state).append(events)
            order = [e.event_uid for e in events]
            spool_mib = (state / "spool.jsonl").stat().st_size / 2**20
            del events

            def all_at_once() -> int:
                sent = insert_events(conn, Spool(state).read())
                conn.commit()
                return sent

            base = _measure(all_at_once)
            base_ok = _stored(uri) == order

            sink = EventSink(Database(uri=uri), state)

            def chunked() -> int:
                largest = 0
                while len(sink.spool):
                    before = len(sink.spool)
                    if not sink.flush(max_chunks=1):
                        raise SystemExit("bench: the flush sent nothing")
                    largest = max(largest, before - len(sink.spool))
                return largest

            result = _measure(chunked)
            sink.close()
            result_ok = _stored(uri) == order
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()

    print(f"bench_spool: {args.events:,} spooled events ({spool_mib:.1f} MiB of spool.jsonl)")
    print(f"{'flush':<28} {'seconds':>8} {'peak MiB':>9} {'rows/transaction':>17}  in order")
    for label, (seconds, peak, largest), ok in (
        ("baseline: one transaction", base, base_ok),
        ("EventSink.flush() chunks", result, result_ok),
    ):
        print(f"{label:<28} {seconds:>8.1f} {peak:>9.1f} {largest:>17,}  {ok}")
    ratio = base[1] / result[1] if result[1] else float("inf")
    print(f"peak memory: {ratio:.1f}x lower chunked; time: {result[0] / base[0]:.2f}x the baseline")
    failed = []
    if result[2] > CHUNK_EVENTS:
        failed.append(f"a transaction held {result[2]} rows (> {CHUNK_EVENTS})")
    if not (base_ok and result_ok):
        failed.append("events missing, repeated or out of order")
    if ratio < 5:
        failed.append(f"peak memory only {ratio:.1f}x lower (target >= 5x)")
    print("PASS" if not failed else "FAIL: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
