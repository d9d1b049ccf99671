# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from datetime import datetime, timedelta
from types import SimpleNamespace
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..models import scada_pull, scada_source
from .common import T0, ScadaCase, server_dsn


class SimulatedCrash(Exception):
    """Stands for the Odoo worker dying between two batches."""


@tagged("post_install", "-at_install")
class TestPull(ScadaCase):
    def test_pull_creates_one_report_per_raise(self):
        hopper = self.raised(5, code="hopper7", severity="critical", failure_code="JAM")
        silo = self.raised(0, payload={"register": 40001, "value": 3})
        self.insert(silo, hopper)
        messages_before = self.env["mail.message"].search_count(
            [("model", "=", "scada.failure.report")]
        )

        result = self.source._pull()

        self.assertFalse(result["error"])
        self.assertEqual((result["read"], result["created"]), (2, 2))
        reports = self.reports()
        self.assertEqual(reports.mapped("event_uid"), [silo.event_uid, hopper.event_uid])
        first = self.report(silo)
        self.assertEqual(first.equipment_id, self.silo, "linked by the equipment's SCADA code")
        self.assertEqual(first.equipment_code, "silo101")
        self.assertEqual(first.started_at, datetime(2026, 11, 2, 8, 0, 0))
        self.assertEqual((first.severity, first.failure_code), ("high", "START_FAILURE"))
        self.assertEqual((first.state, first.origin, first.device), ("active", "pull", "plc-1"))
        self.assertEqual(first.source_id, self.source)
        self.assertEqual(first.company_id, self.source.company_id)
        self.assertEqual(first.payload, {"register": 40001, "value": 3})
        self.assertFalse(self.report(hopper).equipment_id, "no equipment carries hopper7")
        self.assertEqual(self.report(hopper).severity, "critical")
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "scada.failure.report")]),
            messages_before,
            "bulk ingest posts no chatter message per failure",
        )
        self.assertEqual(self.source.state, "ok")
        self.assertTrue(self.source.cursor and self.source.last_success_at)
        log = self.env["scada.sync.log"].browse(result["log_id"])
        self.assertEqual(
            (log.state, log.events_read, log.created_count, log.duplicate_count),
            ("done", 2, 2, 0),
        )

    def test_a_bulk_pull_posts_no_chatter_message(self):
        raises = [self.raised(minute) for minute in range(4)]
        self.insert(*raises)
        self.source._pull()
        self.env.cr.precommit.run()  # what the batch's commit runs in production
        # Clears of raises stored by an earlier batch: an update, not a create.
        self.insert(*(self.cleared(event, minutes=60) for event in raises[:3]))
        messages = self.env["mail.message"].search_count([("model", "=", "scada.failure.report")])

        result = self.source._pull()
        self.env.cr.precommit.run()

        self.assertEqual(result["cleared"], 3)
        self.assertEqual(self.reports().mapped("state").count("cleared"), 3)
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "scada.failure.report")]),
            messages,
            "a bulk pull posts no chatter message (no tracking of state on clear)",
        )

    def test_second_pull_and_replay_create_nothing(self):
        self.insert(self.raised(0), self.raised(1), self.raised(2))
        self.source._pull()
        self.assertEqual(len(self.reports()), 3)

        again = self.source._pull()
        self.assertEqual((again["read"], again["created"]), (0, 0), "cursor moved past them")

        self.source.cursor = False  # replay everything, as after restoring an old backup
        replay = self.source._pull()
        self.assertEqual((replay["read"], replay["created"], replay["duplicate"]), (3, 0, 3))
        self.assertEqual(len(self.reports()), 3)

    def test_batches_moving_the_cursor_leave_the_chatter_alone(self):
        self.insert(self.raised(0), self.raised(1), self.raised(2))
        self.source.batch_size = 1
        self.source._pull(max_batches=1)
        self.env.cr.precommit.run()  # what each batch's commit runs in production
        messages = len(self.source.message_ids)
        for _batch in range(2):
            self.source._pull(max_batches=1)
            self.env.cr.precommit.run()
        self.assertEqual(len(self.reports()), 3)
        self.assertEqual(len(self.source.message_ids), messages, "no message per batch")

        self.source.cursor = False  # a manager asking for a replay is worth a trace
        self.env.cr.precommit.run()
        self.assertEqual(len(self.source.message_ids), messages + 1)

    def test_clear_closes_its_report(self):
        raise_event = self.insert(self.raised(0))[0]
        self.source._pull()
        self.insert(self.cleared(raise_event, minutes=90))

        result = self.source._pull()

        self.assertEqual(result["cleared"], 1)
        report = self.report(raise_event)
        self.assertEqual(report.state, "cleared")
        self.assertEqual(report.cleared_at, datetime(2026, 11, 2, 9, 30, 0))
        self.assertAlmostEqual(report.duration, 1.5)
        self.assertEqual(len(self.reports()), 1, "a clear is not a second failure")

    def test_clear_before_its_raise_in_another_batch(self):
        raise_event = self.raised(0)
        clear_event = self.cleared(raise_event, minutes=30)
        self.insert(clear_event)  # e.g. the raise went through another poller's spool
        first = self.source._pull()
        self.assertEqual((first["pending"], first["created"]), (1, 0))
        pending = self.env["scada.pending.clear"].search(
            [("event_uid", "=", clear_event.event_uid)]
        )
        self.assertEqual(pending.state, "pending")

        self.insert(raise_event)
        second = self.source._pull()

        self.assertEqual(second["created"], 1)
        report = self.report(raise_event)
        self.assertEqual((report.state, report.clear_uid), ("cleared", clear_event.event_uid))
        self.assertAlmostEqual(report.duration, 0.5)
        self.assertEqual((pending.state, pending.report_id), ("applied", report))
        replay = self.source.copy({"connection_uri": self.scada_uri})._pull()
        self.assertEqual((replay["duplicate"], replay["pending"]), (2, 0))

    def test_clear_before_its_raise_in_the_same_batch(self):
        raise_event = self.raised(0)
        self.insert(self.cleared(raise_event, minutes=6), raise_event)

        result = self.source._pull()

        self.assertEqual((result["created"], result["cleared"], result["pending"]), (1, 1, 0))
        self.assertEqual(self.report(raise_event).state, "cleared")
        self.assertAlmostEqual(self.report(raise_event).duration, 0.1)

    def test_crash_between_batches_repeats_at_most_one_batch(self):
        events = [self.raised(i) for i in range(5)]
        for event in events:  # one writer transaction each, as a poller writes them
            self.insert(event)
        self.source.batch_size = 2
        self.source._pull(max_batches=1)  # batch 1 committed with its cursor
        cursor_after_first = self.source.cursor

        with self.assertRaises(SimulatedCrash), self.env.cr.savepoint():
            self.source._pull(max_batches=1)
            self.assertEqual(len(self.reports()), 4)
            raise SimulatedCrash  # batch 2 is lost with its cursor
        self.env.invalidate_all()
        self.assertEqual(self.source.cursor, cursor_after_first)
        self.assertEqual(len(self.reports()), 2)

        result = self.source._pull()

        self.assertEqual((result["read"], result["created"], result["duplicate"]), (3, 3, 0))
        self.assertEqual(
            sorted(self.reports().mapped("event_uid")), sorted(e.event_uid for e in events)
        )

    def test_rejected_rows_are_logged_and_skipped(self):
        good_before = self.insert(self.raised(0))[0]
        self.insert_raw(kind="exploded", event_uid="00000000-0000-4000-8000-000000000001")
        self.insert_raw(severity="apocalyptic")
        self.insert_raw(kind="cleared")  # a clear that names no raise
        good_after = self.insert(self.raised(1))[0]
        self.source.batch_size = 2

        result = self.source._pull()

        self.assertEqual((result["read"], result["created"], result["rejected"]), (5, 2, 3))
        self.assertTrue(self.report(good_before) and self.report(good_after))
        log = self.env["scada.sync.log"].browse(result["log_id"])
        self.assertEqual(log.rejected_count, 3)
        reasons = log.rejected_row_ids.mapped("reason")
        self.assertTrue(any("unknown kind 'exploded'" in r for r in reasons), reasons)
        self.assertTrue(any("unknown severity 'apocalyptic'" in r for r in reasons), reasons)
        self.assertTrue(any("needs raise_uid" in r for r in reasons), reasons)
        self.assertIn(
            "00000000-0000-4000-8000-000000000001", log.rejected_row_ids.mapped("event_uid")
        )
        self.assertTrue(all(log.rejected_row_ids.mapped("row_id")))
        self.assertEqual(self.source._pull()["read"], 0, "rejected rows are not read again")

    def test_pushed_event_pulled_later_is_a_duplicate(self):
        event = self.raised(0)
        pushed = self.Report._ingest_events(
            [{**vars(event), "occurred_at": event.occurred_at.isoformat()}], "push"
        )
        self.assertEqual(pushed[0]["result"], "created")
        self.insert(event)

        result = self.source._pull()

        self.assertEqual((result["created"], result["duplicate"]), (0, 1))
        self.assertEqual(self.report(event).origin, "push")

    def test_time_budget_hands_over_to_the_next_run(self):
        for minute in range(6):
            self.insert(self.raised(minute))
        self.source.batch_size = 2
        self.env["ir.config_parameter"].set_param(
            "scada_failure_report.pull_time_budget", "0.000001"
        )
        cron = self.env.ref("scada_failure_report.ir_cron_scada_pull")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        second_triggers = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.env.ref("scada_failure_report.ir_cron_scada_pull_second").id)]
        )

        self.Source._cron_pull()

        self.assertEqual(len(self.reports()), 2, "one batch per run once the budget is spent")
        self.assertEqual(self.source.sync_log_ids[:1].state, "partial")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
            "the cron is triggered again right away while a backlog remains",
        )
        second = self.env.ref("scada_failure_report.ir_cron_scada_pull_second")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", second.id)]),
            second_triggers + 1,
            "and the second pull job, so a second cron thread helps",
        )
        for _run in range(5):
            self.Source._cron_pull()
        self.assertEqual(len(self.reports()), 6)
        self.assertEqual(self.source.sync_log_ids[:1].state, "done")

    def test_a_big_backlog_does_not_starve_the_other_sources(self):
        # Two sources with the same backlog; the clock advances one second per
        # batch (the code's own count, not the machine's speed).
        other_db = self.source.copy({"name": "Plant 2", "connection_uri": self.scada_uri})
        for minute in range(10):
            self.insert(self.raised(minute))
        (self.source | other_db).write({"batch_size": 1})
        self.env["ir.config_parameter"].set_param("scada_failure_report.pull_time_budget", "4")
        clock = {"now": 1000.0}
        original = scada_pull.SourcePull.ingest_batch

        def ingest_batch(pull, batch):
            clock["now"] += 1
            return original(pull, batch)

        fake_time = SimpleNamespace(monotonic=lambda: clock["now"])
        with (
            patch.object(scada_pull, "time", fake_time),
            patch.object(scada_source, "time", fake_time),
            patch.object(scada_pull.SourcePull, "ingest_batch", ingest_batch),
        ):
            self.Source._cron_pull()

        reads = [(self.source | other_db)[i].sync_log_ids[:1].events_read for i in range(2)]
        self.assertEqual(reads, [2, 2], "each source half of the 4 s budget")


