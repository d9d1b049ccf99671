#!/usr/bin/env python3
"""Benchmark: the push API, one event per request vs batches, vs the scheduled pull.

Run it with Odoo's Python (the venv ``scripts/odoo-env.sh`` prints)::

    ODOO_PY=$(bash scripts/odoo-env.sh)
    $ODOO_PY bench/bench_push.py --events 1000 --batch 100

It creates a throwaway Odoo database with ``scada_failure_report`` installed and
a throwaway SCADA database (both on the local PostgreSQL, dropped at the end),
starts a real Odoo HTTP server on 127.0.0.1 (threaded, one cron thread), and
measures in the same run, each time with ``--events`` new failures:

* baseline, push one event per request: ``POST /api/scada/equipment-failure``
  with an API key, sequentially over one keep-alive connection (what a naive
  middleware does);
* push in batches of ``--batch`` events per request (``{"events": [...]}``);
* the scheduled pull: the events are written to the SCADA database by
  ``scada_bridge.insert_events`` (the poller's write path), then the doorbell
  ``POST /api/scada/pull`` is rung; timed from the ring until the last failure
  is visible in Odoo (cron wake-up included), and the pull job alone (its sync
  log duration).

Prints events/s for each and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import requests
import scada_bridge
from odoo_throwaway import ADDONS, ODOO_PATH, admin, drop_db, install_odoo_db
from psycopg2 import sql
from scada_bridge import NewEvent

T0 = datetime(2026, 11, 2, 8, 0, 0, tzinfo=timezone.utc)
API = "/api/scada/equipment-failure"
SERVER_START_TIMEOUT_S = 120
PULL_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_events(count: int, phase: int) -> list[dict]:
    """``count`` raises with their own uids; equipment codes known and unknown alike."""
    return [
        {
            "event_uid": str(uuid.uuid4()),
            "kind": "raised",
            "equipment_code": f"silo{n % 40}",
            "failure_code": "START_FAILURE",
            "description": "Motor did not start",
            "severity": ("low", "medium", "high", "critical")[n % 4],
            "occurred_at": (T0 + timedelta(days=phase, seconds=n)).isoformat(),
            "device": f"plc-{n % 4}",
        }
        for n in range(count)
    ]


def prepare_odoo(odoo_db: str, scada_uri: str) -> str:
    """An integration user with an API key, 20 equipments with SCADA codes, one source."""
    sys.path.insert(0, ODOO_PATH)
    import odoo
    from odoo.tools import config

    config.parse_config([f"--addons-path={ODOO_PATH}/addons,{ADDONS}", "-d", odoo_db])
    registry = odoo.modules.registry.Registry(odoo_db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        group = env.ref("scada_failure_report.group_scada_integration")
        user = env["res.users"].create(
            {
                "name": "SCADA bench bot",
                "login": "scada_bench_bot",
                "groups_id": [(6, 0, [env.ref("base.group_user").id, group.id])],
            }
        )
        env["maintenance.equipment"].create(
            [{"name": f"Silo {n}", "scada_code": f"silo{n}"} for n in range(20)]
        )
        env["scada.source"].create({"name": "bench", "connection_uri": scada_uri})
        key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "bench", None)
        cr.commit()
    odoo.sql_db.close_all()
    return key


def start_server(odoo_db: str, port: int, log_path: str) -> subprocess.Popen:
    log = open(log_path, "w")  # the server process writes it until it ends
    server = subprocess.Popen(
        [
            sys.executable,
            os.path.join(ODOO_PATH, "odoo-bin"),
            f"--addons-path={ODOO_PATH}/addons,{ADDONS}",
            "-d",
            odoo_db,
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--workers=0",
            "--max-cron-threads=1",
            "--without-demo=all",
            "--log-level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"Odoo exited with {server.returncode} at start: see {log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"Odoo did not answer on 127.0.0.1:{port} in {SERVER_START_TIMEOUT_S} s")


def push(session: requests.Session, url: str, body: object, expect: int = 201) -> dict:
    response = session.post(url, data=json.dumps(body), timeout=60)
    if response.status_code != expect:
        raise SystemExit(f"push answered {response.status_code}: {response.text[:300]}")
    return response.json()


def count_pulled(odoo_db: str) -> int:
    conn = psycopg2.connect(dbname=odoo_db)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM scada_failure_report WHERE origin = 'pull'")
            return cur.fetchone()[0]
    finally:
        conn.close()


def pull_job_seconds(odoo_db: str) -> tuple[float, int]:
    """Total duration and count of the pull runs that created failures (sync log)."""
    conn = psycopg2.connect(dbname=odoo_db)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT coalesce(sum(duration), 0), count(*) FROM scada_sync_log"
                " WHERE created_count > 0"
            )
            total, runs = cur.fetchone()
            return float(total), runs
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:8]
    odoo_db, scada_db = f"scada_bench_push_{tag}", f"scada_bench_pushscada_{tag}"
    log_path = f"/tmp/{odoo_db}.log"
    server = None
    try:
        admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scada_db)))
        scada_uri = f"dbname={scada_db}"
        conn = psycopg2.connect(scada_uri)
        scada_bridge.migrate(conn)
        conn.close()
        install_odoo_db(odoo_db)
        key = prepare_odoo(odoo_db, scada_uri)
        port = free_port()
        server = start_server(odoo_db, port, log_path)
        url = f"http://127.0.0.1:{port}"
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        )
        push(session, url + API, make_events(1, 9)[0], 201)  # warm-up: routing map, caches

        single = make_events(args.events, 1)
        t0 = time.perf_counter()
        for event in single:
            push(session, url + API, event)
        single_s = time.perf_counter() - t0

        batched = make_events(args.events, 2)
        t0 = time.perf_counter()
        for start in range(0, len(batched), args.batch):
            body = push(session, url + API, {"events": batched[start : start + args.batch]})
            assert body["created"] == len(batched[start : start + args.batch]), body
        batch_s = time.perf_counter() - t0

        # The scheduled pull: the poller's write path, then the doorbell.
        pulled_events = [
            NewEvent(
                kind="raised",
                equipment_code=e["equipment_code"],
                occurred_at=datetime.fromisoformat(e["occurred_at"]),
                failure_code=e["failure_code"],
                description=e["description"],
                severity=e["severity"],
                device=e["device"],
                event_uid=e["event_uid"],
            )
            for e in make_events(args.events, 3)
        ]
        conn = psycopg2.connect(scada_uri)
        scada_bridge.insert_events(conn, pulled_events)
        conn.commit()
        conn.close()
        t0 = time.perf_counter()
        ring = session.post(url + "/api/scada/pull", data=b"{}", timeout=30)
        if ring.status_code != 202:
            raise SystemExit(f"doorbell answered {ring.status_code}: {ring.text[:300]}")
        deadline = time.monotonic() + PULL_TIMEOUT_S
        while count_pulled(odoo_db) < args.events:
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"the pull did not bring {args.events} events in {PULL_TIMEOUT_S} s"
                )
            time.sleep(0.02)
        pull_s = time.perf_counter() - t0
        job_s, runs = pull_job_seconds(odoo_db)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            drop_db(scada_db)
            drop_db(odoo_db)

    n = args.events
    rows = [
        ("baseline  push, 1 event per request", single_s),
        (f"result    push, {args.batch} events per request", batch_s),
        ("result    scheduled pull, doorbell to last record", pull_s),
        (f"          scheduled pull, the job alone ({runs} run(s))", job_s),
    ]
    print()
    print(f"{n} new failures per mode, Odoo threaded server on 127.0.0.1, {os.cpu_count()} CPU(s)")
    base = n / single_s
    for label, seconds in rows:
        eps = n / seconds if seconds else float("inf")
        print(f"{label:55s} {seconds:7.2f} s {eps:9.0f} events/s  {eps / base:6.1f}x baseline")
    print(f"server log: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
