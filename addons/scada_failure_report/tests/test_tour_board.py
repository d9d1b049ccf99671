# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The plant board and the quarantine in a real browser (headless Chromium).

The tours are ``static/src/js/scada_plant_board_tour.js``. Odoo's test server
refuses websockets and its test cursor drops the bus's after-commit wake-up;
as Odoo's own ``WebsocketCase`` does, the board test allows the websocket and
wakes the subscribed websockets once the board's bus message is written.
"""

from unittest.mock import patch

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.websocket import WebsocketConnectionHandler
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ScadaCase
from .test_tour import TOUR_TIMEOUT

BAD_UID = "00000000-0000-4000-8000-0000000000c1"


@tagged("post_install", "-at_install")
class TestBoardTours(HttpCase, ScadaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shift = new_test_user(
            cls.env,
            login="sam_shift",
            password="sam-shift-1",
            name="Sam Shift",
            groups="base.group_user,maintenance.group_equipment_manager,"
            "scada_failure_report.group_scada_manager",
            tz="UTC",
        )
        # Under a team: the board groups by team and folds the "no team" column.
        cls.silo.maintenance_team_id = cls.env["maintenance.team"].create({"name": "Line 1 crew"})
        cls.env["scada.failure.code"].create(
            {"code": "JAM", "name": "Conveyor jam", "request_policy": "never"}
        )

    def wake_board_websockets(self):
        """Wrap the board's bus send: wake the websockets once the message is written."""
        Report = self.registry["scada.failure.report"]
        original = Report._board_send
        group = self.env.ref("scada_failure_report.group_scada_user")
        channel = hashable(channel_with_db(self.registry.db_name, group))

        def board_send(report):
            original(report)

            def wake():
                for websocket in dispatch._channels_to_ws.get(channel, ()):
                    websocket.trigger_notification_dispatching()

            # After bus.bus's own hook has written the message (hooks run in order).
            report.env.cr.precommit.add(wake)

        self.patch(Report, "_board_send", board_send)
        self.patch(WebsocketConnectionHandler, "websocket_allowed", lambda *args: True)

    def test_board_turns_red_then_green_without_reload(self):
        self.wake_board_websockets()
        raised = self.raised(0, failure_code="JAM", severity="critical")
        waiting = [[raised], [self.cleared(raised, 10)]]
        Source = self.registry["scada.source"]
        original_pull = Source.action_pull

        def action_pull(sources):
            # The PLC's next event reaches the SCADA database just before the pull.
            if waiting:
                self.insert(*waiting.pop(0))
            return original_pull(sources)

        with patch.object(Source, "action_pull", action_pull):
            self.start_tour(
                "/odoo/action-scada_failure_report.maintenance_equipment_plant_board_action",
                "scada_failure_report_plant_board_tour",
                login="sam_shift",
                timeout=TOUR_TIMEOUT,
            )
        self.assertFalse(waiting, "both pulls ran")
        failure = self.report(raised)
        self.assertEqual((failure.state, failure.equipment_id), ("cleared", self.silo))

    def test_a_quarantined_row_fixed_in_scada_is_retried_from_the_list(self):
        self.insert_raw(event_uid=BAD_UID, severity="apocalyptic", failure_code="JAM")
        self.assertEqual(self.source._pull()["rejected"], 1)
        with self.scada.cursor() as cur:
            cur.execute(
                "UPDATE scada.equipment_failure SET severity = 'critical' WHERE event_uid = %s",
                [BAD_UID],
            )
        self.scada.commit()
        self.start_tour(
            "/odoo",
            "scada_failure_report_quarantine_tour",
            login="sam_shift",
            timeout=TOUR_TIMEOUT,
        )
        self.env.invalidate_all()
        failures = self.Report.search([("event_uid", "=", BAD_UID)])
        self.assertEqual(len(failures), 1)
        self.assertEqual(failures.severity, "critical")