@tagged("post_install", "-at_install")
class TestIngest(ScadaCase):
    def test_results_keep_the_order_and_name_duplicates(self):
        raise_event = self.raised(0)
        as_dict = {**vars(raise_event), "occurred_at": "2026-11-02T09:00:00+01:00"}
        clear = {**vars(self.cleared(raise_event, 10)), "occurred_at": T0 + timedelta(minutes=10)}
        orphan = {**vars(self.cleared(self.raised(3), 12)), "occurred_at": T0}

        results = self.Report._ingest_events([clear, as_dict, as_dict, orphan], "push")

        self.assertEqual(
            [r["result"] for r in results], ["cleared", "created", "duplicate", "pending"]
        )
        report = self.report(raise_event)
        self.assertEqual([r["id"] for r in results[:3]], [report.id] * 3)
        self.assertFalse(results[3]["id"])
        self.assertEqual(report.started_at, datetime(2026, 11, 2, 8, 0, 0), "stored in UTC")
        again = self.Report._ingest_events([clear, as_dict, orphan], "push")
        self.assertEqual([r["result"] for r in again], ["duplicate"] * 3)
        self.assertEqual([r["id"] for r in again], [report.id, report.id, False])

    def test_an_event_uid_that_is_no_uuid_is_refused(self):
        event = {**vars(self.raised(0)), "event_uid": "silo101-42"}
        with self.assertRaisesRegex(ValidationError, "event_uid 'silo101-42' is not a UUID"):
            self.Report._ingest_events([event], "push")

    def test_an_event_without_time_zone_is_refused(self):
        event = {**vars(self.raised(0)), "occurred_at": "2026-11-02T08:00:00"}
        with self.assertRaisesRegex(Exception, "occurred_at must be a time with a time zone"):
            self.Report._ingest_events([event], "push")


