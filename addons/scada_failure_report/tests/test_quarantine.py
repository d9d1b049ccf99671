# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The quarantine of rejected rows: Retry after a fix in SCADA, Dismiss, the counts."""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ScadaCase

BAD_UID = "00000000-0000-4000-8000-0000000000b1"


@tagged("post_install", "-at_install")
class TestQuarantine(ScadaCase):
    def setUp(self):
        super().setUp()
        self.insert_raw(event_uid=BAD_UID, severity="apocalyptic", failure_code="JAM")
        self.insert(self.raised(1))
        self.assertEqual(self.source._pull()["rejected"], 1)
        self.row = self.env["scada.rejected.row"].search([("source_id", "=", self.source.id)])

    def fix_in_scada(self, **columns):
        """A person correcting the row by hand in the SCADA database."""
        sets = ", ".join(f"{name} = %s" for name in columns)
        with self.scada.cursor() as cur:
            cur.execute(
                f"UPDATE scada.equipment_failure SET {sets} WHERE id = %s",
                [*columns.values(), self.row.row_id],
            )
        self.scada.commit()

    def failures_of_bad_row(self):
        return self.Report.search([("event_uid", "=", BAD_UID)])

    def test_a_rejected_row_waits_with_its_reason_raw_values_and_run(self):
        row = self.row.with_user(self.user)
        self.assertEqual(row.state, "waiting")
        self.assertIn("unknown severity 'apocalyptic'", row.reason)
        self.assertTrue(row.row_id and row.log_id.source_id == self.source)
        raw = json.loads(row.raw_values)
        self.assertEqual((raw["severity"], raw["failure_code"]), ("apocalyptic", "JAM"))
        self.assertEqual(raw["event_uid"], BAD_UID)
        self.assertEqual(self.source.with_user(self.user).quarantine_count, 1)
        # The doctor reads the status with the integration user's key: it gets the
        # count, never the rows.
        bot = new_test_user(
            self.env,
            login="scada_quarantine_bot_t",
            groups="base.group_user,scada_failure_report.group_scada_integration",
        )
        status = self.Source.with_user(bot)._status_json()["sources"][0]
        self.assertEqual(status["quarantined"], 1, "the doctor's Odoo row counts it")
        with self.assertRaises(AccessError):
            self.env["scada.rejected.row"].with_user(bot).search([])

    def test_a_row_fixed_in_scada_is_ingested_exactly_once_by_retry(self):
        self.fix_in_scada(severity="critical")
        action = self.row.with_user(self.manager).action_retry()

        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 row(s) ingested", action["params"]["message"])
        failure = self.failures_of_bad_row()
        self.assertEqual(len(failure), 1)
        self.assertEqual((failure.severity, failure.failure_code), ("critical", "JAM"))
        self.assertEqual((failure.origin, failure.source_id), ("pull", self.source))
        self.assertEqual(self.row.state, "ingested")
        self.assertEqual(self.row.failure_id, failure)
        self.assertEqual(self.source.quarantine_count, 0)

        # Retried again (a second click, a replay from the start): still one failure.
        self.row.state = "waiting"
        self.row.with_user(self.manager).action_retry()
        self.assertIn("duplicate", self.row.retry_note)
        self.source.cursor = False
        self.source._pull()
        self.assertEqual(len(self.failures_of_bad_row()), 1)

    def test_a_row_still_bad_stays_waiting_with_its_new_reason(self):
        self.fix_in_scada(severity="critical", kind="exploded")
        action = self.row.with_user(self.manager).action_retry()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(self.row.state, "waiting")
        self.assertIn("unknown kind 'exploded'", self.row.reason)
        self.assertNotIn("severity", self.row.reason)
        self.assertEqual(json.loads(self.row.raw_values)["kind"], "exploded")
        self.assertTrue(self.row.retried_at)
        self.assertFalse(self.failures_of_bad_row())

    def test_a_row_gone_from_scada_says_so(self):
        with self.scada.cursor() as cur:
            cur.execute("DELETE FROM scada.equipment_failure WHERE id = %s", [self.row.row_id])
        self.scada.commit()
        self.row.with_user(self.manager).action_retry()
        self.assertEqual(self.row.state, "waiting")
        self.assertIn("no longer in the SCADA database", self.row.retry_note)

    def test_an_unreachable_scada_database_is_one_line_for_the_person(self):
        self.source.connection_uri = "postgresql://nobody@127.0.0.1:1/scada"
        with self.assertRaisesRegex(UserError, r"Reading rejected rows from Plant 1 failed: .*"):
            self.row.with_user(self.manager).action_retry()
        self.assertEqual(self.row.state, "waiting")

    def test_dismissed_rows_are_kept_but_no_longer_counted(self):
        self.row.with_user(self.manager).action_dismiss()
        self.assertEqual(self.row.state, "dismissed")
        self.assertEqual(self.row.dismissed_by_id, self.manager)
        self.assertEqual(self.source.quarantine_count, 0)
        self.assertEqual(self.source._status_json()["sources"][0]["quarantined"], 0)
        self.row.with_user(self.manager).action_retry()
        self.assertEqual(self.row.state, "dismissed", "Retry leaves dismissed rows alone")
        self.row.with_user(self.manager).action_reopen()
        self.assertEqual(self.source.quarantine_count, 1)

    def test_a_scada_user_sees_the_quarantine_but_cannot_act_on_it(self):
        row = self.row.with_user(self.user)
        self.assertEqual(row.reason, self.row.reason)
        with self.assertRaises(AccessError):
            row.action_dismiss()
        self.fix_in_scada(severity="critical")
        with self.assertRaises(AccessError):
            row.action_retry()
        self.assertFalse(self.failures_of_bad_row())
