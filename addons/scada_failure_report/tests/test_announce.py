# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Critical failures announced in a Discuss channel: once per failure, none on replay."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from odoo.tests import tagged

from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 30, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestAnnounce(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.channel = self.env["discuss.channel"].create({"name": "maintenance-shift"})
        self.company.write(
            {"scada_announce_channel_id": self.channel.id, "scada_announce_after_minutes": 60}
        )

    def messages(self):
        self.env.invalidate_all()
        return self.channel.message_ids.filtered(lambda m: m.message_type == "comment")

    @freeze_time(NOW)
    def test_one_message_per_new_critical_failure_with_a_link(self):
        jam = self.event(NOW, severity="critical", failure_code="JAM", description="Auger jammed")
        self.push(jam, self.event(NOW, code="hopper7", severity="high"))
        [message] = self.messages()
        failure = self.failure(jam)
        self.assertIn("Critical failure on Silo 101: JAM Auger jammed", message.body)
        self.assertIn(f'href="/odoo/scada.failure.report/{failure.id}"', message.body)
        self.assertEqual(message.author_id, self.env.ref("base.partner_root"))
        self.assertTrue(failure.announced_at)

    @freeze_time(NOW)
    def test_a_replayed_batch_announces_nothing_again(self):
        self.insert(self.raised(0, severity="critical"), self.raised(1, severity="critical"))
        self.source._pull()
        self.assertEqual(len(self.messages()), 2, "two failures, two messages")
        self.source.cursor = False  # the whole table pulled again
        result = self.source._pull()
        self.assertEqual(result["duplicate"], 2)
        self.assertEqual(len(self.messages()), 2)

    @freeze_time(NOW)
    def test_a_critical_failure_already_cleared_when_stored_is_no_news(self):
        raised = self.event(NOW - timedelta(hours=1), severity="critical")
        self.push(raised, self.clear_of(raised, NOW - timedelta(minutes=50)))
        self.assertFalse(self.messages())

    def test_no_channel_no_message(self):
        self.company.scada_announce_channel_id = False
        self.push(self.event(NOW, severity="critical"))
        self.assertFalse(self.messages())
        self.assertFalse(
            self.env["mail.message"].search(
                [("model", "=", "discuss.channel"), ("body", "ilike", "scada.failure.report/")]
            )
        )

    def test_a_failure_active_too_long_is_announced_once_by_the_cron(self):
        with freeze_time(NOW):
            long_one = self.event(NOW, severity="low", failure_code="LEAK")
            short_one = self.event(NOW, code="hopper7", severity="low")
            self.push(long_one, short_one)
            self.push(self.clear_of(short_one, NOW + timedelta(minutes=10)))
        Report = self.env["scada.failure.report"]
        with freeze_time(NOW + timedelta(minutes=59)):
            Report._cron_announce_long_active()
        self.assertFalse(self.messages(), "not yet an hour")
        with freeze_time(NOW + timedelta(minutes=72)):
            Report._cron_announce_long_active()
            Report._cron_announce_long_active()
        [message] = self.messages()
        self.assertIn("Silo 101 is still down after 1 h 12 min: LEAK", message.body)
        self.assertTrue(self.failure(long_one).long_announced_at)
