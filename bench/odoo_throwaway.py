"""Throwaway databases and a throwaway Odoo install for the Odoo benchmarks.

Run with Odoo's Python (``bash scripts/odoo-env.sh`` prints it); PostgreSQL is
reached the libpq way (local socket, this OS user), as Odoo itself does.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
from psycopg2 import sql

ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo18")
ADDONS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "addons"))


def admin(statement: sql.Composable) -> None:
    """Run CREATE/DROP DATABASE (outside any transaction block)."""
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def drop_db(name: str) -> None:
    admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def install_odoo_db(name: str) -> None:
    """A new Odoo database with scada_failure_report installed, no demo data."""
    print(f"installing scada_failure_report into Odoo database {name} ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            os.path.join(ODOO_PATH, "odoo-bin"),
            f"--addons-path={ODOO_PATH}/addons,{ADDONS}",
            "-d",
            name,
            "-i",
            "scada_failure_report",
            "--stop-after-init",
            "--without-demo=all",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )
