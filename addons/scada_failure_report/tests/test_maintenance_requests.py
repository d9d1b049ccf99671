# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Corrective requests: one per open equipment and code, made in bulk, exactly once."""

import psycopg2
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import T0
from .maintenance_common import MaintenanceCase


@tagged("post_install", "-at_install")
class TestMaintenanceRequests(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.Code.create({"code": "START_FAILURE", "request_policy": "always"})

    def notes(self, request):
        return request.message_ids.filtered(lambda m: "raised again" in (m.body or ""))

    def test_one_open_request_per_equipment_and_code(self):
        self.insert(self.raised(0), self.raised(5), self.raised(7, failure_code="OVERHEAT"))
        self.source.with_user(self.manager)._pull()
        self.insert(self.raised(10), self.raised(12, code="hopper7"))
        self.source.with_user(self.manager)._pull()

        silo_requests = self.requests_of(self.silo)
        self.assertEqual(len(silo_requests), 2, "START_FAILURE and OVERHEAT, one each")
        start = silo_requests.filtered(lambda r: r.scada_failure_code_id.code == "START_FAILURE")
        self.assertEqual(len(start.scada_failure_ids), 3)
        self.assertEqual(
            len(self.notes(start)), 2, "one note per pull that repeated it, not one per failure"
        )
        self.assertIn("raised again at 2026-11-02 08:10:00", self.notes(start)[0].body)
        self.assertEqual(len(self.requests_of(self.hopper)), 1)

        start.stage_id = self.done_stage
        self.insert(self.raised(20))
        self.source.with_user(self.manager)._pull()
        again = self.requests_of(self.silo).filtered(
            lambda r: r.scada_failure_code_id.code == "START_FAILURE"
        )
        self.assertEqual(len(again), 2, "the first one is done: a new failure opens a new one")
        self.assertEqual(len(again[1].scada_failure_ids), 1)

    def test_replayed_batch_creates_no_second_request(self):
        events = self.insert(self.raised(0), self.raised(1), self.raised(2, code="hopper7"))
        self.source.with_user(self.manager)._pull()
        requests = self.Request.search([])
        messages = self.env["mail.message"].search_count([("model", "=", "maintenance.request")])

        self.source.cursor = False  # replay everything, as after restoring an old backup
        replay = self.source.with_user(self.manager)._pull()

        self.assertEqual((replay["read"], replay["created"], replay["duplicate"]), (3, 0, 3))
        self.assertEqual(self.Request.search([]), requests)
        self.assertEqual(len(requests), 2)
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "maintenance.request")]),
            messages,
            "nothing posted again",
        )
        # The same events pushed by the middleware too: duplicates, nothing new.
        again = self.push(*[dict(vars(e)) for e in events])
        self.assertEqual([r["result"] for r in again], ["duplicate"] * 3)
        self.assertEqual(self.Request.search([]), requests)
        self.assertEqual(
            len(self.notes(requests.filtered(lambda r: r.equipment_id == self.silo))), 1
        )

    def test_a_second_open_request_for_the_same_key_is_refused_by_the_database(self):
        event = self.event(T0)
        self.push(event)
        request = self.failure(event).maintenance_request_id
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.Request.create(
                    {
                        "name": "twin",
                        "equipment_id": self.silo.id,
                        "scada_request": True,
                        "scada_failure_code_id": request.scada_failure_code_id.id,
                    }
                )

    def test_request_lists_its_failures_for_scada_users(self):
        first, second = self.event(T0), self.event(T0 + self.hours(1))
        self.push(first, second)
        request = self.failure(first).maintenance_request_id
        as_user = request.with_user(self.maintenance_manager)
        self.assertEqual(as_user.scada_failure_count, 2)
        action = as_user.action_view_scada_failures()
        self.assertEqual(
            self.Report.with_user(self.maintenance_manager).search(action["domain"]),
            self.failure(first) | self.failure(second),
        )
        self.assertEqual(self.failure(second).maintenance_request_id, request)
        form = self.Request.with_user(self.user).get_views([(False, "form")])["views"]["form"]
        self.assertIn('name="scada_failure_count"', form["arch"])
        outsider_form = self.Request.with_user(self.outsider).get_views([(False, "form")])
        self.assertNotIn("scada_failure_count", outsider_form["views"]["form"]["arch"])

    def test_pushed_by_the_integration_user_without_request_rights_of_its_own(self):
        event = self.event(T0, severity="critical")
        self.push(event)
        failure = self.failure(event)
        self.assertEqual(failure.create_uid, self.bot)
        self.assertEqual(failure.maintenance_request_id.equipment_id, self.silo)

    def test_ingest_cost_does_not_grow_with_the_events(self):
        """The maintenance step is a few queries per call, whatever the number of events."""

        def queries_for(count, offset):
            events = [self.event(T0 + self.hours(offset + i / 100)) for i in range(count)]
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.push(*events)
            return self.env.cr.sql_log_count - before

        self.push(self.event(T0))  # the request exists: every later event is a repeat
        few = queries_for(5, 10)
        many = queries_for(100, 20)
        self.assertEqual(len(self.requests_of(self.silo)), 1)
        self.assertEqual(len(self.requests_of(self.silo).scada_failure_ids), 106)
        self.assertLessEqual(many, few + 2, f"{few} queries for 5 events, {many} for 100")
