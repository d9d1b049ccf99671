# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ScadaCase


@tagged("post_install", "-at_install")
class TestSecurity(ScadaCase):
    def setUp(self):
        super().setUp()
        self.raise_event = self.insert(self.raised(0))[0]
        self.source._pull()
        self.failure = self.report(self.raise_event)

    def test_user_reads_but_cannot_write(self):
        failure = self.failure.with_user(self.user)
        self.assertEqual(failure.equipment_code, "silo101")
        self.assertEqual(self.source.with_user(self.user).name, "Plant 1")
        self.assertTrue(self.env["scada.sync.log"].with_user(self.user).search([]))
        with self.assertRaises(AccessError):
            failure.write({"equipment_id": False})
        with self.assertRaises(AccessError):
            self.source.with_user(self.user).write({"batch_size": 10})
        with self.assertRaises(AccessError):
            self.source.with_user(self.user).action_pull()
        with self.assertRaises(UserError):
            failure.action_acknowledge()
        self.assertFalse(self.failure.acknowledged_at)

    def test_user_cannot_read_the_connection(self):
        source = self.source.with_user(self.user)
        with self.assertRaises(AccessError):
            source.read(["connection_uri"])
        self.assertNotIn("connection_uri", source.fields_get())
        self.assertNotIn("connection_uri", source.read()[0], "read() of all fields leaves it out")
        with self.assertRaises(AccessError):
            source.write({"connection_uri": "postgresql://evil@127.0.0.1/scada"})

    def test_manager_configures_pulls_and_acknowledges(self):
        source = self.source.with_user(self.manager)
        self.assertEqual(source.read(["connection_uri"])[0]["connection_uri"], self.scada_uri)
        source.write({"batch_size": 500})
        self.insert(self.raised(5))
        action = source.action_pull()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["results"][0]["created"], 1)

        failure = self.failure.with_user(self.manager)
        failure.action_acknowledge()
        self.assertEqual(failure.acknowledged_by, self.manager)
        self.assertTrue(failure.acknowledged_at)
        self.assertIn("acknowledged", failure.message_ids[:1].body)

    def test_outsider_sees_nothing(self):
        for model in (
            "scada.failure.report",
            "scada.source",
            "scada.sync.log",
            "scada.pending.clear",
            "scada.rejected.row",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.outsider).search([])

    def test_other_company_is_invisible(self):
        other = self.env["res.company"].create({"name": "Plant B Ltd"})
        self.source.company_id = other
        self.failure.company_id = other
        self.assertFalse(self.Report.with_user(self.manager).search([]))
        self.assertFalse(self.Source.with_user(self.manager).search([]))
        self.assertFalse(self.env["scada.sync.log"].with_user(self.manager).search([]))

    def test_integration_user_ingests_through_the_module_only(self):
        bot = new_test_user(
            self.env,
            login="scada_bot_t",
            groups="base.group_user,scada_failure_report.group_scada_integration",
        )
        raise_event = self.raised(10)
        orphan = self.cleared(self.raised(11), 20)
        events = [
            {**vars(e), "occurred_at": e.occurred_at}
            for e in (raise_event, self.cleared(raise_event, 15), orphan)
        ]
        # Its own rights cannot store an event: only the module's push entry can.
        with self.assertRaises(AccessError):
            self.Report.with_user(bot)._ingest_events(events, "push")
        results = self.env["scada.api"].with_user(bot)._ingest_push(events)
        self.assertEqual([r["result"] for r in results], ["created", "cleared", "pending"])
        report = self.report(raise_event)
        self.assertEqual(
            (report.origin, report.state, report.equipment_id), ("push", "cleared", self.silo)
        )
        self.assertEqual(report.create_uid, bot, "created as the API user, not as superuser")
        pending = self.env["scada.pending.clear"].search([("event_uid", "=", orphan.event_uid)])
        for record in (report.with_user(bot), pending.with_user(bot)):
            with self.subTest(model=record._name):
                self.assertTrue(record.read(["event_uid"]))
                with self.assertRaises(AccessError):
                    record.write({"event_uid": "0" * 36})
                with self.assertRaises(AccessError):
                    record.unlink()
        with self.assertRaises(AccessError):
            self.Report.with_user(bot).create(
                {
                    "event_uid": "x",
                    "equipment_code": "x",
                    "started_at": "2026-01-01",
                    "origin": "push",
                }
            )
        # A user outside the group is refused by the push entry itself.
        with self.assertRaises(AccessError):
            self.env["scada.api"].with_user(self.user)._ingest_push(events)
        # It may list sources (the status endpoint reports them), never their connection.
        with self.assertRaises(AccessError):
            self.source.with_user(bot).read(["connection_uri"])
        with self.assertRaises(AccessError):
            self.source.with_user(bot).write({"cursor": False})
        with self.assertRaises(AccessError):
            self.env["scada.sync.log"].with_user(bot).search([])

    def test_views_open_for_a_user_without_the_connection(self):
        views = {
            "scada.failure.report": ["list", "form", "search", "pivot", "graph"],
            "scada.source": ["list", "form", "search"],
            "scada.sync.log": ["list", "form", "search"],
            "scada.pending.clear": ["list", "search"],
        }
        for model, kinds in views.items():
            with self.subTest(model=model):
                result = self.env[model].with_user(self.user).get_views([(False, k) for k in kinds])
                self.assertEqual(set(result["views"]), set(kinds))
                for view in result["views"].values():
                    self.assertNotIn("connection_uri", view["arch"])
                    self.assertNotIn("action_pull", view["arch"])
        manager_form = self.Source.with_user(self.manager).get_views([(False, "form")])
        self.assertIn('name="connection_uri"', manager_form["views"]["form"]["arch"])
        self.assertIn('name="action_pull"', manager_form["views"]["form"]["arch"])

    def test_equipment_form_shows_scada_failures_to_scada_users_only(self):
        equipment = self.env["maintenance.equipment"]
        outsider_arch = equipment.with_user(self.outsider).get_views([(False, "form")])
        user_arch = equipment.with_user(self.user).get_views([(False, "form")])
        self.assertNotIn("scada_failure_count", outsider_arch["views"]["form"]["arch"])
        self.assertIn('name="scada_failure_count"', user_arch["views"]["form"]["arch"])
        self.assertIn('name="scada_code"', outsider_arch["views"]["form"]["arch"])
