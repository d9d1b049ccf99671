# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The commit-capable tier: the pull and the push with real commits and real races.

Odoo's test cases run every test in one transaction that is rolled back, and
the pull never commits under tests (``scada_pull.can_commit``): a test there
cannot tell "the cursor and its records are durable together" from "the
cursor was committed first", and two transactions never race.

:class:`CommitCase` installs the module into a throwaway Odoo database (a
separate ``odoo-bin -i`` process, once per class), loads its registry in this
process and gives each test as many cursors on it as it needs: every cursor
is a real transaction, the pull's commits are real commits (``can_commit``
is patched to True for this database only), pushes go through the real HTTP
server of this test run to that database, and the database is dropped at the
end. Only the SCADA side is the usual throwaway SCADA database.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import odoo
import psycopg2
import requests
import scada_bridge
from odoo import api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase
from odoo.tools import config
from psycopg2 import sql

from ..models import scada_pull
from .common import T0, server_dsn

#: Longest any wait of this tier may take before the test fails (never a sleep
#: standing in for an event: waits poll a condition and give up here).
WAIT_LIMIT = 120


def admin_sql(statement) -> None:
    conn = psycopg2.connect(server_dsn("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def wait_until(condition, what: str, limit: float = WAIT_LIMIT, step: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail after ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"gave up after {limit:.0f} s waiting for {what}\n{_worker_stacks()}")


def _worker_stacks() -> str:
    """Where each test worker thread is, for the failure message."""
    frames = sys._current_frames()
    stacks = []
    for thread in threading.enumerate():
        if isinstance(thread, Worker) and thread.ident in frames:
            stack = "".join(traceback.format_stack(frames[thread.ident])[-12:])
            stacks.append(f"--- {thread.name}:\n{stack}")
    return "\n".join(stacks)


class CommitCase(BaseCase):
    """A throwaway Odoo database with the module installed, driven with real commits."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = f"scada_commit_{uuid.uuid4().hex[:10]}"
        cls.addClassCleanup(cls._drop_databases)
        cls._install(cls.dbname)
        # Loading the registry must not run the module's tests a second time.
        with patch.dict(config.options, {"test_enable": False}):
            cls.registry = Registry(cls.dbname)
        # The test runner holds the registries' lock for the whole run; other
        # threads (the pulls, the HTTP requests) would wait on it forever.
        # HttpCase swaps it for a dummy the same way (Registry.enter_test_mode).
        lock_patcher = patch.object(Registry, "_lock", DummyRLock())
        lock_patcher.start()
        cls.addClassCleanup(lock_patcher.stop)
        real_can_commit = scada_pull.can_commit
        registry = cls.registry

        def can_commit():
            # Real commits on the throwaway database only; the test run's own
            # database stays under Odoo's rollback.
            env_db = getattr(threading.current_thread(), "dbname", None)
            return env_db == registry.db_name or real_can_commit()

        patcher = patch.object(scada_pull, "can_commit", can_commit)
        patcher.start()
        cls.addClassCleanup(patcher.stop)

        cls.scada_dbname = f"scada_commit_scada_{uuid.uuid4().hex[:10]}"
        admin_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cls.scada_dbname)))
        cls.scada_uri = server_dsn(cls.scada_dbname)
        conn = psycopg2.connect(cls.scada_uri)
        scada_bridge.migrate(conn)
        conn.close()
        with cls.env_cr() as env:
            env["ir.config_parameter"].set_param("scada_failure_report.plant_tz", "UTC")
            bot = env["res.users"].create(
                {
                    "name": "SCADA bot",
                    "login": "scada_commit_bot",
                    "groups_id": [
                        (6, 0, [env.ref("scada_failure_report.group_scada_integration").id])
                    ],
                }
            )
            # sudo(): a key without expiry, as an administrator gives a bot.
            cls.bot_key = env["res.users.apikeys"].with_user(bot).sudo()._generate(None, "t", None)

    @classmethod
    def _install(cls, dbname: str) -> None:
        odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
        options = [f"--addons-path={config['addons_path']}"]
        for key in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(key):
                options.append(f"--{key}={config[key]}")
        with tempfile.TemporaryDirectory(prefix="scada-commit-") as data_dir:
            done = subprocess.run(
                [
                    sys.executable,
                    odoo_bin,
                    *options,
                    f"--data-dir={data_dir}",
                    "-d",
                    dbname,
                    "-i",
                    "scada_failure_report",
                    "--without-demo=all",
                    "--no-http",
                    "--max-cron-threads=0",
                    "--stop-after-init",
                    "--log-level=warn",
                ],
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
        if done.returncode:
            raise AssertionError(
                f"installing scada_failure_report into {dbname} failed "
                f"(exit {done.returncode}): {done.stderr[-2000:]}"
            )

    @classmethod
    def _drop_databases(cls):
        Registry.delete(cls.dbname)
        odoo.sql_db.close_db(cls.dbname)
        for name in (cls.dbname, getattr(cls, "scada_dbname", None)):
            if name:
                admin_sql(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    @classmethod
    @contextmanager
    def env_cr(cls, commit: bool = True):
        """An environment on its own transaction, committed at the end (or rolled back)."""
        thread = threading.current_thread()
        previous = getattr(thread, "dbname", None)
        thread.dbname = cls.dbname
        try:
            with cls.registry.cursor() as cr:
                env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                yield env
                if commit:
                    # This tier proves what real commits do: committing is its point.
                    cr.commit()  # pylint: disable=invalid-commit
                else:
                    cr.rollback()
        finally:
            thread.dbname = previous

    # -- the SCADA side ----------------------------------------------------

    def setUp(self):
        super().setUp()
        conn = psycopg2.connect(self.scada_uri)
        with conn.cursor() as cur:
            cur.execute("TRUNCATE scada.equipment_failure")
        conn.commit()
        conn.close()
        with self.env_cr() as env:
            self.source_id = (
                env["scada.source"]
                .create(
                    {
                        "name": f"Plant {uuid.uuid4().hex[:6]}",
                        "connection_uri": self.scada_uri,
                        "batch_size": 2,
                    }
                )
                .id
            )

    def insert(self, *events, each: bool = False):
        """Store events as the poller does: one transaction, or one each."""
        conn = psycopg2.connect(self.scada_uri)
        try:
            for group in [[e] for e in events] if each else [events]:
                scada_bridge.insert_events(conn, group)
                conn.commit()
        finally:
            conn.close()
        return list(events)

    @staticmethod
    def raised(minutes: float = 0, **values):
        values.setdefault("failure_code", "START_FAILURE")
        values.setdefault("description", "Motor did not start")
        values.setdefault("severity", "high")
        return scada_bridge.NewEvent(
            kind="raised",
            equipment_code="silo101",
            occurred_at=T0 + timedelta(minutes=minutes),
            **values,
        )

    def pull(self, **kwargs) -> dict:
        """One pull run of the test's source, in its own transaction(s)."""
        with self.env_cr() as env:
            return env["scada.source"].browse(self.source_id)._pull(**kwargs)

    # -- what the database holds (read in a new transaction) ----------------

    def count_reports(self, uids) -> dict:
        with self.env_cr(commit=False) as env:
            env.cr.execute(
                "SELECT event_uid, count(*) FROM scada_failure_report"
                " WHERE event_uid = ANY(%s) GROUP BY event_uid",
                [list(uids)],
            )
            return dict(env.cr.fetchall())

    def source_values(self, *fnames) -> dict:
        with self.env_cr(commit=False) as env:
            return env["scada.source"].browse(self.source_id).read(list(fnames))[0]

    def logs(self) -> list[dict]:
        with self.env_cr(commit=False) as env:
            return (
                env["scada.sync.log"]
                .search([("source_id", "=", self.source_id)], order="id")
                .read(["state", "events_read", "created_count", "duplicate_count", "error"])
            )

    # -- the push, over the real HTTP server of this test run ---------------

    def push(self, events: list[dict]) -> requests.Response:
        """POST events to the throwaway database through the running Odoo HTTP server.

        The server serves the test run's database; a session naming the
        throwaway one (and the db list widened to it) routes the request there.
        """
        store = odoo.http.root.session_store
        session = store.new()
        session.db = self.dbname
        store.save(session)
        exposed = f"{config['db_name']},{self.dbname}" if config["db_name"] else self.dbname
        with patch.dict(config.options, {"db_name": exposed}):
            return requests.post(
                f"http://127.0.0.1:{config['http_port']}/api/scada/equipment-failure",
                json={"events": events},
                headers={"Authorization": f"Bearer {self.bot_key}"},
                cookies={"session_id": session.sid},
                timeout=WAIT_LIMIT,
            )

    @staticmethod
    def as_push(event) -> dict:
        return {
            "event_uid": event.event_uid,
            "kind": event.kind,
            "equipment_code": event.equipment_code,
            "failure_code": event.failure_code,
            "description": event.description,
            "severity": event.severity,
            "occurred_at": event.occurred_at.isoformat(),
            **({"raise_uid": event.raise_uid} if event.raise_uid else {}),
        }

    def lock_waiters(self) -> int:
        """Backends of the throwaway database waiting on a lock right now."""
        conn = psycopg2.connect(server_dsn("postgres"))
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND wait_event_type = 'Lock'",
                    [self.dbname],
                )
                return cur.fetchone()[0]
        finally:
            conn.close()


class Worker(threading.Thread):
    """Run ``target`` in a thread; keep its result or its exception for the test."""

    def __init__(self, target, name: str):
        super().__init__(name=name, daemon=True)
        self._target_fn = target
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self._target_fn()
        except Exception as exc:  # reported by the test through .error
            self.error = exc

    def outcome(self):
        self.join(WAIT_LIMIT)
        if self.is_alive():
            raise AssertionError(f"{self.name} still running after {WAIT_LIMIT} s")
        if self.error:
            raise self.error
        return self.result
