# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Settings > SCADA: the Discuss channel failures are announced in."""

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    scada_announce_channel_id = fields.Many2one(
        related="company_id.scada_announce_channel_id", readonly=False
    )
    scada_announce_after_minutes = fields.Integer(
        related="company_id.scada_announce_after_minutes", readonly=False
    )
