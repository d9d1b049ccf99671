# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``scada-bridge doctor``'s Odoo rows (``scada_bridge.doctor.odoo``) against the real route.

The bridge tier tests the doctor against a stand-in server answering the same
shape; this test is what keeps that shape honest: the real ``/api/scada/status``
of the installed module, read by the doctor's own code over real HTTP.
"""

from datetime import datetime, timedelta, timezone

from odoo.tests import tagged
from scada_bridge import Cursor
from scada_bridge.doctor.odoo import odoo_checks

from .api_common import ScadaApiCase

CRON = "scada_failure_report.ir_cron_scada_pull"


@tagged("post_install", "-at_install")
class TestApiDoctor(ScadaApiCase):
    def rows(self, key):
        self.env.flush_all()  # the server thread reads through the test cursor
        result = odoo_checks(self.base_url(), key, timeout=30)
        return result, {check.name: check for check in result.checks}

    def test_every_odoo_row_reads_the_real_status(self):
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        self.env.ref(CRON).sudo().write(
            {"active": True, "lastcall": now - timedelta(seconds=30), "nextcall": now}
        )
        self.env["scada.source"].create(
            {
                "name": "Doctor plant",
                "connection_uri": "postgresql://reader@127.0.0.1:1/scada",
                "cursor": "12:34",
            }
        )
        result, rows = self.rows(self.bot_key)
        failed = [c.line() for c in result.checks if not c.ok and not c.skipped]
        # A source that never pulled is not an error; nothing else may be either.
        self.assertEqual(failed, [])
        self.assertIn("'scada_bot'", rows["API key"].detail)
        self.assertIn("scada_failure_report 18.0.", rows["module"].detail)
        self.assertIn("every 1 minute, last run", rows["scheduled pull"].detail)
        self.assertIn("0 failure(s) in a row", rows["scheduled pull"].detail)
        source = rows["source 'Doctor plant'"]
        self.assertEqual(source.detail, "state never, no successful pull yet, cursor 12:34")
        self.assertEqual(result.cursor, Cursor(12, 34))
        self.assertEqual(result.cursor_source, "Doctor plant")

    def test_refusals_are_rows_with_the_fix(self):
        _result, rows = self.rows("0" * 40)
        self.assertFalse(rows["API key"].ok)
        self.assertIn("401", rows["API key"].detail)
        _result, rows = self.rows(self.reader_key)  # SCADA user: may not read the status
        self.assertFalse(rows["API key"].ok)
        self.assertIn("403", rows["API key"].detail)
        self.assertIn("SCADA Integration", rows["API key"].fix)

    def test_plant_time_zone_row_warns_when_utc_while_users_are_elsewhere(self):
        self.env.ref("base.user_admin").tz = "Asia/Jakarta"
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("scada_failure_report.plant_tz", "UTC")
        _result, rows = self.rows(self.bot_key)
        row = rows["plant time zone"]
        self.assertFalse(row.ok)
        self.assertIn("UTC while", row.detail)
        self.assertIn("Asia/Jakarta", row.detail)
        self.assertIn("Settings > SCADA > Plant time zone", row.fix)
        # Unset, it is the administrator's zone: nothing to warn about.
        Param.set_param("scada_failure_report.plant_tz", False)
        _result, rows = self.rows(self.bot_key)
        self.assertTrue(rows["plant time zone"].ok)
        self.assertEqual(
            rows["plant time zone"].detail, "Asia/Jakarta (from the administrator's time zone)"
        )
