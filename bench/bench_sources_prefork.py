"""Benchmark: many sources pulled by a real prefork Odoo (2 workers, 2 cron threads).

``bench_odoo_sources.py`` measures the pull's fair sharing with two threads in one
process; this one runs the real thing: ``--sources`` SCADA databases (10) of
``--events`` events each (10,000), one ``scada.source`` each, and an Odoo 18 server
started with ``--workers=2 --max-cron-threads=2`` (:mod:`stack`). The scheduled pull is
triggered once; the script then reads Odoo's database every 0.5 s and prints, per
source, when its first failure arrived and when its last did, then the total rate.

Baseline, in the same run: the time to the first failure of the first source served
(what every source would wait at best). A source is starved when it gets nothing until
every other source has its whole backlog in.

Run (PostgreSQL running, Odoo 18 at ODOO_PATH, default /opt/odoo18; about 5 minutes)::

    .venv/bin/python bench/bench_sources_prefork.py [--sources 10] [--events 10000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scada_bridge import NewEvent, connect, insert_events, migrate
from stack import ODOO_PATH, ODOO_SETUP, Stack, create_db, query, wait_until


def fill(uri: str, events: int, tag: str) -> None:
    now = datetime.now(timezone.utc)
    conn = connect(uri)
    try:
        migrate(conn)
        conn.commit()
        for start in range(0, events, 5000):
            insert_events(
                conn,
                [
                    NewEvent(
                        kind="raised",
                        equipment_code=f"{tag}-eq{i % 50}",
                        failure_code="BULK",
                        description=f"event {i}",
                        severity="low",
                        occurred_at=now - timedelta(seconds=events - i),
                        device=tag,
                        event_uid=str(uuid.uuid4()),
                    )
                    for i in range(start, min(events, start + 5000))
                ],
            )
            conn.commit()
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="scada-sources-"))
    stack = Stack(tmp, "sources")
    try:
        stack.scada()  # source 1 (made by stack.odoo())
        uris = [stack.scada_uri]
        for n in range(2, args.sources + 1):
            name = f"{stack.scada_db}_{n}"
            create_db(name)
            stack._dbs.append(name)
            uris.append(f"dbname={name}")
        stack.odoo(workers=2, cron_threads=2)
        stack.stop("odoo")  # add the other sources while no cron runs
        odoo_python = stack._odoo_argv[0]
        for n, uri in enumerate(uris[1:], start=2):
            with open(ODOO_SETUP, "rb") as script:
                subprocess.run(
                    [
                        odoo_python,
                        str(ODOO_PATH / "odoo-bin"),
                        "shell",
                        *stack._odoo_argv[2:5],
                        "--no-http",
                        "--log-level=warn",
                    ],
                    stdin=script,
                    cwd=ODOO_PATH,
                    env={
                        **stack._odoo_env,
                        "SCADA_SOURCE_NAME": f"Site {n}",
                        "SCADA_SOURCE_URI": uri,
                    },
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
        for n, uri in enumerate(uris, start=1):
            fill(uri, args.events, f"site{n}")
        sources = dict(query(stack.odoo_db, "SELECT id, name FROM scada_source"))
        total = args.events * len(uris)
        stack.start_odoo()
        t0 = time.monotonic()
        stack.ring()  # trigger the scheduled pull once; it re-triggers itself while events wait
        first: dict[int, float] = {}
        done: dict[int, float] = {}

        def progress() -> bool:
            now = time.monotonic() - t0
            counts = dict(
                query(
                    stack.odoo_db,
                    "SELECT source_id, count(*) FROM scada_failure_report GROUP BY source_id",
                )
            )
            for sid, count in counts.items():
                first.setdefault(sid, now)
                if count >= args.events:
                    done.setdefault(sid, now)
            return len(done) == len(sources)

        wait_until("every source pulled", progress, 1800, 0.5)
        elapsed = time.monotonic() - t0
        twice = query(
            stack.odoo_db,
            "SELECT count(*) - count(DISTINCT event_uid) FROM scada_failure_report",
        )[0][0]
    finally:
        stack.close()

    print(
        f"{len(sources)} sources x {args.events} events, Odoo --workers=2 --max-cron-threads=2, "
        "one trigger of the scheduled pull"
    )
    print(f"{'source':10} {'first failure after':>20} {'all in after':>14}")
    for sid in sorted(first, key=first.get):
        print(f"{sources[sid]:10} {first[sid]:>19.1f}s {done[sid]:>13.1f}s")
    baseline = min(first.values())
    last_first = max(first.values())
    print(f"baseline  first failure of the first source served: {baseline:.1f} s")
    print(f"result    first failure of the last source served:  {last_first:.1f} s")
    print(
        f"result    slowest source complete: {max(done.values()):.1f} s; "
        f"fastest {min(done.values()):.1f} s"
    )
    print(
        f"result    total {total} events in {elapsed:.1f} s = {total / elapsed:.0f} events/s; "
        f"{twice} twice"
    )
    # Starved: a source got nothing until every other source had its whole backlog in.
    last = max(first, key=first.get)
    others_done = max(t for sid, t in done.items() if sid != last)
    starved = first[last] >= others_done
    print(
        "no source starved (the last one served began before the others were all done)"
        if not starved
        else "STARVED: a source got nothing until every other one was done"
    )
    return 0 if not starved and twice == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
