#!/usr/bin/env python3
"""Benchmark: a year of a large plant group in Odoo, every screen at 2 million failures (issue 22).

Run it with Odoo's Python (the venv ``scripts/odoo-env.sh`` prints)::

    ODOO_PY=$(bash scripts/odoo-env.sh)
    PYTHONPATH=bridge $ODOO_PY bench/bench_year.py --failures 2000000

It installs ``scada_failure_report`` once into a template database, copies it
into two throwaway Odoo databases, fills one with ``--baseline`` failures (10,000)
and the other with ``--failures`` (2,000,000), both by ``year_fill.fill`` (1,000
equipment, 40 codes, 3 sources, their corrective requests, a year of sync-log
lines and rejected rows), starts a real Odoo HTTP server on each in turn, logs in
as a maintenance manager and times every screen of ``year_screens.screens`` (median
and p95 of ``--calls`` calls after a warm-up). It prints both columns, the ratio
and the targets: every screen <= 1 s at the full size, none more than 3x slower
than at the baseline. Every database is dropped at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid

import psycopg2
import scada_bridge
from odoo_throwaway import ADDONS, ODOO_PATH, admin, drop_db, install_odoo_db
from psycopg2 import sql
from year_fill import check, fill
from year_screens import Client, measure, screens

TARGET_S = 1.0
TARGET_RATIO = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_db(template: str, name: str) -> None:
    admin(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    )


def scada_db(name: str) -> str:
    """An empty SCADA database the sources point at (their backlog reads it)."""
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn = psycopg2.connect(dbname=name)
    scada_bridge.migrate(conn)
    conn.close()
    return f"dbname={name}"


def fill_db(db: str, failures: int, scada_uri: str) -> None:
    import odoo

    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        timings = fill(env, failures=failures, scada_uri=scada_uri)
        counts = check(env, failures)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    print(f"filled {db}: {steps}", flush=True)
    print("  checked through the ORM: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    odoo.sql_db.close_all()


class OdooServer:
    """``odoo-bin`` serving one database on a free loopback port (threaded, no cron)."""

    def __init__(self, db: str) -> None:
        self.db, self.port = db, free_port()
        self.log = open(f"/tmp/{db}.log", "w")  # closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                os.path.join(ODOO_PATH, "odoo-bin"),
                f"--addons-path={ODOO_PATH}/addons,{ADDONS}",
                "-d",
                db,
                f"--db-filter=^{db}$",
                "--http-interface=127.0.0.1",
                f"--http-port={self.port}",
                f"--gevent-port={free_port()}",
                "--max-cron-threads=0",
                "--workers=0",
                "--log-level=warn",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Odoo did not answer on {self.url} within 120 s: see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def screens_of(db: str, failures: int, calls: int) -> dict[str, tuple[float, float]]:
    server = OdooServer(db)
    try:
        client = Client(server.url, db, "manager", "manager-bench-password")
        print(f"screens at {failures:,} failures ({calls} calls each):", flush=True)
        return measure(screens(client, failures), calls)
    finally:
        server.stop()


def report(small: dict, big: dict, n_small: int, n_big: int) -> bool:
    print()
    print(f"{'screen':<36} {n_small:>10,} {n_big:>12,}   ratio  target")
    print(f"{'':<36} {'median/p95 (s)':>10} {'median/p95 (s)':>12}")
    ok = True
    for name, (med_big, p95_big) in big.items():
        med_small, p95_small = small[name]
        ratio = med_big / med_small if med_small else float("inf")
        met = p95_big <= TARGET_S and ratio <= TARGET_RATIO
        ok &= met
        print(
            f"{name:<36} {med_small:.3f}/{p95_small:.3f} {med_big:>7.3f}/{p95_big:.3f}"
            f"  {ratio:5.1f}x  {'met' if met else 'MISSED'}"
        )
    print(
        f"\ntargets: p95 <= {TARGET_S:.0f} s at {n_big:,}, median <= {TARGET_RATIO:.0f}x the "
        f"{n_small:,} baseline: {'all met' if ok else 'NOT all met'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=2_000_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--template", help="an Odoo database with the module installed to copy")
    parser.add_argument(
        "--existing",
        metavar="SMALL,BIG",
        help="measure two databases a --keep run filled (after an upgrade of the module)",
    )
    args = parser.parse_args()
    sys.path.insert(0, ODOO_PATH)

    if args.existing:
        small, big = args.existing.split(",")
        return (
            0
            if report(
                screens_of(small, args.baseline, args.calls),
                screens_of(big, args.failures, args.calls),
                args.baseline,
                args.failures,
            )
            else 1
        )
    tag = uuid.uuid4().hex[:8]
    template, small, big = (f"scada_year_{k}_{tag}" for k in ("tmpl", "small", "big"))
    scada = f"scada_year_scada_{tag}"
    try:
        uri = scada_db(scada)
        if args.template:
            template = args.template
        else:
            install_odoo_db(template)
        copy_db(template, small)
        copy_db(template, big)
        from odoo.tools import config

        config.parse_config([f"--addons-path={ODOO_PATH}/addons,{ADDONS}"])
        fill_db(small, args.baseline, uri)
        fill_db(big, args.failures, uri)
        small_figures = screens_of(small, args.baseline, args.calls)
        big_figures = screens_of(big, args.failures, args.calls)
        ok = report(small_figures, big_figures, args.baseline, args.failures)
    finally:
        if not args.keep:
            for db in (small, big, scada) + (() if args.template else (template,)):
                drop_db(db)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
