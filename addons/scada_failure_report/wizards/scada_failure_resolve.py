# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Resolve: a person ends failures no PLC clear has ended, with a time and a note.

A PLC clear arriving later still wins on time (the ingest replaces
``cleared_at``) and keeps the person and the note.
"""

from datetime import timedelta

from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

RESOLVER_GROUPS = (
    "scada_failure_report.group_scada_manager",
    "maintenance.group_equipment_manager",
)
#: Clock difference tolerated between the browser's "now" and the server's.
FUTURE_SLACK = timedelta(minutes=5)


class ScadaFailureResolve(models.TransientModel):
    _name = "scada.failure.resolve"
    _description = "Resolve SCADA failures"

    failure_ids = fields.Many2many(
        "scada.failure.report",
        string="Failures",
        required=True,
        default=lambda self: self._default_failures(),
    )
    cleared_at = fields.Datetime(
        string="Ended At", required=True, default=fields.Datetime.now, help="When it ended."
    )
    note = fields.Text(required=True, help="What was done; posted on the failure.")

    @api.model
    def _default_failures(self):
        if self.env.context.get("active_model") != "scada.failure.report":
            return self.env["scada.failure.report"]
        return self.env["scada.failure.report"].browse(self.env.context.get("active_ids", []))

    @api.model
    def _check_may_resolve(self) -> None:
        if not any(self.env.user.has_group(group) for group in RESOLVER_GROUPS):
            raise AccessError(
                self.env._("Only SCADA managers and maintenance managers can resolve failures.")
            )

    def action_resolve(self) -> dict:
        self.ensure_one()
        self._check_may_resolve()
        failures = self.failure_ids.filtered(lambda f: f.state == "active")
        if not failures:
            raise UserError(self.env._("These failures have already ended."))
        if self.cleared_at > fields.Datetime.now() + FUTURE_SLACK:
            raise ValidationError(self.env._("A failure cannot end in the future."))
        early = failures.filtered(lambda f: f.started_at > self.cleared_at)
        if early:
            raise ValidationError(
                self.env._(
                    "%(failure)s started at %(start)s, after the end you gave: "
                    "choose a later end.",
                    failure=early[0].display_name,
                    start=fields.Datetime.to_string(early[0].started_at),
                )
            )
        # Through the guard on the fields a PLC owns (scada_failure_report_guard).
        failures._write_owned(
            {"cleared_at": self.cleared_at, "cleared_by": self.env.uid, "resolve_note": self.note}
        )
        body = Markup("<p>%s</p><p>%s</p>") % (
            self.env._("Resolved by %s.", self.env.user.name),
            self.note,
        )
        for failure in failures:
            failure.message_post(body=body, subtype_xmlid="mail.mt_note")
        return {"type": "ir.actions.act_window_close"}
