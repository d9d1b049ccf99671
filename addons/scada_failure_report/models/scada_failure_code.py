# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What a failure code means for maintenance: its name, default severity, request policy."""

from odoo import api, fields, models
from scada_bridge import SEVERITIES

SEVERITY_SELECTION = [(s, s.capitalize()) for s in SEVERITIES]
REQUEST_POLICIES = [
    ("never", "Never"),
    ("always", "Always"),
    ("severity", "At or above the company's severity"),
]


def severity_rank(severity: str | bool) -> int:
    """Position of a severity in low < medium < high < critical; -1 for none."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


class ScadaFailureCode(models.Model):
    _name = "scada.failure.code"
    _description = "SCADA Failure Code"
    _order = "code, id"
    _rec_names_search = ["code", "name"]

    code = fields.Char(
        required=True,
        index=True,
        help="The events' failure_code, as the PLC configuration writes it (e.g. START_FAILURE).",
    )
    name = fields.Char(
        translate=True, help="What the code means, in words a technician understands."
    )
    severity = fields.Selection(
        SEVERITY_SELECTION,
        help="Severity given to a failure of this code when its event carries none.",
    )
    request_policy = fields.Selection(
        REQUEST_POLICIES,
        default="severity",
        required=True,
        help="When a raised failure of this code opens a corrective maintenance request: "
        "never, always, or when its severity is at or above the company's setting "
        "(Settings > SCADA).",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    failure_count = fields.Integer(compute="_compute_failure_count")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "This failure code already exists in this company.",
        ),
    ]

    @api.depends("code", "name")
    def _compute_display_name(self) -> None:
        for code in self:
            code.display_name = (
                f"{code.code} - {code.name}" if code.name and code.name != code.code else code.code
            )

    def _compute_failure_count(self) -> None:
        counts = dict(
            self.env["scada.failure.report"]._read_group(
                [("failure_code_id", "in", self.ids)], ["failure_code_id"], ["__count"]
            )
        )
        for code in self:
            code.failure_count = counts.get(code, 0)

    def action_view_failures(self) -> dict:
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_failure_report_action"
        )
        action["domain"] = [("failure_code_id", "=", self.id)]
        return action

    def _wants_request(self, severity: str | bool, company) -> bool:
        """Whether a raised failure of this code and severity opens a corrective request."""
        self.ensure_one()
        if self.request_policy == "always":
            return True
        if self.request_policy == "never":
            return False
        threshold = company.scada_request_min_severity or "high"
        return severity_rank(severity) >= severity_rank(threshold)
