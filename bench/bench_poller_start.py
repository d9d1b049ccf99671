"""Poller start over a long history: active failures from scada.active_condition vs history.

At start the poller reads which condition failures of its PLCs are still active
(raised, never cleared: ``poller/sink.py`` ``_ACTIVE_SQL``), under the sink's
statement timeout. The script fills a throwaway SCADA database with
``--pairs`` raise/clear pairs spread over 20 PLCs (plus mailbox records and a
few open raises), then times ``EventSink.start()`` for 2 of those PLCs:

* baseline: the query of issue 9 (an anti-join over every condition raise of
  those PLCs, by migration 0003's partial index, recreated for the run);
* result: the query as shipped, reading ``scada.active_condition`` (migration
  0004, kept by a trigger on every insert).

Exits non-zero when the answers differ or the start takes more than a fifth of the
sink's statement timeout (10 s with the default ``connect_timeout`` of 5 s).

    .venv/bin/python bench/bench_poller_start.py --pairs 500000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
from psycopg2 import sql
from scada_bridge import connect, migrate
from scada_bridge.config import Database
from scada_bridge.poller import sink as sink_module
from scada_bridge.poller.sink import EventSink

ADMIN = "host=127.0.0.1 port=5432 user=postgres"
DEVICES = ["plc1", "plc2"]

#: The start query and index of issue 9 (migration 0003), the baseline.
HISTORY_SQL = """
    SELECT r.device, r.equipment_code, r.failure_code, r.event_uid::text
      FROM scada.equipment_failure r
     WHERE r.kind = 'raised'
       AND r.device = ANY(%s)
       AND r.payload->>'source' = 'condition'
       AND NOT EXISTS (SELECT 1 FROM scada.equipment_failure c
                        WHERE c.raise_uid = r.event_uid AND c.kind = 'cleared')
     ORDER BY r.id
"""
HISTORY_INDEX = """
    CREATE INDEX equipment_failure_condition_raise_idx
        ON scada.equipment_failure (device, id)
        INCLUDE (equipment_code, failure_code, event_uid)
        WHERE kind = 'raised' AND (payload ->> 'source') = 'condition'
"""


def _fill(conn, pairs: int) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO scada.equipment_failure
                (event_uid, kind, raise_uid, equipment_code, failure_code, occurred_at,
                 device, payload)
            SELECT v.uid, v.kind, v.raise_uid, 'eq' || (i %% 200), 'F', now(), 'plc' || (i %% 20),
                   jsonb_build_object('source',
                       CASE WHEN i %% 10 = 0 THEN 'mailbox' ELSE 'condition' END)
              FROM (SELECT i, gen_random_uuid() AS raise FROM generate_series(1, %s) i) s,
                   LATERAL (VALUES (s.raise, 'raised', NULL::uuid),
                                   (gen_random_uuid(), 'cleared', s.raise)) v(uid, kind, raise_uid)
             WHERE v.kind = 'raised' OR s.i %% 10 <> 0 AND s.i %% 997 <> 1
            """,
            (pairs,),
        )
        cur.execute("ANALYZE scada.equipment_failure")
    conn.commit()


def _start(uri: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        sink = EventSink(Database(uri=uri), Path(tmp))
        started = time.perf_counter()
        sink.start(DEVICES)
        seconds = time.perf_counter() - started
        sink.close()
    return seconds, dict(sink.active)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=500_000)
    args = parser.parse_args()
    admin = psycopg2.connect(ADMIN + " dbname=postgres")
    admin.autocommit = True
    name = f"scada_bench_start_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    uri = f"{ADMIN} dbname={name}"
    try:
        conn = connect(uri)
        migrate(conn)
        conn.commit()
        filled = time.perf_counter()
        _fill(conn, args.pairs)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM scada.equipment_failure")
            (total,) = cur.fetchone()
        filled = time.perf_counter() - filled
        _start(uri)  # warm the cache alike for both runs
        result = _start(uri)
        with conn.cursor() as cur:
            cur.execute(HISTORY_INDEX)
            cur.execute("ANALYZE scada.equipment_failure")
        conn.commit()
        shipped = sink_module._ACTIVE_SQL
        sink_module._ACTIVE_SQL = HISTORY_SQL
        try:
            _start(uri)
            baseline = _start(uri)
        finally:
            sink_module._ACTIVE_SQL = shipped
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()

    print(f"bench_poller_start: {total:,} events ({filled:.0f} s to fill), start for {DEVICES}")
    print(f"{'active raises query':<44} {'seconds':>8} {'active found':>13}")
    for label, (seconds, active) in (
        ("baseline: anti-join over the history", baseline),
        ("scada.active_condition (as shipped)", result),
    ):
        print(f"{label:<44} {seconds:>8.3f} {len(active):>13}")
    ratio = baseline[0] / result[0] if result[0] else float("inf")
    print(f"from scada.active_condition: {ratio:.1f}x the speed of the baseline")
    failed = []
    if baseline[1] != result[1] or not result[1]:
        failed.append("the two runs found different active failures (or none)")
    budget = Database(uri=uri).connect_timeout * 2 / 5
    if result[0] > budget:
        failed.append(f"start took {result[0]:.1f} s (budget {budget:g} s)")
    print("PASS" if not failed else "FAIL: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
