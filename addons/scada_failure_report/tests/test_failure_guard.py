# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Over XML-RPC a maintenance manager may resolve a failure, not rewrite it (issue 18, point 10).

Maintenance managers have write access to failures for the Resolve wizard;
through XML-RPC that access used to rewrite ``event_uid``, ``clear_uid``,
``company_id`` or ``started_at`` (blocking the PLC's later clear). Real HTTP,
the manager's own password.
"""

import xmlrpc.client

from odoo.tests import new_test_user, tagged

from .api_common import ScadaApiCase

REPORT = "scada.failure.report"


@tagged("post_install", "-at_install")
class TestFailureGuard(ScadaApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mona = new_test_user(
            cls.env,
            login="scada_guard_mona",
            password="scada-guard-mona-1",
            groups="base.group_user,maintenance.group_equipment_manager,"
            "scada_failure_report.group_scada_user",
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other plant"})
        cls.hopper = cls.env["maintenance.equipment"].create(
            {"name": "Hopper 7", "scada_code": "hopper7"}
        )

    def setUp(self):
        super().setUp()
        answer = self.post({"events": [self.event()]}, self.bot_key)
        self.assertEqual(answer.status_code, 201, answer.text)
        self.report = self.reports()

    def call(self, user, password, model, method, *args):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, password, model, method, list(args)
        )

    def test_ingest_owned_fields_are_refused_over_rpc_with_one_line(self):
        original = self.report.read(["event_uid", "started_at", "company_id"])[0]
        for vals in (
            {"event_uid": "00000000-0000-4000-8000-000000000001"},
            {"clear_uid": "00000000-0000-4000-8000-000000000002"},
            {"company_id": self.other_company.id},
            {"started_at": "2020-01-01 00:00:00"},
            {"cleared_at": "2026-02-23 21:00:00", "description": "made up"},
        ):
            for user, password in (
                (self.mona, "scada-guard-mona-1"),
                (self.manager, "scada_manager-pass-1"),
            ):
                with self.subTest(vals=vals, user=user.login):
                    with self.assertRaises(xmlrpc.client.Fault) as caught:
                        self.call(user, password, REPORT, "write", [self.report.id], vals)
                    message = caught.exception.faultString
                    self.assertIn("use Resolve to end a failure", message)
                    self.assertIn(sorted(vals)[0], message)
        self.env.invalidate_all()
        self.assertEqual(self.report.read(["event_uid", "started_at", "company_id"])[0], original)
        self.assertEqual(self.report.state, "active")

    def test_resolve_and_the_editable_fields_still_work_over_rpc(self):
        login = (self.mona, "scada-guard-mona-1")
        self.call(*login, REPORT, "write", [self.report.id], {"equipment_id": self.hopper.id})
        wizard = self.call(
            *login,
            "scada.failure.resolve",
            "create",
            {
                "failure_ids": [(6, 0, [self.report.id])],
                "cleared_at": "2026-02-23 21:00:00",
                "note": "Belt replaced",
            },
        )
        self.call(*login, "scada.failure.resolve", "action_resolve", [wizard])
        self.env.invalidate_all()
        self.assertEqual(self.report.equipment_id, self.hopper)
        self.assertEqual(
            (self.report.state, self.report.cleared_by, self.report.resolve_note),
            ("cleared", self.mona, "Belt replaced"),
        )
