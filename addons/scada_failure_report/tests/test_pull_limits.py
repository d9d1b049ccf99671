# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What keeps a pull from tying up an Odoo worker, and matching that ignores the caller."""

import uuid
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import psycopg2
import scada_bridge
from odoo.tests import new_test_user, tagged
from odoo.tools import config, mute_logger
from psycopg2 import sql

from ..models import scada_pull
from .common import ScadaCase, server_dsn


@tagged("post_install", "-at_install")
class TestPullLimits(ScadaCase):
    def test_the_pull_connection_carries_its_timeouts(self):
        self.insert(self.raised(0))
        seen = {}
        real_connect = scada_bridge.connect

        def spy(uri, **kwargs):
            conn = real_connect(uri, **kwargs)
            with conn.cursor() as cur:
                for name in ("statement_timeout", "lock_timeout", "tcp_user_timeout"):
                    cur.execute(f"SHOW {name}")
                    seen[name] = cur.fetchone()[0]
            conn.rollback()
            seen.update(conn.get_dsn_parameters())
            return conn

        limits = {"limit_time_cpu": 60, "limit_time_real": 120}
        with patch.dict(config.options, limits), patch.object(scada_bridge, "connect", spy):
            result = self.source._pull()

        self.assertEqual(result["created"], 1)
        self.assertEqual(seen["statement_timeout"], "30s", "half of limit_time_cpu (the button)")
        self.assertEqual(seen["lock_timeout"], "10s")
        self.assertEqual(seen["tcp_user_timeout"], "60000")  # ms
        self.assertEqual(seen["keepalives"], "1")
        self.assertEqual(seen["keepalives_idle"], "30")

    @mute_logger("odoo.addons.scada_failure_report.models.scada_pull")
    def test_a_locked_scada_table_fails_the_pull_instead_of_hanging_it(self):
        self.insert(self.raised(0))
        holder = psycopg2.connect(self.scada_uri)
        self.addCleanup(holder.close)
        with holder.cursor() as cur:
            # Bounded even if the pull waited for it: the lock goes after 30 s.
            cur.execute("SET idle_in_transaction_session_timeout = '30s'")
            cur.execute("LOCK TABLE scada.equipment_failure IN ACCESS EXCLUSIVE MODE")

        with patch.object(scada_pull, "LOCK_TIMEOUT_MS", 200):
            result = self.source._pull()

        holder.rollback()
        self.assertIn("lock timeout", result["error"])
        self.assertEqual(self.source.state, "error")
        self.assertEqual(self.source._pull()["created"], 1, "the next pull gets it")

    def test_the_time_budget_follows_the_worker_limits(self):
        budget = scada_pull.pull_time_budget
        limits = {"limit_time_cpu": 20, "limit_time_real": 120, "limit_time_real_cron": -1}
        with patch.dict(config.options, limits):
            self.assertEqual(budget(self.env), 10, "the button: CPU limit first")
            self.assertEqual(budget(self.env, cron=True), 10, "cron: CPU limit too")
        limits = {"limit_time_cpu": 0, "limit_time_real": 120, "limit_time_real_cron": 300}
        with patch.dict(config.options, limits):
            self.assertEqual(budget(self.env), 60, "the button: limit_time_real")
            self.assertEqual(budget(self.env, cron=True), 150, "cron: limit_time_real_cron")

    def test_a_batch_never_exceeds_what_fits_limit_memory_soft(self):
        for minute in range(3):
            self.insert(self.raised(minute))
        soft = 2 * scada_pull.BYTES_PER_EVENT / scada_pull.MEMORY_SHARE  # room for 2 events
        with patch.dict(config.options, {"limit_memory_soft": int(soft)}):
            result = self.source._pull()
        self.assertEqual((result["created"], result["batches"]), (3, 2))
        self.assertEqual(self.source.batch_size, 1000, "the setting itself is kept")

    def test_a_clear_finds_its_raise_whoever_pulls_it(self):
        raise_event = self.insert(self.raised(0))[0]
        self.source._pull()  # the raise, in this source's company
        plant_b = self.env["res.company"].create({"name": "Plant B Ltd"})
        manager_b = new_test_user(
            self.env,
            login="scada_manager_plant_b",
            groups="base.group_user,scada_failure_report.group_scada_manager",
            company_id=plant_b.id,
            company_ids=[(6, 0, plant_b.ids)],
        )
        source_b = self.Source.create(
            {
                "name": "Plant B line",
                "connection_uri": self.scada_uri,
                "company_id": plant_b.id,
                "cursor": self.source.cursor,  # only what comes next
            }
        )
        clear = self.insert(self.cleared(raise_event, minutes=30))[0]

        result = source_b.with_user(manager_b)._pull()

        self.assertEqual((result["cleared"], result["pending"]), (1, 0), result)
        report = self.report(raise_event)
        self.assertEqual((report.state, report.clear_uid), ("cleared", clear.event_uid))


