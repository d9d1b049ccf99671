#!/usr/bin/env python3
"""Benchmark: a backlog of SCADA events pulled into Odoo 18 by ``scada.source._pull``.

Run it with Odoo's Python (the venv ``scripts/odoo-env.sh`` prints)::

    ODOO_PY=$(bash scripts/odoo-env.sh)
    $ODOO_PY bench/bench_odoo_pull.py --events 10000 --batch-size 1000

It creates a throwaway Odoo database with ``scada_failure_report`` installed
and a throwaway SCADA database (both on the local PostgreSQL, dropped at the
end), writes the events with ``scada_bridge.insert_events`` and measures, in
the same run:

* baseline 1, the bare reader: ``read_events`` over the same rows, no Odoo;
* baseline 2, a naive ingest: one ``create()``/``write()`` per event with mail
  tracking on, as home-made integrations do (on ``--naive`` events, rolled back);
* the pull itself: batches ingested in one ``create()``, cursor stored and
  committed per batch, exactly what the scheduled action runs.

It prints events/s for each, the ratios, and the resident memory after every
batch (flat means the pull does not accumulate records across batches).

With ``--requests`` the same backlog is then pulled six more times in the
same run, each into emptied tables, with a maintenance equipment for each of
the 40 equipment codes: without the maintenance step (no-ops in place of it
and of the failure code look-up: the ingest as it was before failure codes,
requests and alerts), with
corrective requests off (the failure code's policy ``never``; codes and
alerts still run) and on (``always``: one request per equipment and code,
every repeat linked to it and noted once per batch), each twice, in the
mirrored order skip, off, on, on, off, skip.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg2
import scada_bridge
from odoo_throwaway import ADDONS, ODOO_PATH, admin, drop_db, install_odoo_db
from psycopg2 import sql
from scada_bridge import NewEvent

ACTIVITY_TYPE = "scada_failure_report.mail_activity_type_scada_failure"
T0 = datetime(2026, 11, 2, 8, 0, 0, tzinfo=timezone.utc)
TARGET_EVENTS_PER_S = 5000


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_events(count: int) -> list[NewEvent]:
    """Three raises then two clears of earlier raises, repeated: 60 % raised, 40 % cleared."""
    events: list[NewEvent] = []
    open_raises: list[NewEvent] = []
    for n in range(count):
        at = T0 + timedelta(seconds=n)
        if n % 5 < 3 or not open_raises:
            event = NewEvent(
                kind="raised",
                equipment_code=f"silo{n % 40}",
                occurred_at=at,
                failure_code="START_FAILURE",
                description="Motor did not start",
                severity=("low", "medium", "high", "critical")[n % 4],
                device=f"plc-{n % 4}",
                payload={"register": 40001 + n % 16, "value": n % 7},
            )
            open_raises.append(event)
        else:
            raised = open_raises.pop(0)
            event = NewEvent(
                kind="cleared",
                equipment_code=raised.equipment_code,
                occurred_at=at,
                raise_uid=raised.event_uid,
                device=raised.device,
            )
        events.append(event)
    return events


def create_scada_db(name: str, events: list[NewEvent]) -> str:
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    uri = f"dbname={name}"
    conn = psycopg2.connect(uri)
    scada_bridge.migrate(conn)
    for start in range(0, len(events), 500):  # one writer transaction per 500, like a poller
        scada_bridge.insert_events(conn, events[start : start + 500])
        conn.commit()
    conn.close()
    return uri


def bench_reader(uri: str, batch_size: int) -> tuple[int, float]:
    conn = scada_bridge.connect(uri)
    cursor, rows, t0 = scada_bridge.START, 0, time.perf_counter()
    while True:
        batch = scada_bridge.read_events(conn, cursor, batch_size)
        conn.rollback()
        rows += batch.rows
        cursor = batch.cursor
        if not batch.has_more:
            break
    elapsed = time.perf_counter() - t0
    conn.close()
    return rows, elapsed


def bench_naive(env, uri: str, count: int) -> tuple[int, float]:
    """One create() per raise, one search + write() per clear, tracking on; rolled back."""
    conn = scada_bridge.connect(uri)
    batch = scada_bridge.read_events(conn, scada_bridge.START, count)
    conn.close()
    reports = env["scada.failure.report"]
    t0 = time.perf_counter()
    for event in batch.events:
        occurred = event.occurred_at.astimezone(timezone.utc).replace(tzinfo=None)
        if event.kind == "raised":
            reports.create(
                {
                    "event_uid": event.event_uid,
                    "equipment_code": event.equipment_code,
                    "failure_code": event.failure_code,
                    "description": event.description,
                    "severity": event.severity,
                    "started_at": occurred,
                    "device": event.device,
                    "payload": event.payload,
                    "origin": "pull",
                }
            )
        else:
            report = reports.search([("event_uid", "=", event.raise_uid)])
            report.write({"clear_uid": event.event_uid, "cleared_at": occurred, "state": "cleared"})
        env.flush_all()
    elapsed = time.perf_counter() - t0
    env.cr.rollback()
    return len(batch.events), elapsed


def wipe_failures(env) -> None:
    """Empty what a pull made (failures, waiting clears, requests, activities), keep the rest.

    TRUNCATE, not DELETE: every run starts from empty tables and indexes, so
    a later run is not slowed by the dead rows of an earlier one.
    """
    activity_type = env.ref(ACTIVITY_TYPE)
    env.cr.execute("DELETE FROM mail_activity WHERE activity_type_id = %s", [activity_type.id])
    env.cr.execute(
        "TRUNCATE scada_failure_report, scada_pending_clear, maintenance_request,"
        " scada_failure_report_scada_failure_resolve_rel"
    )
    env.invalidate_all()


#: The three ways the ingest's maintenance step can run, and the order they are
#: measured in: each twice, mirrored, so a machine getting busier or quieter
#: during the run weighs on all three alike.
REQUEST_MODES = ("skip", "off", "on", "on", "off", "skip")


def bench_requests(registry, uri: str, batch_size: int) -> dict[str, list[dict]]:
    """The pull of the same backlog without the maintenance step, with requests off, and on.

    ``skip``: the maintenance step and the failure code look-up replaced by
    no-ops (the ingest as it was before failure codes, requests and alerts);
    ``off``: they run, the failure code's policy is ``never``; ``on``: ``always``.
    """
    import odoo

    runs: dict[str, list[dict]] = {"skip": [], "off": [], "on": []}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["maintenance.equipment"].create(
            [{"name": f"Silo {n}", "scada_code": f"silo{n}"} for n in range(40)]
        )
        code = env["scada.failure.code"].search([("code", "=", "START_FAILURE")])
        source = env["scada.source"].create(
            {"name": "bench requests", "connection_uri": uri, "batch_size": batch_size}
        )
        step = type(env["scada.failure.maintenance"])
        after_ingest, code_map = step._after_ingest, step._code_map
        for mode in REQUEST_MODES:
            wipe_failures(env)
            code.request_policy = "always" if mode == "on" else "never"
            source.cursor = False
            cr.commit()
            if mode == "skip":
                step._after_ingest = lambda self, reports: None
                step._code_map = lambda self, codes, company: {}
            started = time.perf_counter()
            try:
                result = source._pull(deadline=time.monotonic() + 3600)
            finally:
                step._after_ingest, step._code_map = after_ingest, code_map
            elapsed = time.perf_counter() - started
            requests = env["maintenance.request"].search([])
            runs[mode].append(
                {
                    "eps": result["read"] / elapsed,
                    "seconds": elapsed,
                    "created": result["created"],
                    "requests": len(requests),
                    "linked": env["scada.failure.report"].search_count(
                        [("maintenance_request_id", "!=", False)]
                    ),
                    "notes": env["mail.message"].search_count(
                        [("model", "=", "maintenance.request"), ("res_id", "in", requests.ids)]
                    ),
                    "activities": env["mail.activity"].search_count(
                        [("activity_type_id", "=", env.ref(ACTIVITY_TYPE).id)]
                    ),
                }
            )
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--naive", type=int, default=1000, help="events for the naive baseline")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    parser.add_argument(
        "--profile", metavar="FILE", help="profile the pull with cProfile, stats to FILE"
    )
    parser.add_argument(
        "--requests",
        action="store_true",
        help="also pull the backlog with corrective maintenance requests off, then on",
    )
    args = parser.parse_args()

    sys.path.insert(0, ODOO_PATH)
    import odoo
    from odoo.tools import config

    tag = uuid.uuid4().hex[:8]
    odoo_db, scada_db = f"scada_bench_odoo_{tag}", f"scada_bench_scada_{tag}"
    events = make_events(args.events)
    raised = sum(e.kind == "raised" for e in events)
    try:
        uri = create_scada_db(scada_db, events)
        install_odoo_db(odoo_db)
        config.parse_config(
            [f"--addons-path={ODOO_PATH}/addons,{os.path.abspath(ADDONS)}", "-d", odoo_db]
        )
        registry = odoo.modules.registry.Registry(odoo_db)

        rows, reader_s = bench_reader(uri, args.batch_size)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            naive_n, naive_s = bench_naive(env, uri, args.naive)

        samples: list[tuple[int, float, float]] = []
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            from odoo.addons.scada_failure_report.models.scada_pull import SourcePull

            original = SourcePull.commit_progress
            started = time.perf_counter()

            def sampled(self, done, remaining):
                original(self, done, remaining)
                samples.append((done, time.perf_counter() - started, rss_mb()))

            SourcePull.commit_progress = sampled
            source = env["scada.source"].create(
                {"name": "bench", "connection_uri": uri, "batch_size": args.batch_size}
            )
            cr.commit()
            rss_before = rss_mb()
            started = time.perf_counter()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            result = source._pull(deadline=time.monotonic() + 3600)
            pull_s = time.perf_counter() - started
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            SourcePull.commit_progress = original
            created = env["scada.failure.report"].search_count([])
            cleared = env["scada.failure.report"].search_count([("state", "=", "cleared")])
            messages = env["mail.message"].search_count([("model", "=", "scada.failure.report")])
        requests = bench_requests(registry, uri, args.batch_size) if args.requests else None
    finally:
        if not args.keep:
            odoo.sql_db.close_all()
            drop_db(scada_db)
            drop_db(odoo_db)

    reader_eps = rows / reader_s
    naive_eps = naive_n / naive_s
    pull_eps = result["read"] / pull_s
    batch_rss = [s[2] for s in samples]
    print()
    print(
        f"events: {args.events} ({raised} raised, {args.events - raised} cleared), "
        f"batch size {args.batch_size}, {os.cpu_count()} CPU(s), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"baseline  reader only (read_events loop) : {reader_eps:10.0f} events/s")
    print(
        f"baseline  naive ingest ({naive_n} events, 1 create/event, tracking on): "
        f"{naive_eps:10.0f} events/s"
    )
    print(
        f"result    pull (_pull, batched, commit per batch): {pull_eps:10.0f} events/s "
        f"({pull_s:.2f} s)"
    )
    print(
        f"ratio     pull / naive = {pull_eps / naive_eps:.1f}x; "
        f"pull / reader = {pull_eps / reader_eps:.2f}"
    )
    shown = batch_rss if len(batch_rss) <= 15 else batch_rss[:5] + batch_rss[-5:]
    print(
        f"memory    RSS before pull {rss_before:.0f} MB; after each of {len(batch_rss)} batch "
        "commits: "
        + " ".join(f"{m:.0f}" for m in shown[:5])
        + (" ... " if len(batch_rss) > 15 else " ")
        + " ".join(f"{m:.0f}" for m in shown[5:])
        + f" MB; max {max(batch_rss):.0f} MB, first->last {batch_rss[-1] - batch_rss[0]:+.1f} MB;"
        f" process peak (VmHWM) {rss_mb('VmHWM'):.0f} MB"
    )
    print(
        f"check     {created} failures ({cleared} cleared), {result['duplicate']} duplicates, "
        f"{messages} chatter messages on failures"
    )
    if requests:
        labels = {
            "skip": "no maintenance step (the ingest before issue 10)",
            "off": "requests off (policy never; codes, alerts)",
            "on": "requests on (policy always)",
        }
        eps = {}
        print(f"requests  same backlog, 40 equipment, in the order {' '.join(REQUEST_MODES)}:")
        for mode, runs in requests.items():
            eps[mode] = statistics.mean(run["eps"] for run in runs)
            last = runs[-1]
            each = ", ".join(f"{run['eps']:.0f}" for run in runs)
            print(
                f"          {labels[mode]:50s}: {eps[mode]:6.0f} events/s "
                f"(runs: {each}); "
                f"{last['requests']} requests, {last['linked']} failures linked, "
                f"{last['notes']} request messages, {last['activities']} alert activities"
            )
        print(
            f"ratio     requests off / no step = {eps['off'] / eps['skip']:.2f}; "
            f"requests on / off = {eps['on'] / eps['off']:.2f}"
        )
    ok = pull_eps >= TARGET_EVENTS_PER_S and created == raised and cleared == args.events - raised
    if requests:
        # One request per equipment that failed (and its one code), none with requests off.
        failed = len({e.equipment_code for e in events if e.kind == "raised"})
        ok = (
            ok
            and all(run["requests"] == failed for run in requests["on"])
            and not any(run["requests"] for run in requests["off"] + requests["skip"])
        )
    print(
        f"target    >= {TARGET_EVENTS_PER_S} events/s and every event once: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
