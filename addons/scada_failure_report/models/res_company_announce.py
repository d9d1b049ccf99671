# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Where and when SCADA failures are announced in Discuss (Settings > SCADA)."""

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    scada_announce_channel_id = fields.Many2one(
        "discuss.channel",
        string="SCADA Announcement Channel",
        help="Discuss channel told of every new critical failure, and of every failure "
        "active for longer than the set time. Empty: no announcement.",
    )
    scada_announce_after_minutes = fields.Integer(
        string="Announce Failures Active For (min)",
        default=60,
        help="A failure still active this many minutes after it started is announced "
        "once in the channel. 0: never.",
    )
