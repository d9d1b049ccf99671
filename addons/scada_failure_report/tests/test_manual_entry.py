# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Operators' entries: a SCADA user records a failure in the form; it goes through the ingest."""

import uuid
from datetime import datetime

from freezegun import freeze_time
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 2, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestManualEntry(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.jam = self.Code.create(
            {"code": "JAM", "name": "Belt jammed", "request_policy": "always"}
        )

    @freeze_time(NOW)
    def test_scada_user_records_a_failure_in_the_form(self):
        form = Form(self.Report.with_user(self.user))
        self.assertEqual(form.started_at, NOW, "start defaults to now")
        form.equipment_id = self.hopper
        form.failure_code_id = self.jam
        form.description = "Belt stopped, material on the floor"
        form.severity = "critical"
        failure = form.save()

        self.assertEqual(failure.origin, "manual")
        self.assertEqual(failure.reported_by, self.user)
        self.assertEqual(uuid.UUID(failure.event_uid).version, 4, "a fresh event uid")
        self.assertEqual(failure.equipment_code, "hopper7")
        self.assertEqual(failure.failure_code, "JAM")
        self.assertEqual(failure.failure_code_id, self.jam)
        self.assertEqual((failure.state, failure.started_at), ("active", NOW))
        self.assertEqual(failure.create_uid, self.user, "created with the user's own rights")
        # The same ingest as a pulled failure: the code's request, and the alert.
        request = failure.maintenance_request_id
        self.assertEqual(request.equipment_id, self.hopper)
        self.assertEqual(request.name, "Hopper 7 - JAM")
        self.assertEqual(len(self.scada_activities()), 1)
        self.assertEqual(self.scada_activities().res_id, request.id)

    @freeze_time(NOW)
    def test_equipment_without_scada_code_and_a_past_start(self):
        press = self.env["maintenance.equipment"].create({"name": "Press 3"})
        failure = self.Report.with_user(self.user).create(
            {
                "equipment_id": press.id,
                "description": "Hydraulic leak",
                "started_at": "2026-11-02 06:30:00",
            }
        )
        self.assertEqual(failure.equipment_id, press)
        self.assertEqual(failure.equipment_code, "Press 3")
        self.assertEqual(failure.started_at, datetime(2026, 11, 2, 6, 30))
        self.assertFalse(failure.failure_code_id)

    def test_equipment_is_required(self):
        with self.assertRaisesRegex(ValidationError, "needs its equipment"):
            self.Report.with_user(self.user).create({"description": "Something broke"})

    def test_a_user_cannot_pass_a_failure_off_as_pulled(self):
        fake_uid = str(uuid.uuid4())
        failure = self.Report.with_user(self.user).create(
            {
                "equipment_id": self.silo.id,
                "event_uid": fake_uid,
                "origin": "pull",
                "source_id": self.source.id,
                "description": "typed in",
            }
        )
        self.assertEqual(failure.origin, "manual")
        self.assertNotEqual(failure.event_uid, fake_uid)
        self.assertFalse(failure.source_id)
        self.assertEqual(failure.reported_by, self.user)

    def test_outsider_cannot_record_and_user_cannot_change_a_failure(self):
        with self.assertRaises(AccessError):
            self.Report.with_user(self.outsider).create({"equipment_id": self.silo.id})
        failure = self.Report.with_user(self.user).create({"equipment_id": self.silo.id})
        with self.assertRaises(AccessError):
            failure.with_user(self.user).write({"description": "edited"})
        with self.assertRaises(AccessError):
            failure.with_user(self.user).unlink()

    def test_the_form_opens_for_a_scada_user(self):
        views = self.Report.with_user(self.user).get_views([(False, "form")])
        arch = views["views"]["form"]["arch"]
        self.assertIn('name="equipment_id"', arch)
        self.assertNotIn('name="action_resolve"', arch, "Resolve is for managers")
