# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An end for every failure: Resolve by a person, the PLC's clear later, the request done."""

from datetime import datetime

from freezegun import freeze_time
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import T0
from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 2, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestResolve(MaintenanceCase):
    def resolve(self, user, failures, note="Replaced the starter relay", **values):
        action = failures.with_user(user).action_resolve()
        wizard = Form(
            self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        )
        for name, value in values.items():
            setattr(wizard, name, value)
        wizard.note = note
        return wizard.save().action_resolve()

    @freeze_time(NOW)
    def test_resolve_then_the_plc_clear_wins_on_time_and_keeps_the_note(self):
        raised = self.insert(self.raised(0))[0]  # 08:00
        self.source._pull()
        failure = self.report(raised)

        self.resolve(self.maintenance_manager, failure)  # cleared_at defaults to now

        self.assertEqual(failure.state, "cleared")
        self.assertEqual(failure.cleared_at, NOW)
        self.assertEqual(failure.cleared_by, self.maintenance_manager)
        self.assertEqual(failure.resolve_note, "Replaced the starter relay")
        self.assertAlmostEqual(failure.duration, 4.0)
        self.assertIn("Replaced the starter relay", failure.message_ids[0].body)
        self.assertFalse(failure.clear_uid)

        self.insert(self.cleared(raised, 90))  # the PLC says it ended at 09:30
        result = self.source._pull()
        self.assertEqual(result["cleared"], 1)
        self.env.invalidate_all()
        self.assertEqual(failure.cleared_at, datetime(2026, 11, 2, 9, 30), "PLC time wins")
        self.assertAlmostEqual(failure.duration, 1.5)
        self.assertTrue(failure.clear_uid)
        self.assertEqual(failure.cleared_by, self.maintenance_manager, "who resolved it stays")
        self.assertEqual(failure.resolve_note, "Replaced the starter relay")

    @freeze_time(NOW)
    def test_who_may_resolve(self):
        raised = self.insert(self.raised(0))[0]
        self.source._pull()
        failure = self.report(raised)
        with self.assertRaises(AccessError):
            failure.with_user(self.user).action_resolve()
        with self.assertRaises(AccessError):
            self.env["scada.failure.resolve"].with_user(self.user).create(
                {"failure_ids": [(6, 0, failure.ids)], "note": "x"}
            )
        self.assertEqual(failure.state, "active")
        self.resolve(self.manager, failure, cleared_at=datetime(2026, 11, 2, 9, 0))
        self.assertEqual((failure.state, failure.cleared_by), ("cleared", self.manager))

    @freeze_time(NOW)
    def test_an_end_before_the_start_or_in_the_future_is_refused(self):
        raised = self.insert(self.raised(0))[0]
        self.source._pull()
        failure = self.report(raised)
        with self.assertRaisesRegex(ValidationError, "after the end you gave"):
            self.resolve(self.manager, failure, cleared_at=datetime(2026, 11, 2, 7, 0))
        with self.assertRaisesRegex(ValidationError, "future"):
            self.resolve(self.manager, failure, cleared_at=datetime(2026, 11, 3, 7, 0))
        self.assertEqual(failure.state, "active")

    @freeze_time(NOW)
    def test_request_done_ends_failures_no_plc_will_clear(self):
        self.Code.create({"code": "START_FAILURE", "request_policy": "always"})
        self.company.scada_clear_on_request_done = True
        mailbox, condition = self.insert(
            self.raised(0, payload={"source": "mailbox"}),
            self.raised(10, payload={"source": "condition"}),
        )
        self.source._pull()
        pushed = self.event(T0.replace(hour=9))
        self.push(pushed)
        request = self.failure(pushed).maintenance_request_id
        self.assertEqual(len(request.scada_failure_ids), 3)

        request.with_user(self.tech).write({"stage_id": self.done_stage.id})

        self.env.invalidate_all()
        for failure in (self.report(mailbox), self.failure(pushed)):
            self.assertEqual(failure.state, "cleared")
            self.assertEqual(failure.cleared_at, NOW, "the request's close date: today, now")
            self.assertEqual(failure.cleared_by, self.tech)
            self.assertIn(request.name, failure.resolve_note)
        self.assertEqual(self.report(condition).state, "active", "its PLC will clear it")

    @freeze_time(NOW)
    def test_request_done_ends_nothing_when_the_setting_is_off(self):
        self.Code.create({"code": "START_FAILURE", "request_policy": "always"})
        pushed = self.event(T0)
        self.push(pushed)
        request = self.failure(pushed).maintenance_request_id
        request.stage_id = self.done_stage
        self.assertEqual(self.failure(pushed).state, "active")
