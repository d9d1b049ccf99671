# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from odoo import api, fields, models


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"

    scada_code = fields.Char(
        string="SCADA Code",
        index="btree_not_null",
        copy=False,
        help="Equipment code the PLCs use in their failure events (e.g. silo101). "
        "Failures carrying this code are linked to this equipment.",
    )
    scada_failure_ids = fields.One2many(
        "scada.failure.report", "equipment_id", string="SCADA Failures"
    )
    scada_failure_count = fields.Integer(
        compute="_compute_scada_failure_count",
        groups="scada_failure_report.group_scada_user",
    )
    scada_kpi_days = fields.Integer(
        string="Reliability Window (days)",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
    )
    scada_downtime_hours = fields.Float(
        string="SCADA Downtime (h)",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
        help="Hours of the window with at least one SCADA failure active.",
    )
    scada_failure_window_count = fields.Integer(
        string="SCADA Failures in Window",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
    )
    scada_mtbf_hours = fields.Float(
        string="SCADA MTBF (h)",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
        help="Hours running per failure started in the window, from SCADA failure times.",
    )
    scada_mttr_hours = fields.Float(
        string="SCADA MTTR (h)",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
        help="Downtime hours per failure ended in the window, from SCADA failure times.",
    )
    scada_availability = fields.Float(
        string="SCADA Availability (%)",
        compute="_compute_scada_kpis",
        groups="scada_failure_report.group_scada_user",
    )

    _sql_constraints = [
        (
            "scada_code_company_uniq",
            "unique(scada_code, company_id)",
            "Another equipment of this company already has this SCADA code.",
        ),
    ]

    def _compute_scada_failure_count(self) -> None:
        counts = dict(
            self.env["scada.failure.report"]._read_group(
                [("equipment_id", "in", self.ids)], ["equipment_id"], ["__count"]
            )
        )
        for equipment in self:
            equipment.scada_failure_count = counts.get(equipment, 0)

    def _compute_scada_kpis(self) -> None:
        Reliability = self.env["scada.equipment.reliability"]
        rows = Reliability._kpi_rows([equipment.id for equipment in self if equipment.id])
        days = Reliability._kpi_days()
        for equipment in self:
            row = rows.get(equipment.id)
            equipment.scada_kpi_days = days
            equipment.scada_failure_window_count = row["failure_count"] if row else 0
            equipment.scada_downtime_hours = row["downtime_hours"] if row else 0.0
            equipment.scada_mttr_hours = row["mttr_hours"] if row else 0.0
            # A new (unsaved) or archived equipment has no row: no failure, full window.
            equipment.scada_mtbf_hours = row["mtbf_hours"] if row else days * 24.0
            equipment.scada_availability = row["availability"] if row else 100.0

    def action_view_scada_failures(self) -> dict:
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "scada_failure_report.scada_failure_report_action"
        )
        action["domain"] = [("equipment_id", "=", self.id)]
        action["context"] = {"pivot_measures": ["__count__", "duration"]}
        return action

    @api.model_create_multi
    def create(self, vals_list):
        equipments = super().create(vals_list)
        equipments.filtered("scada_code")._scada_link_failures()
        return equipments

    def write(self, vals):
        result = super().write(vals)
        if vals.get("scada_code"):
            self._scada_link_failures()
        return result

    def _scada_link_failures(self) -> None:
        """Link the failures already received under this code, still without equipment.

        sudo(): whoever may set an equipment's code (a maintenance manager, not
        necessarily a SCADA manager) links its past failures; nothing of the
        failures is shown to them and only their equipment link is written.
        """
        reports = self.env["scada.failure.report"].sudo().with_context(tracking_disable=True)
        for equipment in self:
            domain = [("equipment_id", "=", False), ("equipment_code", "=", equipment.scada_code)]
            if equipment.company_id:
                domain.append(("company_id", "=", equipment.company_id.id))
            reports.search(domain).write({"equipment_id": equipment.id})
