# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from odoo import fields, models


class ScadaRejectedRow(models.Model):
    """A SCADA row the reader could not use: skipped, never blocking the rows behind it."""

    _name = "scada.rejected.row"
    _description = "SCADA Rejected Row"
    _order = "id desc"
    _rec_name = "reason"

    log_id = fields.Many2one(
        "scada.sync.log", string="Pull Run", required=True, readonly=True, ondelete="cascade"
    )
    source_id = fields.Many2one(related="log_id.source_id", store=True, index=True)
    company_id = fields.Many2one(related="log_id.company_id", store=True, index=True)
    row_id = fields.Integer(
        string="SCADA Row ID", readonly=True, help="id in scada.equipment_failure."
    )
    event_uid = fields.Char(string="Event UID", readonly=True)
    reason = fields.Char(readonly=True, required=True)
