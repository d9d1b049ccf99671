# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from odoo import fields, models


class ScadaPendingClear(models.Model):
    """A 'cleared' event that arrived before the raise it ends.

    Kept until its raise arrives (another batch, another source, the push
    API), then applied to the new failure and kept as 'applied' for audit:
    nothing is deleted, so the push API's users need no unlink right.
    """

    _name = "scada.pending.clear"
    _description = "SCADA Clear Waiting For Its Raise"
    _order = "occurred_at desc, id desc"
    _rec_name = "event_uid"

    event_uid = fields.Char(string="Event UID", required=True, readonly=True, index=True)
    raise_uid = fields.Char(string="Raise UID", required=True, readonly=True, index=True)
    equipment_code = fields.Char(readonly=True)
    occurred_at = fields.Datetime(required=True, readonly=True)
    device = fields.Char(readonly=True)
    origin = fields.Selection([("pull", "Pull"), ("push", "Push")], required=True, readonly=True)
    source_id = fields.Many2one("scada.source", readonly=True, ondelete="set null")
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [("pending", "Waiting for its raise"), ("applied", "Applied")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    report_id = fields.Many2one(
        "scada.failure.report", string="Failure", readonly=True, ondelete="set null"
    )

    _sql_constraints = [
        ("event_uid_uniq", "unique(event_uid)", "This clear event is already recorded."),
    ]
