# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Per-company SCADA maintenance settings (shown in Settings > SCADA)."""

from odoo import fields, models

from .scada_failure_code import SEVERITY_SELECTION


class ResCompany(models.Model):
    _inherit = "res.company"

    scada_request_min_severity = fields.Selection(
        SEVERITY_SELECTION,
        string="SCADA Request Severity",
        default="high",
        help="Failure codes with the policy 'at or above the company's severity' open a "
        "corrective request for failures of this severity or worse.",
    )
    scada_alert_min_severity = fields.Selection(
        SEVERITY_SELECTION,
        string="SCADA Alert Severity",
        default="critical",
        help="A raised failure of this severity or worse schedules a 'SCADA failure' "
        "activity for the equipment's technician.",
    )
    scada_clear_on_request_done = fields.Boolean(
        string="End Failures With Their Request",
        help="When a corrective request reaches a done stage, its open failures that no PLC "
        "will clear (mailbox records, pushed and manual failures) end at the request's "
        "close date.",
    )