@tagged("post_install", "-at_install")
class TestHousekeeping(ScadaCase):
    def test_equipment_given_its_code_later_gets_its_past_failures(self):
        self.insert(self.raised(0, code="hopper7"), self.raised(1, code="hopper7"))
        self.source._pull()
        self.assertFalse(self.reports().equipment_id)

        hopper = self.env["maintenance.equipment"].create(
            {"name": "Hopper 7", "scada_code": "hopper7"}
        )

        self.assertEqual(self.reports().equipment_id, hopper)
        self.assertEqual(hopper.with_user(self.user).scada_failure_count, 2)
        action = hopper.action_view_scada_failures()
        self.assertEqual(self.Report.search(action["domain"]), self.reports())
        # A maintenance user outside SCADA sees the equipment, not its SCADA failures.
        hopper.message_subscribe(partner_ids=self.outsider.partner_id.ids)
        self.assertEqual(hopper.with_user(self.outsider).name, "Hopper 7")
        with self.assertRaises(AccessError):
            hopper.with_user(self.outsider).read(["scada_failure_count"])

    def test_empty_runs_are_forgotten_after_a_week(self):
        self.insert(self.raised(0))
        with freeze_time("2026-11-01 10:00:00"):
            busy = self.env["scada.sync.log"].browse(self.source._pull()["log_id"])
            empty = self.env["scada.sync.log"].browse(self.source._pull()["log_id"])
        with freeze_time("2026-11-09 10:00:00"):
            recent = self.env["scada.sync.log"].browse(self.source._pull()["log_id"])
            self.env["scada.sync.log"]._gc_empty_runs()
        self.assertTrue(busy.exists(), "a run that brought events is kept")
        self.assertFalse(empty.exists())
        self.assertTrue(recent.exists())

    def test_a_run_that_died_is_not_left_running(self):
        # A worker killed in the middle of a run leaves its committed log line.
        dead = self.env["scada.sync.log"].create(
            {"source_id": self.source.id, "started_at": "2026-11-29 10:00:00"}
        )
        self.assertEqual(dead.state, "running")

        self.source._pull()

        self.assertEqual(dead.state, "error")
        self.assertIn("ended without finishing", dead.error)

    def test_pull_runs_and_rejected_rows_go_after_their_retention(self):
        Log = self.env["scada.sync.log"]

        def run_with_rejected_row(when):
            log = Log.create({"source_id": self.source.id, "started_at": when, "state": "done"})
            self.env["scada.rejected.row"].create({"log_id": log.id, "reason": "bad kind"})
            return log

        old = run_with_rejected_row("2026-08-20 10:00:00")
        recent = run_with_rejected_row("2026-09-10 10:00:00")
        rejected = (old | recent).rejected_row_ids
        with freeze_time("2026-11-29 10:00:00"):
            self.assertEqual(Log._cron_delete_old(), 1, "90 days by default")
        self.assertFalse(old.exists())
        self.assertEqual(rejected.exists(), recent.rejected_row_ids, "its rejected rows too")
        self.assertTrue(recent.exists())

        self.env["res.config.settings"].create({"scada_log_retention_days": 60}).execute()
        with freeze_time("2026-11-29 10:00:00"):
            Log._cron_delete_old()
        self.assertFalse(recent.exists())

    def test_a_pull_already_running_on_the_source_is_not_doubled(self):
        self.insert(self.raised(0))
        # Another Odoo worker pulling this source: its own connection, holding the lock.
        other = psycopg2.connect(server_dsn(self.env.cr.dbname))
        self.addCleanup(other.close)
        with other.cursor() as cur:
            cur.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", (scada_pull.PULL_LOCK, self.source.id)
            )
        result = self.source._pull()
        self.assertTrue(result["skipped"])
        self.assertEqual(result["created"], 0)
        other.rollback()
        self.assertEqual(self.source._pull()["created"], 1)
