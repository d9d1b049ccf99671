# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Times at the edges of what Python holds, in a UTC+7 plant, over real HTTP (issue 18).

Point 1: a stored failure of 9999-12-31 23:00 UTC (past year 9999 in Jakarta)
made the list endpoints answer 500. Point 8: the old dashboard's report with
``date_to=9999-12-31`` or ``date_from=0001-01-01`` answered 500 (OverflowError)
instead of a 400 naming the field.
"""

from datetime import datetime

from odoo.tests import tagged

from .api_common import ScadaApiCase

REPORT = "/api/scada/equipment-failure-report"


@tagged("post_install", "-at_install")
class TestApiTimeEdges(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "scada_failure_report.plant_tz", "Asia/Jakarta"
        )

    def test_the_dashboard_report_refuses_bounds_past_year_1_or_9999_naming_them(self):
        for field, value in (
            ("date_to", "9999-12-31"),
            ("date_to", "9999-12-31 23:59:59"),
            ("date_from", "0001-01-01"),
            ("date_from", "0001-01-01T00:00:00"),
        ):
            with self.subTest(field=field, value=value):
                answer = self.post({field: value}, self.manager_key, path=REPORT)
                self.assertEqual(answer.status_code, 400, answer.text)
                self.assertIn(field, answer.json()["message"])
                self.assertIn("out of range", answer.json()["message"])
        answer = self.post(
            {"date_to": "9999-12-30", "date_from": "0001-01-02"}, self.manager_key, path=REPORT
        )
        self.assertEqual(answer.status_code, 200, answer.text)

    def test_failures_at_the_edges_of_time_are_listed_not_a_500(self):
        # sudo(): stored as the pull stores them (origin pull), past the manual-entry path.
        Report = self.env["scada.failure.report"].sudo()
        for uid, started in (
            ("00000000-0000-4000-8000-000000009999", datetime(9999, 12, 31, 23, 0)),
            ("00000000-0000-4000-8000-000000000001", datetime(1, 1, 1, 0, 0)),
        ):
            Report.create(
                {
                    "event_uid": uid,
                    "equipment_code": "silo101",
                    "origin": "pull",
                    "started_at": started,
                }
            )
        answer = self.get(key=self.manager_key)
        self.assertEqual(answer.status_code, 200, answer.text)
        dates = {row["event_uid"][-4:]: row["date"] for row in answer.json()["data"]}
        self.assertEqual(dates["9999"], "9999-12-31 23:00:00 UTC")
        self.assertEqual(dates["0001"], "0001-01-01 07:07:12")
        answer = self.post({}, self.manager_key, path=REPORT)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["summary"]["total_failures"], 2)
