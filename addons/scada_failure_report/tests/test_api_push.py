# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""POST /api/scada/equipment-failure through real HTTP: every status code, batches, retries."""

import json
import uuid
from datetime import datetime

from odoo.tests import tagged

from .api_common import ScadaApiCase


@tagged("post_install", "-at_install")
class TestApiPush(ScadaApiCase):
    def test_201_single_event_creates_a_linked_failure(self):
        event = self.event()
        response = self.post(event, self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        body = response.json()
        self.assertEqual(body["status"], "success")
        self.assertEqual(body["created"], 1)
        report = self.reports([("event_uid", "=", event["event_uid"])])
        self.assertEqual(len(report), 1)
        self.assertEqual(
            body["results"],
            [{"event_uid": event["event_uid"], "id": report.id, "result": "created"}],
        )
        self.assertEqual(report.origin, "push")
        self.assertEqual(report.equipment_id, self.silo)
        self.assertEqual(report.started_at, datetime(2026, 2, 23, 20, 22, 35))
        self.assertEqual(body["data"]["equipment_name"], "Silo 101")
        self.assertEqual(body["data"]["date"], "2026-02-23 20:22:35")

    def test_200_when_everything_is_a_duplicate(self):
        event = self.event()
        self.assertEqual(self.post(event, self.bot_key).status_code, 201)
        again = self.post(event, self.bot_key)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["results"][0]["result"], "duplicate")
        self.assertEqual(again.json()["duplicates"], 1)
        self.assertEqual(len(self.reports([("event_uid", "=", event["event_uid"])])), 1)

    def test_batch_mixes_new_and_duplicate_events(self):
        known = self.event(description="known")
        self.post(known, self.bot_key)
        fresh = [self.event(description=f"new {i}") for i in range(3)]
        response = self.post({"events": [fresh[0], known, fresh[1], fresh[2]]}, self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        body = response.json()
        self.assertEqual(
            [r["result"] for r in body["results"]],
            ["created", "duplicate", "created", "created"],
        )
        self.assertEqual((body["created"], body["duplicates"]), (3, 1))
        self.assertEqual(len(self.reports()), 4)

    def test_retry_without_uid_is_recognised(self):
        event = self.event(event_uid=None, occurred_at=None, date="2026-02-23 20:22:35")
        first = self.post(event, self.bot_key)
        self.assertEqual(first.status_code, 201, first.text)
        # Same failure, same instant written another way: still the same event.
        event["date"] = "2026-02-23T21:22:35+01:00"
        retry = self.post(event, self.bot_key)
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(
            retry.json()["results"][0]["event_uid"], first.json()["results"][0]["event_uid"]
        )
        self.assertEqual(len(self.reports()), 1)

    def test_retry_without_uid_nor_time_hits_the_active_failure(self):
        event = {"equipment_code": "silo101", "description": "START_FAILURE"}
        first = self.post(event, self.bot_key)
        self.assertEqual(first.status_code, 201, first.text)
        retry = self.post(event, self.bot_key)
        self.assertEqual(retry.status_code, 200, retry.text)
        self.assertEqual(len(self.reports()), 1)

    def test_same_text_without_time_after_its_clear_is_a_new_failure(self):
        event = {"equipment_code": "silo101", "description": "START_FAILURE"}
        earlier = dict(event, date="2026-02-23 20:22:35")
        first = self.post(earlier, self.bot_key).json()["results"][0]
        clear = {"kind": "cleared", "raise_uid": first["event_uid"], "equipment_code": "silo101"}
        self.assertEqual(self.post(clear, self.bot_key).json()["results"][0]["result"], "cleared")
        again = self.post(event, self.bot_key)
        self.assertEqual(again.status_code, 201, again.text)
        self.assertNotEqual(again.json()["results"][0]["event_uid"], first["event_uid"])
        self.assertEqual(self.reports().mapped("state"), ["cleared", "active"])

    def test_time_without_zone_is_read_in_the_plant_time_zone(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "scada_failure_report.plant_tz", "Europe/Paris"
        )
        event = self.event(occurred_at=None, date="2026-02-23 20:22:35")
        response = self.post(event, self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        report = self.reports()
        self.assertEqual(report.started_at, datetime(2026, 2, 23, 19, 22, 35))
        self.assertEqual(response.json()["data"]["date"], "2026-02-23 20:22:35")

    def test_unknown_equipment_is_kept_without_link(self):
        response = self.post(self.event(equipment_code="mixer9"), self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        report = self.reports()
        self.assertEqual(report.equipment_code, "mixer9")
        self.assertFalse(report.equipment_id)
        self.assertIsNone(response.json()["data"]["equipment_id"])

    def test_clear_closes_its_failure(self):
        raised = self.event()
        self.post(raised, self.bot_key)
        clear = self.event(
            kind="cleared",
            raise_uid=raised["event_uid"],
            description=None,
            occurred_at="2026-02-23T21:22:35Z",
        )
        response = self.post(clear, self.bot_key)
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["results"][0]["result"], "cleared")
        report = self.reports()
        self.assertEqual((report.state, report.duration), ("cleared", 1.0))

    def test_400_malformed_json(self):
        for raw in (b"{", b'{"equipment_code": NaN}', b"\xff\xfe", b"[" * 100000):
            response = self.post(None, self.bot_key, raw=raw)
            self.assertEqual(response.status_code, 400, raw[:20])
            self.assertEqual(response.json()["status"], "error")
        self.assertFalse(self.reports())

    def test_401_missing_or_invalid_key(self):
        for key, header in (
            (None, None),
            ("not-a-key", None),
            (None, {"Authorization": "Basic Ym90OmJvdA=="}),
        ):
            response = self.post(self.event(), key, headers=header)
            self.assertEqual(response.status_code, 401, response.text)
            self.assertTrue(response.headers["WWW-Authenticate"].startswith("Bearer"))
            self.assertIn("message", response.json())
        self.assertFalse(self.reports())

    def test_403_user_without_the_integration_group(self):
        for key in (self.outsider_key, self.reader_key):
            response = self.post(self.event(), key)
            self.assertEqual(response.status_code, 403, response.text)
            self.assertIn("group", response.json()["message"])
        self.assertFalse(self.reports())

    def test_413_body_over_2_mb(self):
        big = self.event(description="x" * 3000)
        body = {"events": [dict(big, event_uid=str(uuid.uuid4())) for _ in range(800)]}
        raw = json.dumps(body).encode()
        self.assertGreater(len(raw), 2 * 1024 * 1024)
        response = self.post(None, self.bot_key, raw=raw)
        self.assertEqual(response.status_code, 413, response.text[:200])
        self.assertFalse(self.reports())

    def test_415_wrong_content_type(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = self.post(self.event(), self.bot_key, headers={"Content-Type": content_type})
            self.assertEqual(response.status_code, 415, response.text)
        self.assertFalse(self.reports())

    def test_422_lists_every_invalid_event_and_writes_nothing(self):
        events = [
            self.event(),
            self.event(equipment_code=None, severity="apocalyptic"),
            self.event(),
            self.event(kind="cleared", description=None),
            self.event(occurred_at="yesterday"),
        ]
        response = self.post({"events": events}, self.bot_key)
        self.assertEqual(response.status_code, 422, response.text)
        body = response.json()
        found = {(e["index"], e["field"]) for e in body["errors"]}
        self.assertEqual(
            found,
            {(1, "equipment_code"), (1, "severity"), (3, "raise_uid"), (4, "occurred_at")},
        )
        self.assertIn("3 of 5 events are invalid", body["message"])
        self.assertFalse(self.reports())

    def test_422_more_than_1000_events(self):
        events = [self.event(description="d", device=None) for _ in range(1001)]
        response = self.post({"events": events}, self.bot_key)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("1000", response.json()["message"])
        self.assertFalse(self.reports())

    def test_method_not_allowed_is_not_a_traceback(self):
        response = self.opener.put(
            self.base_url() + "/api/scada/equipment-failure", data=b"{}", timeout=30
        )
        self.assertEqual(response.status_code, 405)
        self.assertNotIn("Traceback", response.text)
