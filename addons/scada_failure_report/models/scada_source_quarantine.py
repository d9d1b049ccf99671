# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What a source's quarantine holds: the count on its form and in the doctor's status."""

from typing import Any

from odoo import api, fields, models


class ScadaSource(models.Model):
    _inherit = "scada.source"

    rejected_row_ids = fields.One2many("scada.rejected.row", "source_id")
    quarantine_count = fields.Integer(
        string="In Quarantine",
        compute="_compute_quarantine_count",
        help="Rejected rows of this source waiting for a person: fix them in the SCADA "
        "database and Retry, or Dismiss them.",
    )

    @api.depends("rejected_row_ids.state")
    def _compute_quarantine_count(self) -> None:
        # sudo(): a number, shown wherever the source is (its form, the doctor's status
        # read by the integration user); the rows stay behind their own access rights.
        counts = dict(
            self.env["scada.rejected.row"]
            .sudo()
            ._read_group(
                [("source_id", "in", self.ids), ("state", "=", "waiting")],
                ["source_id"],
                ["__count"],
            )
        )
        for source in self:
            source.quarantine_count = counts.get(source, 0)

    def action_view_quarantine(self) -> dict[str, Any]:
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_rejected_row_action"
        )
        action["domain"] = [("source_id", "=", self.id)]
        return action

    def _source_status_json(self) -> dict[str, Any]:
        return {**super()._source_status_json(), "quarantined": self.quarantine_count}
