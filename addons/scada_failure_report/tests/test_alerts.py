# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Alerts: one 'SCADA failure' activity per equipment and code, never one per event."""

from odoo.tests import tagged

from .common import T0
from .maintenance_common import MaintenanceCase


@tagged("post_install", "-at_install")
class TestAlerts(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.Code.create(
            [
                {"code": "START_FAILURE", "request_policy": "always"},
                {"code": "LOG_ONLY", "request_policy": "never"},
            ]
        )
        self.silo.message_subscribe(partner_ids=self.maintenance_manager.partner_id.ids)

    def equipment_alerts(self, equipment):
        self.env.invalidate_all()
        return equipment.message_ids.filtered(lambda m: "SCADA failure" in (m.subject or ""))

    def test_once_per_equipment_and_code_for_a_bulk_pull(self):
        self.insert(
            *[self.raised(i, severity="critical") for i in range(40)],
            *[self.raised(i, code="hopper7", severity="critical") for i in range(40)],
            *[self.raised(i, severity="high", failure_code="OVERHEAT") for i in range(5)],
        )
        self.source.with_user(self.manager)._pull()

        activities = self.scada_activities()
        self.assertEqual(len(activities), 2, "silo and hopper, not 80; high is below critical")
        silo_activity = activities.filtered(lambda a: a.user_id == self.tech)
        request = self.requests_of(self.silo).filtered(
            lambda r: r.scada_failure_code_id.code == "START_FAILURE"
        )
        self.assertEqual(
            (silo_activity.res_model, silo_activity.res_id), ("maintenance.request", request.id)
        )
        self.assertEqual(silo_activity.activity_type_id.name, "SCADA failure")
        hopper_activity = activities - silo_activity
        self.assertEqual(hopper_activity.user_id, self.member_a, "no technician: the team")

        silo_messages = self.equipment_alerts(self.silo)
        self.assertEqual(len(silo_messages), 1, "one message to the equipment's followers")
        self.assertIn(
            self.maintenance_manager.partner_id, silo_messages.notification_ids.res_partner_id
        )
        hopper_message = self.equipment_alerts(self.hopper)
        self.assertEqual(len(hopper_message), 1)
        self.assertEqual(
            hopper_message.partner_ids, (self.member_a | self.member_b).partner_id, "whole team"
        )

        # More of the same while the activity is open: nothing new.
        self.insert(self.raised(50, severity="critical"))
        self.source.with_user(self.manager)._pull()
        self.assertEqual(self.scada_activities(), activities)
        self.assertEqual(len(self.equipment_alerts(self.silo)), 1)

        # Once the technician marks it done, the next failure alerts again.
        silo_activity.with_user(self.tech).action_feedback(feedback="Checked")
        self.insert(self.raised(60, severity="critical"))
        self.source.with_user(self.manager)._pull()
        self.assertEqual(len(self.scada_activities()), 2)
        self.assertEqual(len(self.equipment_alerts(self.silo)), 2)

    def test_without_request_the_activity_is_on_the_failure(self):
        event = self.event(T0, failure_code="LOG_ONLY", severity="critical")
        self.push(event)
        activity = self.scada_activities()
        self.assertEqual(
            (activity.res_model, activity.res_id), ("scada.failure.report", self.failure(event).id)
        )
        self.assertEqual(activity.user_id, self.tech)
        self.push(self.event(T0 + self.hours(1), failure_code="LOG_ONLY", severity="critical"))
        self.assertEqual(self.scada_activities(), activity, "one per equipment and code")

    def test_no_technician_no_team_goes_to_the_managers(self):
        self.env["maintenance.equipment"].create({"name": "Press 3", "scada_code": "press3"})
        self.push(self.event(T0, code="press3", severity="critical"))
        user = self.scada_activities().user_id
        self.assertTrue(user.has_group("scada_failure_report.group_scada_manager"), user.name)
        self.assertNotEqual(user, self.env.ref("base.user_root"))

    def test_the_alert_severity_is_a_setting_and_cleared_failures_need_no_one(self):
        self.company.scada_alert_min_severity = "high"
        raised = self.event(T0, severity="high")
        over = self.event(T0, code="hopper7", severity="critical")
        self.push(raised, over, self.clear_of(over, T0 + self.hours(1)))
        activities = self.scada_activities()
        self.assertEqual(len(activities), 1, "the hopper's failure is already over")
        self.assertEqual(activities.user_id, self.tech)
