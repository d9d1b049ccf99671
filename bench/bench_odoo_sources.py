#!/usr/bin/env python3
"""Benchmark: many SCADA sources pulled into one Odoo 18, none starved.

Run it with Odoo's Python (the venv ``scripts/odoo-env.sh`` prints)::

    ODOO_PY=$(bash scripts/odoo-env.sh)
    $ODOO_PY bench/bench_odoo_sources.py --sources 10 --events 10000 --threads 2

It makes ``--sources`` throwaway SCADA databases of ``--events`` events each
(sources alternate between two companies) and one throwaway Odoo database
with the module installed, all dropped at the end, and measures in the same
run:

* baseline: the sources pulled one after the other, each to its end
  (``_pull`` per source): what a pull loop without a shared budget does;
* result: ``--threads`` threads, each running the scheduled action
  (``scada.source._cron_pull``) run after run, as cron threads do while a
  backlog remains, with a ``--budget`` seconds time budget per run.

For each it prints the total rate, and per source the time until its first
batch (a starved source waits for the others) and until its last one (its
lag behind the SCADA database); it checks every event arrived once, in its
source's company.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid

from bench_odoo_pull import create_scada_db, make_events
from odoo_throwaway import ADDONS, ODOO_PATH, drop_db, install_odoo_db


class Clock:
    """First and last batch time of each source, from the pull's own ingest calls."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.perf_counter()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.rows = 0

    def batch(self, source_id: int, rows: int) -> None:
        now = time.perf_counter() - self.started
        with self.lock:
            self.first.setdefault(source_id, now)
            self.last[source_id] = now
            self.rows += rows


def reset(registry, odoo) -> None:
    """Forget what a previous mode pulled: no failure, every cursor at the start."""
    with registry.cursor() as cr:
        cr.execute(
            "TRUNCATE scada_failure_report, scada_pending_clear, scada_sync_log,"
            " scada_rejected_row CASCADE"
        )
        cr.execute("UPDATE scada_source SET cursor = NULL, last_pull_at = NULL")
        cr.commit()


def run_mode(registry, odoo, mode: str, threads: int, total: int) -> tuple[Clock, float]:
    from odoo.addons.scada_failure_report.models.scada_pull import SourcePull

    clock = Clock()
    original = SourcePull.ingest_batch

    def ingest_batch(pull, batch):
        counts = original(pull, batch)
        clock.batch(pull.source.id, batch.rows)
        return counts

    SourcePull.ingest_batch = ingest_batch
    try:
        clock.started = time.perf_counter()
        if mode == "sequential":
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                for source in env["scada.source"].search([], order="id"):
                    source._pull(deadline=time.monotonic() + 3600)
        else:

            def cron_thread():
                runs = 0
                while clock.rows < total and runs < 10_000:
                    runs += 1
                    with registry.cursor() as cr:
                        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                        env["scada.source"]._cron_pull()
                        cr.commit()

            workers = [threading.Thread(target=cron_thread) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        elapsed = time.perf_counter() - clock.started
    finally:
        SourcePull.ingest_batch = original
    return clock, elapsed


def check(registry, odoo, expected: dict[int, int]) -> str:
    """Every event once, each failure in its source's company."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT r.source_id, count(*), count(DISTINCT r.event_uid),"
            " bool_and(r.company_id = s.company_id)"
            " FROM scada_failure_report r JOIN scada_source s ON s.id = r.source_id"
            " GROUP BY r.source_id"
        )
        rows = {source: (n, distinct, same) for source, n, distinct, same in cr.fetchall()}
    bad = [
        source
        for source, raised in expected.items()
        if rows.get(source, (0, 0, False)) != (raised, raised, True)
    ]
    return "every event once, in its source's company" if not bad else f"WRONG for {bad}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--events", type=int, default=10_000, help="events per source")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2, help="cron threads")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per cron run")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()

    sys.path.insert(0, ODOO_PATH)
    import odoo
    from odoo.tools import config

    tag = uuid.uuid4().hex[:8]
    odoo_db = f"scada_bench_odoo_{tag}"
    scada_dbs = [f"scada_bench_scada_{tag}_{n}" for n in range(args.sources)]
    events = make_events(args.events)
    raised = sum(e.kind == "raised" for e in events)
    total = args.sources * args.events
    try:
        print(f"writing {args.sources} SCADA databases of {args.events} events ...", flush=True)
        uris = [create_scada_db(name, make_events(args.events)) for name in scada_dbs]
        install_odoo_db(odoo_db)
        config.parse_config(
            [f"--addons-path={ODOO_PATH}/addons,{os.path.abspath(ADDONS)}", "-d", odoo_db]
        )
        registry = odoo.modules.registry.Registry(odoo_db)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            companies = env.company | env["res.company"].create({"name": "Plant group B"})
            env["ir.config_parameter"].set_param(
                "scada_failure_report.pull_time_budget", str(args.budget)
            )
            expected = {}
            for n, uri in enumerate(uris):
                source = env["scada.source"].create(
                    {
                        "name": f"site {n}",
                        "connection_uri": uri,
                        "batch_size": args.batch_size,
                        "company_id": companies[n % 2].id,
                    }
                )
                expected[source.id] = raised
            cr.commit()

        results = {}
        for mode in ("sequential", "cron"):
            reset(registry, odoo)
            clock, elapsed = run_mode(registry, odoo, mode, args.threads, total)
            results[mode] = (clock, elapsed, check(registry, odoo, expected))
    finally:
        if not args.keep:
            odoo.sql_db.close_all()
            for name in [odoo_db, *scada_dbs]:
                drop_db(name)

    print()
    print(
        f"{args.sources} sources x {args.events} events ({total} in all), batch size "
        f"{args.batch_size}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}"
    )
    labels = {
        "sequential": "baseline  one source after the other, each to its end",
        "cron": f"result    scheduled pull, {args.threads} cron threads, {args.budget:g} s per run",
    }
    for mode, (clock, elapsed, verdict) in results.items():
        print(
            f"{labels[mode]}: {clock.rows / elapsed:8.0f} events/s ({elapsed:.1f} s); "
            f"first batch of the last source served after {max(clock.first.values()):.1f} s; "
            f"slowest source caught up after {max(clock.last.values()):.1f} s, fastest after "
            f"{min(clock.last.values()):.1f} s; {verdict}"
        )
    base_first = max(results["sequential"][0].first.values())
    cron_first = max(results["cron"][0].first.values())
    ok = all(r[2].startswith("every") for r in results.values()) and cron_first < base_first
    print(
        f"target    no source starved (every source served within the first runs) "
        f"and every event once: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
