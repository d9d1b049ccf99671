# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A maintenance manager walks the module in a real browser (headless Chromium).

The tour is ``static/src/js/scada_maintenance_tour.js``; the data it walks
through is made here: a failure pulled from a real SCADA database, PLC rows
written there the poller's way, and a second source whose database is down.
"""

import socket
from datetime import datetime, timedelta, timezone

from odoo.tests import HttpCase, new_test_user, tagged
from scada_bridge.store.plc_status import UNREACHABLE, PlcStatus, write_status

from .common import T0, ScadaCase

#: Wall-clock bound of the whole walk; each step waits up to 60 s on its own.
TOUR_TIMEOUT = 900


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestMaintenanceTour(HttpCase, ScadaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maintenance_manager = new_test_user(
            cls.env,
            login="mia_maintenance",
            password="mia-maintenance-1",
            name="Mia Maintenance",
            # Maintenance manager who reads SCADA: no SCADA manager rights needed.
            groups="base.group_user,maintenance.group_equipment_manager,"
            "scada_failure_report.group_scada_user",
            tz="UTC",
        )
        cls.env["scada.failure.code"].create(
            {"code": "JAM", "name": "Conveyor jam", "request_policy": "always"}
        )

    def setUp(self):
        super().setUp()
        # Two hours ago, so it falls in the equipment's 30-day reliability window.
        now = datetime.now(timezone.utc)
        self.insert(self.raised((now - T0).total_seconds() / 60 - 120))
        self.assertFalse(self.source.action_pull()["results"][0]["error"])
        # A polling interval of one hour: line1 and line2 (polled now) are
        # current however slow this machine is; line3 (a day ago) is stale.
        self.env["ir.config_parameter"].set_param(
            "scada_failure_report.plc_status_interval", "3600"
        )
        line1 = PlcStatus("line1", "127.0.0.1", 5020)
        line1.success()
        line2 = PlcStatus("line2", "127.0.0.1", 5021)
        for _ in range(7):
            line2.failure(UNREACHABLE, "nothing listens at 127.0.0.1:5021: check the PLC is on")
        line3 = PlcStatus("line3", "127.0.0.1", 5022)
        line3.success()
        line3.last_poll_at = line3.last_success_at = now - timedelta(days=1)
        with self.scada.cursor() as cur:
            cur.execute("TRUNCATE scada.plc_status")
        write_status(self.scada, [line1, line2, line3])
        self.scada.commit()
        self.Source.create(
            {
                "name": "Plant down",
                "connection_uri": f"postgresql://scada@127.0.0.1:{closed_port()}/s",
            }
        )

    def test_maintenance_manager_walks_failure_request_resolve_reliability_plcs(self):
        self.start_tour(
            "/odoo",
            "scada_failure_report_maintenance_tour",
            login="mia_maintenance",
            timeout=TOUR_TIMEOUT,
        )
        # What the clicks did, as Odoo stored it.
        self.env.invalidate_all()
        failure = self.Report.search(
            [("description", "=", "Conveyor belt jammed at the discharge")]
        )
        mia = self.maintenance_manager
        self.assertEqual(
            (failure.origin, failure.state, failure.reported_by, failure.cleared_by),
            ("manual", "cleared", mia, mia),
        )
        self.assertIn("Belt realigned", failure.resolve_note)
        request = failure.maintenance_request_id
        self.assertEqual(
            (request.maintenance_type, request.equipment_id), ("corrective", self.silo)
        )
