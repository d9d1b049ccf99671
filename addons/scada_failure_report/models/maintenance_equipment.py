# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


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

    _sql_constraints = [
        (
            "scada_code_company_uniq",
            "unique(scada_code, company_id)",
            "Another equipment of this company already has this SCADA code.",
        ),
    ]
