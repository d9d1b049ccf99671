# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""GET /api/scada/equipment-failure, POST /api/scada/pull and GET /api/scada/status."""

import http.client

from odoo.tests import tagged

from .api_common import ScadaApiCase

CRON = "scada_failure_report.ir_cron_scada_pull"


@tagged("post_install", "-at_install")
class TestApiEndpoints(ScadaApiCase):
    def test_list_filters_and_pages(self):
        events = [
            self.event(occurred_at=f"2026-02-2{i}T10:00:00Z", equipment_code=code)
            for i, code in enumerate(["silo101", "silo101", "mixer9"], start=1)
        ]
        self.assertEqual(self.post({"events": events}, self.bot_key).status_code, 201)
        listed = self.get({"equipment_code": "silo101"}, self.reader_key).json()
        self.assertEqual((listed["count"], listed["total"]), (2, 2))
        self.assertEqual(
            [r["event_uid"] for r in listed["data"]],
            [events[1]["event_uid"], events[0]["event_uid"]],  # newest first
        )
        page = self.get({"limit": 1, "offset": 1}, self.bot_key).json()
        self.assertEqual((page["count"], page["total"]), (1, 3))
        self.assertEqual(page["data"][0]["event_uid"], events[1]["event_uid"])
        since = self.get({"since": "2026-02-22T00:00:00Z"}, self.bot_key).json()
        self.assertEqual(since["total"], 2)
        active = self.get({"state": "cleared"}, self.bot_key).json()
        self.assertEqual(active["total"], 0)

    def test_list_pages_by_key_as_offset_does(self):
        """after= (the previous page's next) walks the history by key: the same pages as
        offset, same-time failures included, without reading the rows before the page."""
        events = [
            self.event(occurred_at=f"2026-02-2{i // 2}T10:00:00Z", equipment_code=f"eq{i}")
            for i in range(5)  # pairs at the same time: the key needs the id too
        ]
        self.assertEqual(self.post({"events": events}, self.bot_key).status_code, 201)
        by_offset = [
            [
                r["event_uid"]
                for r in self.get({"limit": 2, "offset": o}, self.bot_key).json()["data"]
            ]
            for o in (0, 2, 4)
        ]
        by_key, after = [], None
        for _ in range(3):
            page = self.get({"limit": 2, **({"after": after} if after else {})}, self.bot_key)
            body = page.json()
            by_key.append([r["event_uid"] for r in body["data"]])
            after = body["next"]
        self.assertEqual(by_key, by_offset)
        self.assertIsNone(after, "the last page is not full: no next")
        for params in (
            {"after": "yesterday"},
            {"after": "2026-02-20T10:00:00~1", "offset": 2},
        ):
            response = self.get(params, self.bot_key)
            self.assertEqual(response.status_code, 400, params)

    def test_list_refuses_bad_parameters_and_strangers(self):
        for params in (
            {"limit": "ten"},
            {"limit": 0},
            {"offset": -1},
            {"state": "on_fire"},
            {"since": "soon"},
        ):
            response = self.get(params, self.bot_key)
            self.assertEqual(response.status_code, 400, params)
            self.assertEqual(response.json()["status"], "error")
        self.assertEqual(self.get({}, self.outsider_key).status_code, 403)
        self.assertEqual(self.get({}, None).status_code, 401)

    def test_pull_doorbell_triggers_the_scheduled_pull_once(self):
        cron = self.env.ref(CRON)
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        first = self.post(None, self.bot_key, path="/api/scada/pull", raw=b"")
        self.assertEqual(first.status_code, 202, first.text)
        self.assertFalse(first.json()["already_requested"])
        second = self.post(None, self.manager_key, path="/api/scada/pull", raw=b"")
        self.assertEqual(second.status_code, 202, second.text)
        self.assertTrue(second.json()["already_requested"])
        self.env.invalidate_all()
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        refused = self.post(None, self.reader_key, path="/api/scada/pull", raw=b"")
        self.assertEqual(refused.status_code, 403)

    def test_doorbell_without_body_nor_length(self):
        """``curl -X POST`` sends neither a body nor Content-Length: a plain ring."""
        self.env.flush_all()
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port(), timeout=30)
        try:
            conn.putrequest("POST", "/api/scada/pull")
            conn.putheader("Authorization", f"Bearer {self.bot_key}")
            conn.endheaders()
            response = conn.getresponse()
            self.assertEqual(response.status, 202, response.read())
        finally:
            conn.close()

    def test_status_for_the_doctor(self):
        source = self.env["scada.source"].create(
            {"name": "Line 1", "connection_uri": "postgresql://reader@127.0.0.1:1/none"}
        )
        response = self.get(key=self.bot_key, path="/api/scada/status")
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["module"]["name"], "scada_failure_report")
        installed = self.env["ir.module.module"].search([("name", "=", "scada_failure_report")])
        self.assertEqual(body["module"]["version"], installed.latest_version)
        self.assertEqual(body["cron"]["interval"], "1 minutes")
        self.assertIsInstance(body["cron"]["failure_count"], int)
        self.assertEqual(body["user"], "scada_bot")
        (listed,) = [s for s in body["sources"] if s["id"] == source.id]
        self.assertEqual(listed["name"], "Line 1")
        self.assertNotIn("connection_uri", listed)
        self.assertEqual(self.get(key=self.manager_key, path="/api/scada/status").status_code, 200)

    def test_status_refusals(self):
        missing = self.get(path="/api/scada/status")
        self.assertEqual(missing.status_code, 401)
        self.assertIn("Bearer", missing.headers["WWW-Authenticate"])
        self.assertEqual(self.get(key="0" * 40, path="/api/scada/status").status_code, 401)
        self.assertEqual(self.get(key=self.reader_key, path="/api/scada/status").status_code, 403)
