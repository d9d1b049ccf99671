# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The old module's routes: health, version, equipment by code, the period report (issue 13).

Each route is asked by a user who may (API key, and the old clients' session)
and by one who may not; the report's days are the plant's (Asia/Jakarta here,
UTC+7, where a day in UTC would move failures to the wrong date).
"""

import json
from datetime import datetime

from freezegun import freeze_time
from odoo import fields
from odoo.tests import tagged
from odoo.tests.common import Opener

from .api_common import API, ScadaApiCase

REPORT = "/api/scada/equipment-failure-report"
LOGIN = "/api/scada/authenticate"


@tagged("post_install", "-at_install")
class TestApiOldRoutes(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "scada_failure_report.plant_tz", "Asia/Jakarta"
        )

    def session(self, login, password):
        client = Opener(self.cr)
        answer = client.post(
            self.base_url() + LOGIN,
            data=json.dumps({"db": self.env.cr.dbname, "login": login, "password": password}),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(answer.json()["status"], "success", answer.text)
        return client

    def push(self, code, date, duration=None, description="Motor overload"):
        body = {"equipment_code": code, "description": description, "date": date}
        if duration:
            body["duration"] = duration
        response = self.post(body, self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()["data"]

    # -- health and version ---------------------------------------------------

    def test_health_is_public_and_says_nothing_more(self):
        response = self.get(path="/api/scada/health")
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual((body["status"], set(body)), ("ok", {"status", "message", "timestamp"}))
        # The plant's clock: Jakarta is UTC+7 all year.
        self.assertTrue(body["timestamp"].endswith("+07:00"), body["timestamp"])
        self.assertEqual(self.get(key=self.outsider_key, path="/api/scada/health").status_code, 200)

    def test_version_needs_a_scada_group(self):
        installed = self.env["ir.module.module"].search([("name", "=", "scada_failure_report")])
        for key in (self.bot_key, self.reader_key, self.manager_key):
            response = self.get(key=key, path="/api/scada/version")
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["version"], installed.latest_version)
        self.assertEqual(self.get(path="/api/scada/version").status_code, 401)
        self.assertEqual(
            self.get(key=self.outsider_key, path="/api/scada/version").status_code, 403
        )
        outsider = self.session("outsider", "outsider-pass-1")
        refused = outsider.get(self.base_url() + "/api/scada/version", timeout=30)
        self.assertEqual((refused.status_code, refused.json()["status"]), (200, "error"))
        self.assertNotIn("version", refused.json())

    # -- equipment --------------------------------------------------------------

    def test_equipment_by_code_both_routes(self):
        first = self.push("silo101", "2026-02-15 08:30:00", "01:00")
        last = self.push("silo101", "2026-02-16 09:00:00")
        self.push("mixer9", "2026-02-17 09:00:00")
        ask = {
            "query": lambda key: self.get({"code": "silo101"}, key, path="/api/scada/equipment"),
            "path": lambda key: self.get(key=key, path="/api/scada/equipment/silo101"),
        }
        for name, get in ask.items():
            with self.subTest(route=name):
                response = get(self.reader_key)
                self.assertEqual(response.status_code, 200, response.text)
                data = response.json()["data"]
                self.assertEqual(
                    (data["id"], data["name"], data["code"], data["active_failures"]),
                    (self.silo.id, "Silo 101", "silo101", 1),
                )
                self.assertEqual(data["last_failure"]["id"], last["id"])
                self.assertEqual(data["last_failure"]["date"], "2026-02-16 09:00:00")
                self.assertIsNone(data["plc"])
                self.assertEqual(get(self.outsider_key).status_code, 403)
                self.assertEqual(get(None).status_code, 401)
        self.assertNotEqual(first["id"], last["id"])
        unknown = self.get({"code": "silo999"}, self.bot_key, path="/api/scada/equipment")
        self.assertEqual(unknown.status_code, 404)
        self.assertIn("silo999", unknown.json()["message"])

    def test_equipment_shows_the_plc_state_when_known(self):
        source = self.env["scada.source"].create(
            {"name": "Line 1", "connection_uri": "postgresql://reader@127.0.0.1:1/none"}
        )
        # The mirror SCADA > PLCs keeps of scada.plc_status (as its last refresh read it).
        self.env["scada.plc.status"].create(
            {
                "source_id": source.id,
                "device": "plc-1",
                "state": "ok",
                "last_poll_at": fields.Datetime.now(),
                "last_success_at": "2026-02-15 01:00:00",
                "read_at": fields.Datetime.now(),
            }
        )
        self.assertEqual(self.post(self.event(device="plc-1"), self.bot_key).status_code, 201)
        path = "/api/scada/equipment/silo101"
        plc = self.get(key=self.reader_key, path=path).json()["data"]["plc"]
        self.assertEqual(
            (plc["device"], plc["state"], plc["connection_status"], plc["last_connected"]),
            ("plc-1", "ok", "connected", "2026-02-15 08:00:00"),  # plant time, UTC+7
        )
        # The integration group may not read PLC status: the rest, without it.
        data = self.get(key=self.bot_key, path=path).json()["data"]
        self.assertEqual((data["active_failures"], data["plc"]), (1, None))

    def test_equipment_for_old_clients_session(self):
        bot = self.session("scada_bot", "scada_bot-pass-1")
        found = bot.get(self.base_url() + "/api/scada/equipment/silo101", timeout=30)
        self.assertEqual((found.status_code, found.json()["status"]), (200, "success"))
        missing = bot.get(self.base_url() + "/api/scada/equipment/silo999", timeout=30)
        self.assertEqual((missing.status_code, missing.json()["status"]), (200, "error"))
        self.assertIn("silo999", missing.json()["message"])
        outsider = self.session("outsider", "outsider-pass-1")
        refused = outsider.get(self.base_url() + "/api/scada/equipment/silo101", timeout=30)
        self.assertEqual((refused.status_code, refused.json()["status"]), (200, "error"))
        self.assertNotIn("data", refused.json())

    # -- period report ------------------------------------------------------------

    def test_report_days_are_the_plant_days(self):
        # 00:30 in Jakarta is 17:30 UTC the day before: a UTC day would misplace it.
        early = self.push("silo101", "2026-02-15 00:30:00", "02:30")
        late = self.push("silo101", "2026-02-15 23:45:00", "00:45")
        self.push("silo101", "2026-02-14 23:59:59", "01:00")  # the day before
        self.push("mixer9", "2026-02-15 12:00:00")  # still active
        self.push("silo101", "2026-02-16 00:00:00", "00:10")  # the day after

        response = self.post(
            {"date_from": "2026-02-15", "date_to": "2026-02-15"}, self.reader_key, path=REPORT
        )
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["count"], 3)
        self.assertEqual(
            [row["date"] for row in body["data"]],
            ["2026-02-15 23:45:00", "2026-02-15 12:00:00", "2026-02-15 00:30:00"],
        )
        self.assertEqual({row["id"] for row in body["data"]} >= {early["id"], late["id"]}, True)
        summary = body["summary"]
        self.assertEqual(
            (summary["total_failures"], summary["active_failures"], summary["equipment_count"]),
            (3, 1, 2),
        )
        self.assertEqual(summary["total_downtime_minutes"], 150 + 45)
        by_code = {row["equipment_code"]: row for row in summary["by_equipment"]}
        self.assertEqual(
            {
                k: by_code["silo101"][k]
                for k in ("failure_count", "downtime_minutes", "equipment_id")
            },
            {"failure_count": 2, "downtime_minutes": 195, "equipment_id": self.silo.id},
        )
        self.assertEqual(by_code["silo101"]["last_failure_date"], "2026-02-15 23:45:00")
        self.assertEqual(
            (by_code["mixer9"]["active_failures"], by_code["mixer9"]["equipment_name"]),
            (1, "mixer9"),
        )

        # Filters: equipment, a minute-wide upper bound, a page.
        one = self.post(
            {
                "equipment_code": "silo101",
                "date_from": "2026-02-15T00:30",
                "date_to": "2026-02-15 23:45",
            },
            self.bot_key,
            path=REPORT,
        ).json()
        self.assertEqual(one["summary"]["total_failures"], 2)
        page = self.post(
            {"date_from": "2026-02-14", "limit": 2, "offset": 1}, self.bot_key, path=REPORT
        ).json()
        self.assertEqual((page["count"], page["summary"]["total_failures"]), (2, 5))

    def test_report_for_the_old_dashboard_session_and_refusals(self):
        self.push("silo101", "2026-02-15 08:30:00", "02:30")
        reader = self.session("scada_reader", "scada_reader-pass-1")
        envelope = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"equipment_code": "silo101", "date_from": "2026-02-01", "limit": 100},
            "id": 1,
        }
        response = reader.post(self.base_url() + REPORT, json=envelope, timeout=30)
        self.assertEqual(response.status_code, 200, response.text)
        result = response.json()["result"]
        self.assertEqual((result["status"], result["count"]), ("success", 1))
        self.assertEqual(
            (result["data"][0]["duration"], result["data"][0]["duration_minutes"]), ("02:30", 150)
        )
        bad = reader.post(self.base_url() + REPORT, json={"period": "fortnight"}, timeout=30)
        self.assertEqual((bad.status_code, bad.json()["status"]), (200, "error"))
        self.assertIn("this_month", bad.json()["message"])

        self.assertEqual(self.post({}, self.outsider_key, path=REPORT).status_code, 403)
        self.assertEqual(self.post({}, path=REPORT).status_code, 401)
        outsider = self.session("outsider", "outsider-pass-1")
        refused = outsider.post(self.base_url() + REPORT, json={}, timeout=30)
        self.assertEqual((refused.status_code, refused.json()["status"]), (200, "error"))
        self.assertNotIn("data", refused.json())

    def test_report_periods_in_the_plant_zone(self):
        """Periods from a frozen "now" (model level: a frozen clock would stall HTTP)."""
        Api = self.env["scada.api"]
        tz = Api._plant_tz()
        # 2026-03-01 01:00 in Jakarta is still February in UTC.
        with freeze_time(datetime(2026, 2, 28, 18, 0, 0)):
            ranges = {
                p: Api._period_range(p, tz)
                for p in (
                    "today",
                    "yesterday",
                    "this_week",
                    "last_7_days",
                    "this_month",
                    "last_month",
                    "this_year",
                )
            }
        as_text = {
            p: (a.strftime("%Y-%m-%d %H:%M"), b.strftime("%Y-%m-%d %H:%M"))
            for p, (a, b) in ranges.items()
        }
        self.assertEqual(
            as_text,
            {
                "today": ("2026-03-01 00:00", "2026-03-02 00:00"),
                "yesterday": ("2026-02-28 00:00", "2026-03-01 00:00"),
                "this_week": ("2026-02-23 00:00", "2026-03-02 00:00"),  # Monday
                "last_7_days": ("2026-02-23 00:00", "2026-03-02 00:00"),
                "this_month": ("2026-03-01 00:00", "2026-03-02 00:00"),
                "last_month": ("2026-02-01 00:00", "2026-03-01 00:00"),
                "this_year": ("2026-01-01 00:00", "2026-03-02 00:00"),
            },
        )
        self.assertEqual(ranges["today"][0].utcoffset().total_seconds(), 7 * 3600)
        with self.assertRaises(ValueError):
            Api._period_range("fortnight", tz)

    def test_old_list_route_reads_like_the_list(self):
        self.push("silo101", "2026-02-15 08:30:00")
        for path in (API, "/api/scada/failure-reports"):
            response = self.get({"equipment_code": "silo101"}, self.reader_key, path=path)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["count"], 1)
            self.assertEqual(self.get({}, self.outsider_key, path=path).status_code, 403)
