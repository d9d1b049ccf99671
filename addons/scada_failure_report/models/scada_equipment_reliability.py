# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Equipment reliability from SCADA failures: downtime, MTBF, MTTR, availability in hours.

One row per equipment, computed in SQL when read, over a window of
``scada_failure_report.kpi_days`` days ending now (Odoo's clock, so tests can
freeze it). Downtime is the length of the union of the failure intervals
clipped to the window: overlapping failures of one equipment count once, and
a failure still active counts up to now. Odoo's own MTBF/MTTR (whole days,
from done corrective requests) are left as they are.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

KPI_DAYS_PARAM = "scada_failure_report.kpi_days"
DEFAULT_KPI_DAYS = 30


class ScadaEquipmentReliability(models.Model):
    _name = "scada.equipment.reliability"
    _description = "Equipment Reliability (SCADA)"
    _auto = False
    _order = "availability, downtime_hours desc, equipment_id"
    _rec_name = "equipment_id"
    _depends = {
        "scada.failure.report": ["equipment_id", "started_at", "cleared_at"],
        "maintenance.equipment": [
            "active",
            "company_id",
            "category_id",
            "maintenance_team_id",
            "technician_user_id",
            "scada_code",
        ],
    }

    equipment_id = fields.Many2one("maintenance.equipment", readonly=True)
    scada_code = fields.Char(string="SCADA Code", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    category_id = fields.Many2one("maintenance.equipment.category", readonly=True)
    maintenance_team_id = fields.Many2one("maintenance.team", readonly=True)
    technician_user_id = fields.Many2one("res.users", string="Technician", readonly=True)
    window_hours = fields.Float(readonly=True, aggregator="max")
    failure_count = fields.Integer(
        string="Failures", readonly=True, help="Failures started in the window."
    )
    ended_count = fields.Integer(
        string="Failures Ended", readonly=True, help="Failures ended in the window."
    )
    downtime_hours = fields.Float(
        string="Downtime (h)",
        readonly=True,
        help="Hours in the window with at least one failure active (overlaps count once).",
    )
    mtbf_hours = fields.Float(
        string="MTBF (h)",
        readonly=True,
        aggregator="avg",
        help="Hours running (window minus downtime) per failure started in the window.",
    )
    mttr_hours = fields.Float(
        string="MTTR (h)",
        readonly=True,
        aggregator="avg",
        help="Downtime hours per failure ended in the window.",
    )
    availability = fields.Float(
        string="Availability (%)",
        readonly=True,
        aggregator="avg",
        help="100 x (1 - downtime / window).",
    )

    @property
    def _table_query(self) -> SQL:
        end = fields.Datetime.now()
        return self._kpi_query(end - timedelta(days=self._kpi_days()), end)

    @api.model
    def _kpi_rows(self, equipment_ids: list[int]) -> dict[int, dict]:
        """The figures of these equipment only, by id: what an equipment's form shows.

        The same query as the report, restricted before it aggregates, so a form reads
        its own equipment's failures and not every equipment's (2.2 s at 2 million
        failures through the report's table query; see bench/README.md, issue 22).
        """
        end = fields.Datetime.now()
        query = self._kpi_query(end - timedelta(days=self._kpi_days()), end, equipment_ids)
        self.env.cr.execute(query)
        return {row["equipment_id"]: row for row in self.env.cr.dictfetchall()}

    @api.model
    def _kpi_days(self) -> int:
        """The window in days (Settings > SCADA), 30 when unset or not a positive number."""
        value = self.env["ir.config_parameter"].sudo().get_param(KPI_DAYS_PARAM)
        try:
            days = int(value) if value else DEFAULT_KPI_DAYS
        except ValueError:
            days = 0
        if days <= 0:
            _logger.warning(
                "system parameter %s=%r is not a positive number of days: using %s",
                KPI_DAYS_PARAM,
                value,
                DEFAULT_KPI_DAYS,
            )
            return DEFAULT_KPI_DAYS
        return days

    @api.model
    def _kpi_query(self, start, end, equipment_ids=None) -> SQL:
        """One row per active equipment with its figures over [start, end] (naive UTC);
        only the given equipment when ``equipment_ids`` is a list (an equipment's form)."""
        ids = list(equipment_ids) if equipment_ids is not None else None
        only = SQL("AND equipment_id = ANY(%s)", ids) if ids is not None else SQL()
        only_e = SQL("AND e.id = ANY(%s)", ids) if ids is not None else SQL()
        return SQL(
            """
            WITH failure AS (
                SELECT equipment_id,
                       started_at,
                       cleared_at,
                       tsrange(GREATEST(started_at, %(start)s),
                               LEAST(COALESCE(cleared_at, %(end)s), %(end)s)) AS busy
                  FROM scada_failure_report
                 WHERE equipment_id IS NOT NULL
                   AND started_at <= %(end)s
                   -- Implied by the next line; written out so the planner can read only
                   -- the window's failures (indexes on started_at and cleared_at) instead
                   -- of every failure since the first: 2.4 s -> see bench/README.md.
                   AND (started_at >= %(start)s OR cleared_at >= %(start)s OR cleared_at IS NULL)
                   AND (cleared_at IS NULL OR cleared_at >= GREATEST(started_at, %(start)s))
                   %(only)s
            ), per_equipment AS (
                SELECT equipment_id,
                       range_agg(busy) AS busy,
                       count(*) FILTER (WHERE started_at >= %(start)s) AS started,
                       count(*) FILTER (WHERE cleared_at <= %(end)s) AS ended
                  FROM failure
                 GROUP BY equipment_id
            ), figures AS (
                SELECT equipment_id, started, ended,
                       COALESCE((SELECT sum(EXTRACT(EPOCH FROM upper(r) - lower(r)))
                                   FROM unnest(busy) AS r), 0) / 3600.0 AS downtime
                  FROM per_equipment
            )
            SELECT e.id AS id,
                   e.id AS equipment_id,
                   e.scada_code,
                   e.company_id,
                   e.category_id,
                   e.maintenance_team_id,
                   e.technician_user_id,
                   %(hours)s AS window_hours,
                   COALESCE(f.started, 0) AS failure_count,
                   COALESCE(f.ended, 0) AS ended_count,
                   COALESCE(f.downtime, 0) AS downtime_hours,
                   (%(hours)s - COALESCE(f.downtime, 0)) / GREATEST(COALESCE(f.started, 0), 1)
                       AS mtbf_hours,
                   CASE WHEN COALESCE(f.ended, 0) > 0 THEN f.downtime / f.ended ELSE 0 END
                       AS mttr_hours,
                   100.0 * (1 - COALESCE(f.downtime, 0) / %(hours)s) AS availability
              FROM maintenance_equipment e
              LEFT JOIN figures f ON f.equipment_id = e.id
             WHERE e.active %(only_e)s
            """,
            start=start,
            end=end,
            hours=(end - start).total_seconds() / 3600.0,
            only=only,
            only_e=only_e,
        )
