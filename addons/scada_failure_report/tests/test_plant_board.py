# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The plant board: each card's state from the active failures, one bus message per change."""

import json
from datetime import datetime, timedelta

from freezegun import freeze_time
from odoo.tests import tagged

from ..models.scada_failure_report_board import BOARD_NOTIFICATION
from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 30, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestPlantBoard(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.Code.create({"code": "JAM", "request_policy": "always"})
        self.Code.create({"code": "START_FAILURE", "request_policy": "never"})
        self.env.cr.precommit.run()  # what setUp itself sent
        self.env["bus.bus"].search([]).unlink()

    def board(self, equipment):
        equipment = equipment.with_user(self.user)
        equipment.invalidate_recordset()
        return equipment

    def board_messages(self):
        """What the bus would send at commit (the precommit hooks run as at a commit)."""
        self.env.cr.precommit.run()
        group = self.env.ref("scada_failure_report.group_scada_user")
        found = []
        for line in self.env["bus.bus"].search([], order="id"):
            message = json.loads(line.message)
            if message["type"] == BOARD_NOTIFICATION:
                channel = json.loads(line.channel)
                self.assertEqual(channel[1:], ["res.groups", group.id], "to SCADA users only")
                found.append(message["payload"])
        return found

    @freeze_time(NOW)
    def test_cards_turn_red_orange_and_green_with_the_active_failures(self):
        self.assertEqual(self.board(self.silo).scada_board_state, "ok")
        jam = self.event(NOW - timedelta(minutes=72), failure_code="JAM", severity="critical")
        minor = self.event(NOW - timedelta(minutes=5), failure_code="START_FAILURE", severity="low")
        self.push(jam, minor, self.event(NOW, code="hopper7", severity="medium"))

        silo = self.board(self.silo)
        self.assertEqual(silo.scada_board_state, "down")
        self.assertEqual(silo.scada_active_failure_count, 2)
        self.assertEqual(
            (silo.scada_active_code, silo.scada_active_description),
            ("JAM", "Motor did not start"),
        )
        self.assertEqual(silo.scada_down_since, NOW - timedelta(minutes=72))
        request = self.failure(jam).maintenance_request_id
        self.assertTrue(request)
        self.assertEqual(silo.scada_open_request_name, request.display_name)
        self.assertEqual(silo.scada_request_user_id, request.user_id)
        self.assertEqual(self.board(self.hopper).scada_board_state, "warning")

        self.push(self.clear_of(jam, NOW))
        silo = self.board(self.silo)
        self.assertEqual(
            (silo.scada_board_state, silo.scada_active_code), ("warning", "START_FAILURE")
        )
        self.push(self.clear_of(minor, NOW))
        silo = self.board(self.silo)
        self.assertEqual((silo.scada_board_state, silo.scada_down_since), ("ok", False))

    def test_one_bus_message_per_transaction_none_on_replay(self):
        self.insert(
            self.raised(0, severity="critical"),
            self.raised(1, code="hopper7"),
            self.raised(2, severity="low"),
        )
        self.source._pull()
        self.assertEqual(
            self.board_messages(), [{"equipment_ids": sorted((self.silo | self.hopper).ids)}]
        )
        self.env["bus.bus"].search([]).unlink()
        self.source.cursor = False
        self.assertEqual(self.source._pull()["duplicate"], 3)
        self.assertEqual(self.board_messages(), [], "a replay changes no card")

    def test_a_clear_moves_the_card_too(self):
        [raised] = self.insert(self.raised(0))
        self.source._pull()
        self.board_messages()
        self.env["bus.bus"].search([]).unlink()
        self.insert(self.cleared(raised, 10))
        self.source._pull()
        self.assertEqual(self.board_messages(), [{"equipment_ids": self.silo.ids}])

    def test_the_card_opens_the_equipments_active_failures(self):
        self.push(self.event(datetime(2026, 11, 30, 11, 0), severity="high"))
        action = self.board(self.silo).action_view_scada_active_failures()
        self.assertEqual(action["domain"], [("equipment_id", "=", self.silo.id)])
        self.assertEqual(action["context"].get("search_default_active_failures"), 1)
