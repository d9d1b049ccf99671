# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The plant board's view of an equipment: its worst active failure, since when, who is on it.

Computed when the board reads them (never stored: a failure clearing changes
them, and the board reloads on the bus message of
:mod:`.scada_failure_report_board`).
"""

from typing import Any

from odoo import fields, models

#: Worst first; a failure without severity counts as low.
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, False: 4}
#: Card colour by the worst active failure's severity.
BOARD_STATE = {"critical": "down", "high": "down", "medium": "warning", "low": "warning"}
BOARD_STATE_SELECTION = [("ok", "Running"), ("warning", "Failure"), ("down", "Down")]


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"  # pylint: disable=consider-merging-classes-inherited

    scada_board_state = fields.Selection(
        BOARD_STATE_SELECTION,
        string="SCADA State",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
        help="Down: a critical or high failure is active. Failure: a lesser one is. "
        "Running: none is.",
    )
    scada_active_failure_id = fields.Many2one(
        "scada.failure.report",
        string="Worst Active Failure",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )
    scada_active_failure_count = fields.Integer(
        string="Active Failures",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )
    scada_active_code = fields.Char(
        string="Active Failure Code",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )
    scada_active_description = fields.Char(
        string="Active Failure",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )
    scada_down_since = fields.Datetime(
        string="Down Since",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
        help="Start of the oldest active failure.",
    )
    scada_open_request_name = fields.Char(
        string="Open Request",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )
    scada_request_user_id = fields.Many2one(
        "res.users",
        string="Request Technician",
        compute="_compute_scada_board",
        groups="scada_failure_report.group_scada_user",
    )

    def _compute_scada_board(self) -> None:
        active = self.env["scada.failure.report"].search_fetch(
            [("equipment_id", "in", self.ids), ("state", "=", "active")],
            ["equipment_id", "severity", "started_at", "failure_code", "description"]
            + ["maintenance_request_id"],
            order="started_at, id",
        )
        by_equipment = active.grouped("equipment_id")
        for equipment in self:
            failures = by_equipment.get(equipment, active.browse())
            worst = min(failures, key=lambda f: SEVERITY_RANK.get(f.severity, 4), default=None)
            # sudo(): the card names the open request and its technician to SCADA
            # users who may not read maintenance requests; nothing else of it.
            request = failures.maintenance_request_id.sudo().filtered(
                lambda r: not r.stage_id.done
            )[:1]
            equipment.scada_active_failure_count = len(failures)
            equipment.scada_board_state = (
                BOARD_STATE.get(worst.severity, "warning") if worst else "ok"
            )
            equipment.scada_active_failure_id = worst
            equipment.scada_active_code = worst.failure_code if worst else False
            equipment.scada_active_description = (
                (worst.description or "").splitlines()[0][:120]
                if worst and worst.description
                else False
            )
            equipment.scada_down_since = failures[:1].started_at if failures else False
            equipment.scada_open_request_name = request.display_name if request else False
            equipment.scada_request_user_id = request.user_id.id

    def action_view_scada_active_failures(self) -> dict[str, Any]:
        """The card's click: this equipment's active failures (all of them when none is)."""
        action = self.action_view_scada_failures()
        if self.scada_active_failure_count:
            action["context"] = {**action["context"], "search_default_active_failures": 1}
        return action
