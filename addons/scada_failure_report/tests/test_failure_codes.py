# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Failure codes made at ingest, and their request policy: never / always / severity."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import T0
from .maintenance_common import MaintenanceCase


@tagged("post_install", "-at_install")
class TestFailureCodes(MaintenanceCase):
    def test_unknown_codes_are_made_once_at_ingest(self):
        self.Code.create({"code": "OLD", "company_id": self.company.id, "active": False})
        self.insert(
            self.raised(0, failure_code="JAM", severity="low"),
            self.raised(1, failure_code="JAM", severity="low"),
            self.raised(2, code="hopper7", failure_code="OVERLOAD", severity="low"),
            self.raised(3, failure_code="OLD", severity="low"),
            self.raised(4, failure_code=None, severity="low"),
        )
        self.source.with_user(self.manager)._pull()

        codes = self.Code.with_context(active_test=False).search([], order="code")
        self.assertEqual(codes.mapped("code"), ["JAM", "OLD", "OVERLOAD"])
        self.assertFalse(codes.filtered(lambda c: c.code == "OLD").active, "archived one reused")
        failures = self.reports()
        self.assertEqual(
            failures.mapped(lambda f: f.failure_code_id.code or None),
            ["JAM", "JAM", "OVERLOAD", "OLD", None],
        )
        jam = codes[0]
        self.assertEqual(jam.request_policy, "severity", "a new code follows the company setting")
        self.assertEqual(jam.with_user(self.user).failure_count, 2)

    def test_a_code_gives_its_severity_to_failures_sent_without_one(self):
        self.Code.create({"code": "JAM", "severity": "critical"})
        event = self.event(T0, failure_code="JAM", severity=None)
        self.push(event)
        failure = self.failure(event)
        self.assertEqual(failure.severity, "critical")
        self.assertTrue(failure.maintenance_request_id, "critical is above 'high': a request")

    def test_policy_never_always_severity(self):
        self.Code.create(
            [
                {"code": "NEVER", "request_policy": "never"},
                {"code": "ALWAYS", "request_policy": "always"},
                {"code": "BY_SEVERITY", "request_policy": "severity"},
            ]
        )
        never = self.event(T0, failure_code="NEVER", severity="critical")
        always = self.event(T0, failure_code="ALWAYS", severity="low")
        medium = self.event(T0, code="hopper7", failure_code="BY_SEVERITY", severity="medium")
        self.push(never, always, medium)
        self.assertFalse(self.failure(never).maintenance_request_id)
        self.assertTrue(self.failure(always).maintenance_request_id)
        self.assertFalse(self.failure(medium).maintenance_request_id, "medium < high")

        high = self.event(T0 + self.hours(1), code="hopper7", failure_code="BY_SEVERITY")
        self.push(high)
        self.assertTrue(self.failure(high).maintenance_request_id, "high >= high")

        self.company.scada_request_min_severity = "critical"
        silo_high = self.event(T0 + self.hours(2), failure_code="BY_SEVERITY", severity="high")
        self.push(silo_high)
        self.assertFalse(self.failure(silo_high).maintenance_request_id, "high < critical")
        self.assertEqual(len(self.requests_of(self.silo)), 1, "only ALWAYS opened one")

    def test_request_carries_what_the_team_needs(self):
        self.Code.create({"code": "ALWAYS", "name": "Always broken", "request_policy": "always"})
        event = self.event(
            T0, failure_code="ALWAYS", severity="critical", description="Bearing <hot>"
        )
        self.push(event)
        request = self.failure(event).maintenance_request_id
        self.assertEqual(request.name, "Silo 101 - ALWAYS")
        self.assertEqual(request.maintenance_type, "corrective")
        self.assertEqual(request.equipment_id, self.silo)
        self.assertEqual(request.maintenance_team_id, self.team)
        self.assertEqual(request.user_id, self.tech, "the equipment's technician")
        self.assertEqual(request.schedule_date, T0.replace(tzinfo=None))
        self.assertEqual(request.priority, "3", "critical is the highest priority")
        self.assertIn("Bearing &lt;hot&gt;", request.description, "failure text, escaped")
        self.assertTrue(request.scada_request)

    def test_users_read_codes_managers_edit_them_the_bot_neither(self):
        code = self.Code.create({"code": "JAM"})
        self.assertEqual(code.with_user(self.user).display_name, "JAM")
        with self.assertRaises(AccessError):
            code.with_user(self.user).write({"request_policy": "never"})
        code.with_user(self.manager).write({"request_policy": "never", "name": "Jammed"})
        self.assertEqual(code.display_name, "JAM - Jammed")
        with self.assertRaises(AccessError):
            self.Code.with_user(self.bot).create({"code": "BOT"})
        with self.assertRaises(AccessError):
            self.Code.with_user(self.bot).search([])
