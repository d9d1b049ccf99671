# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The poller's doorbell (``scada_bridge.poller.doorbell``) against the real Odoo server."""

import socket

from odoo.tests import tagged
from scada_bridge.poller.doorbell import Doorbell

from .api_common import ScadaApiCase

CRON = "scada_failure_report.ir_cron_scada_pull"


@tagged("post_install", "-at_install")
class TestApiDoorbell(ScadaApiCase):
    def triggers(self):
        self.env.invalidate_all()
        cron = self.env.ref(CRON)
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])

    def ring(self, key, url=None, **options):
        self.env.flush_all()  # the server thread reads through the test cursor
        return Doorbell(url or self.base_url(), key, **options).ring()

    def test_ring_requests_one_pull(self):
        self.env["ir.cron.trigger"].sudo().search([]).unlink()
        bell = Doorbell(self.base_url(), self.bot_key)
        self.env.flush_all()
        first = bell.ring()
        self.assertTrue(first.ok, first.message)
        self.assertIn("pull requested", first.message)
        self.assertEqual(self.triggers(), 1)
        again = bell.ring()  # within min_interval: not even sent
        self.assertTrue(again.skipped)
        eager = self.ring(self.bot_key, min_interval=0)
        self.assertTrue(eager.ok)
        self.assertIn("already requested", eager.message)
        self.assertEqual(self.triggers(), 1)

    def test_failures_say_what_to_do(self):
        refused_key = self.ring("0" * 40)
        self.assertFalse(refused_key.ok)
        self.assertIn("refused the API key (401)", refused_key.message)
        forbidden = self.ring(self.reader_key)
        self.assertIn("SCADA Integration", forbidden.message)
        missing = self.ring(self.bot_key, url=self.base_url() + "/elsewhere")
        self.assertIn("(404)", missing.message)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        down = self.ring(self.bot_key, url=f"http://127.0.0.1:{port}")
        self.assertFalse(down.ok)
        self.assertIn("connection refused", down.message)
        self.assertNotIn(self.bot_key, repr(Doorbell(self.base_url(), self.bot_key)))
