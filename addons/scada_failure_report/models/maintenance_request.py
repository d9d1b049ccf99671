# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Corrective requests opened by SCADA failures: their failures, and their end."""

from datetime import datetime, time

from odoo import api, fields, models


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    scada_request = fields.Boolean(
        string="Opened by SCADA", readonly=True, copy=False, help="Opened by a SCADA failure."
    )
    scada_failure_code_id = fields.Many2one(
        "scada.failure.code", string="SCADA Failure Code", readonly=True, copy=False
    )
    scada_failure_ids = fields.One2many(
        "scada.failure.report", "maintenance_request_id", string="SCADA Failures"
    )
    scada_failure_count = fields.Integer(
        compute="_compute_scada_failure_count", groups="scada_failure_report.group_scada_user"
    )
    scada_open_key = fields.Char(
        compute="_compute_scada_open_key",
        store=True,
        copy=False,
        help="Equipment and failure code of an open SCADA request: unique, so two "
        "transactions can never both open one for the same failure.",
    )

    _sql_constraints = [
        (
            "scada_open_key_uniq",
            "unique(scada_open_key)",
            "This equipment already has an open request for this SCADA failure code.",
        ),
    ]

    @api.model
    def _scada_key(self, equipment, code) -> str:
        return f"{equipment.id}-{code.id or 0}"

    @api.depends(
        "scada_request", "equipment_id", "scada_failure_code_id", "stage_id.done", "archive"
    )
    def _compute_scada_open_key(self) -> None:
        for request in self:
            is_open = not request.stage_id.done and not request.archive
            request.scada_open_key = (
                self._scada_key(request.equipment_id, request.scada_failure_code_id)
                if request.scada_request and request.equipment_id and is_open
                else False
            )

    def _compute_scada_failure_count(self) -> None:
        counts = dict(
            self.env["scada.failure.report"]._read_group(
                [("maintenance_request_id", "in", self.ids)],
                ["maintenance_request_id"],
                ["__count"],
            )
        )
        for request in self:
            request.scada_failure_count = counts.get(request, 0)

    def write(self, vals):
        result = super().write(vals)
        if "stage_id" in vals:
            self.filtered(
                lambda r: r.stage_id.done and r.company_id.scada_clear_on_request_done
            )._scada_end_failures()
        return result

    def action_view_scada_failures(self) -> dict:
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_failure_report_action"
        )
        action["domain"] = [("maintenance_request_id", "=", self.id)]
        action["context"] = {"default_equipment_id": self.equipment_id.id}
        return action

    def _scada_end_failures(self) -> None:
        """End the request's open failures that no PLC will clear, at its close date.

        sudo(): whoever may move a request to done ends its failures with it
        (the company's opt-in setting), without write rights on failures.
        """
        now = fields.Datetime.now()
        for request in self:
            failures = request.sudo().scada_failure_ids.filtered(
                lambda f: f.state == "active" and f._ends_without_plc()
            )
            if not failures:
                continue
            close = request.close_date or now.date()
            end = now if close >= now.date() else datetime.combine(close, time(23, 59, 59))
            note = self.env._("Ended with maintenance request %s.", request.display_name)
            for failure in failures:
                failure.write(
                    {
                        "cleared_at": max(end, failure.started_at),
                        "cleared_by": self.env.uid,
                        "resolve_note": note,
                    }
                )
                failure.message_post(body=note, subtype_xmlid="mail.mt_note")
