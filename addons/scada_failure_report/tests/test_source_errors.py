# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
import socket
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from odoo.tests import tagged

from .common import ScadaCase, server_dsn


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestSourceErrors(ScadaCase):
    def setUp(self):
        super().setUp()
        self.down_uri = f"postgresql://scada@127.0.0.1:{closed_port()}/scada"
        self.cron = self.env.ref("scada_failure_report.ir_cron_scada_pull")

    def alerts(self, source):
        return source.message_ids.filtered(lambda m: "Failures are not reaching Odoo" in m.body)

    def test_database_down_sets_error_and_cron_does_not_raise(self):
        self.source.connection_uri = self.down_uri

        self.Source._cron_pull()  # must not raise: Odoo would count a failed run

        self.assertEqual(self.source.state, "error")
        self.assertIn("connection refused at 127.0.0.1:", self.source.last_error)
        self.assertIn("check the server is running", self.source.last_error)
        self.assertEqual(len(self.source.last_error.splitlines()), 1)
        log = self.source.sync_log_ids[:1]
        self.assertEqual((log.state, log.error), ("error", self.source.last_error))
        self.assertTrue(self.cron.active)

    def test_scheduled_action_runs_the_pull_and_survives_a_dead_database(self):
        self.insert(self.raised(0))
        self.cron.method_direct_trigger()  # the server action Odoo's cron worker runs
        self.assertEqual((self.source.state, self.source.failure_count), ("ok", 1))

        self.source.connection_uri = self.down_uri
        self.cron.method_direct_trigger()
        self.assertEqual(self.source.state, "error")
        self.assertTrue(self.cron.active)

    def test_each_misconfiguration_gets_its_own_message(self):
        cases = {
            server_dsn("scada_no_such_db_4e1d"): "does not exist",
            server_dsn("postgres"): "schema 'scada' is missing",
            f"{self.scada_uri} user=scada_no_such_role_4e1d": "refused user",
            "not a uri at all": "not valid",
        }
        for uri, expected in cases.items():
            with self.subTest(uri=uri):
                self.source.connection_uri = uri
                result = self.source._pull()
                self.assertIn(expected, result["error"])
                self.assertEqual(self.source.state, "error")
                notification = self.source.action_test_connection()
                self.assertEqual(notification["params"]["type"], "danger")
                self.assertIn(expected, notification["params"]["message"])

    def test_test_connection_reports_the_backlog(self):
        self.insert(self.raised(0), self.raised(1))
        notification = self.source.action_test_connection()
        self.assertEqual(notification["params"]["type"], "success")
        self.assertIn("2 event(s) pending", notification["params"]["message"])
        self.assertEqual(self.source.backlog, 2)

    def test_persistent_failure_alerts_managers_once_then_recovers(self):
        self.source.connection_uri = self.down_uri
        start = datetime(2026, 11, 29, 6, 0, 0)
        with freeze_time(start):
            self.Source._cron_pull()
        with freeze_time(start + timedelta(minutes=29)):
            self.Source._cron_pull()
        self.assertFalse(self.alerts(self.source), "30 minutes have not passed yet")
        for minute in (30, 31, 45, 120):
            with freeze_time(start + timedelta(minutes=minute)):
                self.Source._cron_pull()
        alerts = self.alerts(self.source)
        self.assertEqual(len(alerts), 1, "one message, not one per minute")
        self.assertIn(self.manager.partner_id, alerts.partner_ids)
        self.assertNotIn(self.user.partner_id, alerts.partner_ids)
        self.assertEqual(self.source.error_since, start)

        self.source.connection_uri = self.scada_uri
        with freeze_time(start + timedelta(minutes=121)):
            self.Source._cron_pull()
        self.assertEqual(self.source.state, "ok")
        self.assertFalse(self.source.last_error or self.source.error_since)
        self.assertTrue(self.source.message_ids.filtered(lambda m: "works again" in (m.body or "")))

    def test_alert_delay_is_a_system_parameter(self):
        self.env["ir.config_parameter"].set_param("scada_failure_report.error_alert_minutes", "5")
        self.source.connection_uri = self.down_uri
        start = datetime(2026, 11, 29, 6, 0, 0)
        with freeze_time(start):
            self.Source._cron_pull()
        with freeze_time(start + timedelta(minutes=5)):
            self.Source._cron_pull()
        self.assertEqual(len(self.alerts(self.source)), 1)

    def test_a_crash_in_one_source_does_not_fail_the_cron_nor_stop_the_others(self):
        second = self.Source.create({"name": "Plant 2", "connection_uri": self.scada_uri})
        self.insert(self.raised(0))
        real_pull = type(self.Source)._pull

        def pull(source, **kwargs):
            if source == self.source:
                raise RuntimeError("bug in a pull")
            return real_pull(source, **kwargs)

        logger = "odoo.addons.scada_failure_report.models.scada_source"
        with (
            patch.object(type(self.Source), "_pull", pull),
            self.assertLogs(logger, "ERROR") as logs,
        ):
            self.Source._cron_pull()

        self.assertIn("SCADA pull of source Plant 1 crashed", logs.output[0])

        self.assertEqual(self.source.state, "error")
        self.assertIn("pull crashed: bug in a pull", self.source.last_error)
        self.assertEqual((second.state, second.failure_count), ("ok", 1))
