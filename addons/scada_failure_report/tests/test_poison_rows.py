# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Rows the SCADA table can hold but Odoo could not use (issue 18, points 1 and 3).

A plant in Asia/Jakarta (UTC+7) with the maintenance step on (requests and
alerts for high failures): every row is stored or rejected with its reason,
the rows behind a bad one are stored, the pull never raises and the source
never goes to error.
"""

import secrets
import uuid
from datetime import datetime, timezone

import scada_bridge
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import scada_pull_rows
from .common import T0
from .maintenance_common import MaintenanceCase

JAKARTA = "Asia/Jakarta"


def long_code() -> str:
    """3,200 characters that do not compress: past a btree index row's 2,704 bytes."""
    return secrets.token_hex(1600)


@tagged("post_install", "-at_install")
class TestPoisonRows(MaintenanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("scada_failure_report.plant_tz", JAKARTA)
        cls.company.scada_alert_min_severity = "high"

    def assert_source_ok(self, result):
        self.assertFalse(result["error"], result)
        self.assertEqual(self.source.state, "ok", self.source.last_error)

    def test_year_9999_and_year_1_in_a_utc_plus_7_plant_are_stored_and_shown(self):
        """9999-12-31 23:00 UTC is past year 9999 in Jakarta: the request's text, the
        alert and the API rows used to raise OverflowError, and the pull retried the
        same cursor forever."""
        self.insert_raw(occurred_at="9999-12-31 23:00:00+00", failure_code="LATE", severity="high")
        self.insert_raw(
            occurred_at="0001-01-01 00:00:00+00", equipment_code="hopper7", severity="high"
        )
        good = self.insert(self.raised(5, code="hopper7", failure_code="GOOD"))[0]

        result = self.source._pull()

        self.assert_source_ok(result)
        self.assertEqual((result["created"], result["rejected"]), (3, 0), result)
        late = self.reports().filtered(lambda r: r.failure_code == "LATE")
        self.assertEqual(late.started_at, datetime(9999, 12, 31, 23, 0))
        request = late.maintenance_request_id
        self.assertTrue(request, "the maintenance step ran for it")
        self.assertIn("9999-12-31 23:00:00 UTC", str(request.description))
        self.assertTrue(self.report(good).maintenance_request_id)
        # What the API lists (GET /api/scada/equipment-failure, the old report).
        rows = self.env["scada.api"]._report_json(self.reports())
        self.assertEqual(
            {row["date"] for row in rows},
            # Year 1 in Jakarta: local mean time then (+07:07:12), as zoneinfo says.
            {"9999-12-31 23:00:00 UTC", "0001-01-01 07:07:12", "2026-11-02 15:05:00"},
        )
        report = self.env["scada.api"]._failure_period_report()
        self.assertEqual(report["summary"]["total_failures"], 3)

    @mute_logger("odoo.sql_db", "odoo.addons.scada_failure_report.models.scada_pull_rows")
    def test_a_row_odoo_cannot_store_is_rejected_and_the_rest_flow(self):
        """A code too long for Odoo's btree index (ProgramLimitExceeded) used to crash
        every run at the same cursor; now it is rejected, by the reader or the ingest."""
        before = self.insert(self.raised(0, failure_code="BEFORE"))[0]
        self.insert_raw(failure_code=long_code())
        self.insert_raw(equipment_code=long_code())
        after = self.insert(self.raised(2, failure_code="AFTER"))[0]

        result = self.source._pull()

        self.assert_source_ok(result)
        self.assertEqual((result["created"], result["rejected"]), (2, 2), result)
        self.assertTrue(self.report(before) and self.report(after))
        reasons = self.env["scada.rejected.row"].search([("source_id", "=", self.source.id)])
        self.assertEqual(len(reasons), 2)
        for reason in reasons.mapped("reason"):
            self.assertLess(len(reason), 600, "one line, not the row")

    @mute_logger("odoo.sql_db", "odoo.addons.scada_failure_report.models.scada_pull_rows")
    def test_the_ingest_rejects_what_fails_at_insert_whatever_the_reader_let_through(self):
        """The ingest's own guard, past the reader: the failing rows alone are rejected,
        the others of their batch stored, in order (a clear after its raise)."""
        raised = self.event(T0)
        cleared = self.clear_of(raised, T0.replace(minute=30))
        events = [
            self._as_read(1, raised),
            self._as_read(2, self.event(T0, code=long_code())),  # the event rules refuse it
            self._as_read(3, cleared),
            # jsonb refuses \u0000 at the INSERT (no reader hands it out: a foreign
            # program calling the ingest could).
            self._as_read(4, self.event(T0), payload={"raw": "a\x00b"}),
        ]

        results, refused = scada_pull_rows.ingest_rows(self.env, events, self.source)

        self.assertEqual([row.id for row in refused], [2, 4])
        self.assertIn("equipment_code is longer than 128 characters", refused[0].reason)
        self.assertIn("Odoo cannot store this row", refused[1].reason)
        self.assertEqual([r["result"] for r in results], ["created", "cleared"])
        self.assertEqual(self.failure(raised).clear_uid, cleared["event_uid"])

    def test_rows_the_reader_cannot_decode_are_rejected_not_retried(self):
        """Timestamps PostgreSQL holds and Python cannot (infinity) are rejected rows."""
        self.insert_raw(occurred_at="infinity")
        self.insert_raw(occurred_at="-infinity")
        good = self.insert(self.raised(1))[0]

        result = self.source._pull()

        self.assert_source_ok(result)
        self.assertEqual((result["created"], result["rejected"]), (1, 2), result)
        self.assertTrue(self.report(good))
        self.assertEqual(self.source.cursor, result["cursor"])

    @staticmethod
    def _as_read(row_id: int, event: dict, payload=None) -> scada_bridge.Event:
        return scada_bridge.Event(
            id=row_id,
            event_uid=event["event_uid"],
            kind=event["kind"],
            raise_uid=event.get("raise_uid"),
            equipment_code=event["equipment_code"],
            failure_code=event.get("failure_code"),
            description=event.get("description"),
            severity=event.get("severity"),
            occurred_at=event["occurred_at"],
            recorded_at=datetime.now(timezone.utc),
            device=event.get("device"),
            tx=1,
            payload=payload or {"id": str(uuid.uuid4())},
        )