@tagged("post_install", "-at_install")
class TestPullHorizon(ScadaCase):
    @mute_logger("odoo.addons.scada_failure_report.models.scada_pull")
    def test_a_cursor_ahead_of_the_database_puts_the_source_in_error_with_the_fix(self):
        self.insert(self.raised(0))
        self.source.cursor = "999999999999:1"  # as after restoring an older SCADA database

        result = self.source._pull()

        self.assertIn("ahead of", result["error"])
        self.assertEqual(self.source.state, "error")
        self.assertIn("clear the source's cursor", self.source.last_error)
        self.assertFalse(self.reports())

    @mute_logger("odoo.addons.scada_failure_report.models.scada_pull")
    def test_events_held_back_by_an_open_transaction_say_by_whom_and_since_when(self):
        holder = psycopg2.connect(self.scada_uri, application_name="forgotten-script")
        self.addCleanup(holder.close)
        with holder.cursor() as cur:  # wrote, then left idle in transaction
            cur.execute("CREATE TEMP TABLE scratch (x int); INSERT INTO scratch VALUES (1)")
        # Committed after it, recorded five minutes ago: waiting behind it.
        self.insert_raw(recorded_at=datetime.now(timezone.utc) - timedelta(minutes=5))

        held = self.source._pull()

        self.assertEqual(held["read"], 0)
        self.assertIn("1 event(s) held back by pid", self.source.held_back)
        self.assertIn("forgotten-script", self.source.held_back)
        self.assertIn(" since ", self.source.held_back)
        log = self.env["scada.sync.log"].browse(held["log_id"])
        self.assertEqual(log.held_back, self.source.held_back)
        self.assertIn("held back by pid", self.source.backlog_note)

        holder.rollback()
        released = self.source._pull()

        self.assertEqual(released["created"], 1)
        self.assertFalse(self.source.held_back)

    def test_the_backlog_on_the_form_gives_up_quickly_on_a_locked_table(self):
        self.insert(self.raised(0))
        holder = psycopg2.connect(self.scada_uri)
        self.addCleanup(holder.close)
        with holder.cursor() as cur:
            # Bounded even if the form waited for it: the lock goes after 30 s.
            cur.execute("SET idle_in_transaction_session_timeout = '30s'")
            cur.execute("LOCK TABLE scada.equipment_failure IN ACCESS EXCLUSIVE MODE")

        self.source.invalidate_recordset(["backlog", "backlog_note"])
        note = self.source.backlog_note

        holder.rollback()
        self.assertIn("statement timeout", note)
        self.assertEqual(self.source.backlog, 0)


@tagged("post_install", "-at_install")
class TestPullCompanies(ScadaCase):
    def _second_scada_db(self) -> str:
        """Plant B's own SCADA database (dropped after the test)."""
        name = f"scada_odoo_test_b_{uuid.uuid4().hex[:10]}"

        def admin(statement):
            conn = psycopg2.connect(server_dsn("postgres"))
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
            conn.close()

        admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.addCleanup(
            admin, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn = psycopg2.connect(server_dsn(name))
        scada_bridge.migrate(conn)
        conn.close()
        return server_dsn(name)

    def test_sources_of_different_companies_stay_apart(self):
        plant_b = self.env["res.company"].create({"name": "Plant B Ltd"})
        user_b = new_test_user(
            self.env,
            login="scada_user_plant_b",
            groups="base.group_user,scada_failure_report.group_scada_user",
            company_id=plant_b.id,
            company_ids=[(6, 0, plant_b.ids)],
        )
        uri_b = self._second_scada_db()
        self.Source.create({"name": "Plant B", "connection_uri": uri_b, "company_id": plant_b.id})
        in_a = self.insert(self.raised(0))[0]
        in_b = self.raised(1)
        conn = psycopg2.connect(uri_b)
        scada_bridge.insert_events(conn, [in_b])
        conn.commit()
        conn.close()

        self.Source._cron_pull()  # both sources, as the scheduled action (superuser)

        self.assertEqual(self.report(in_a).company_id, self.source.company_id)
        self.assertEqual(self.report(in_b).company_id, plant_b)
        seen_by_b = self.Report.with_user(user_b).search([]).mapped("event_uid")
        self.assertIn(in_b.event_uid, seen_by_b)
        self.assertNotIn(in_a.event_uid, seen_by_b)
