# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What costs the most downtime: a Pareto by failure code and by equipment.

One row per failure code (``by = 'code'``) and one per equipment (``by =
'equipment'``) with its downtime in hours over the reliability window
(Settings > SCADA, the same window as :mod:`.scada_equipment_reliability`),
its share of the total and the cumulative share, sorted from the largest.
Computed in SQL when read, so the figures always match the failures.

Downtime is the union of the failure intervals clipped to the window: on one
equipment, overlapping failures count once (for a code: once per equipment it
held down); a failure still active counts up to now.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

BY_SELECTION = [("code", "Failure Code"), ("equipment", "Equipment")]


class ScadaDowntimePareto(models.Model):
    _name = "scada.downtime.pareto"
    _description = "Downtime Pareto (SCADA)"
    _auto = False
    _order = "by, rank"
    _rec_name = "name"
    _depends = {
        "scada.failure.report": ["equipment_id", "failure_code", "started_at", "cleared_at"],
        "maintenance.equipment": ["name", "company_id"],
    }

    by = fields.Selection(BY_SELECTION, readonly=True)
    name = fields.Char(readonly=True)
    failure_code = fields.Char(readonly=True)
    equipment_id = fields.Many2one("maintenance.equipment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    rank = fields.Integer(readonly=True, aggregator="min")
    failure_count = fields.Integer(
        string="Failures", readonly=True, help="Failures active in the window."
    )
    downtime_hours = fields.Float(
        string="Downtime (h)",
        readonly=True,
        help="Hours of the window this code or equipment held equipment down.",
    )
    share = fields.Float(
        string="Share (%)", readonly=True, help="Share of all downtime of the window."
    )
    cumulative_share = fields.Float(
        string="Cumulative Share (%)",
        readonly=True,
        aggregator="max",
        help="Share of this row and every larger one: the few causes behind 80% stand out.",
    )

    @property
    def _table_query(self) -> SQL:
        end = fields.Datetime.now()
        days = self.env["scada.equipment.reliability"]._kpi_days()
        return self._pareto_query(end - timedelta(days=days), end)

    @api.model
    def _pareto_query(self, start, end) -> SQL:
        """The Pareto rows over [start, end] (naive UTC)."""
        return SQL(
            """
            WITH failure AS (
                SELECT f.company_id,
                       f.equipment_id,
                       COALESCE(NULLIF(f.failure_code, ''), '-') AS code,
                       tsrange(GREATEST(f.started_at, %(start)s),
                               LEAST(COALESCE(f.cleared_at, %(end)s), %(end)s)) AS busy
                  FROM scada_failure_report f
                 WHERE f.equipment_id IS NOT NULL
                   AND f.started_at <= %(end)s
                   AND (f.cleared_at IS NULL OR f.cleared_at >= %(start)s)
            ), per_code_equipment AS (
                SELECT company_id, code, equipment_id, count(*) AS failures,
                       range_agg(busy) AS busy
                  FROM failure
                 GROUP BY company_id, code, equipment_id
            ), per_equipment AS (
                SELECT company_id, equipment_id, count(*) AS failures, range_agg(busy) AS busy
                  FROM failure
                 GROUP BY company_id, equipment_id
            ), hours AS (
                SELECT 'code' AS by, company_id, code AS failure_code,
                       NULL::integer AS equipment_id, sum(failures) AS failures,
                       sum(COALESCE((SELECT sum(EXTRACT(EPOCH FROM upper(r) - lower(r)))
                                       FROM unnest(busy) AS r), 0)) / 3600.0 AS downtime
                  FROM per_code_equipment
                 GROUP BY company_id, code
                UNION ALL
                SELECT 'equipment', company_id, NULL, equipment_id, failures,
                       COALESCE((SELECT sum(EXTRACT(EPOCH FROM upper(r) - lower(r)))
                                   FROM unnest(busy) AS r), 0) / 3600.0
                  FROM per_equipment
            ), ranked AS (
                SELECT h.*,
                       row_number() OVER w AS rank,
                       sum(downtime) OVER (PARTITION BY by, company_id) AS total,
                       sum(downtime) OVER (w ROWS UNBOUNDED PRECEDING) AS running
                  FROM hours h
                WINDOW w AS (PARTITION BY by, company_id
                             ORDER BY downtime DESC, failure_code, equipment_id)
            )
            SELECT row_number() OVER (ORDER BY r.by, r.company_id, r.rank) AS id,
                   r.by,
                   COALESCE(r.failure_code, e.name->>%(lang)s, e.name->>'en_US') AS name,
                   r.failure_code,
                   r.equipment_id,
                   r.company_id,
                   r.rank,
                   r.failures AS failure_count,
                   r.downtime AS downtime_hours,
                   CASE WHEN r.total > 0 THEN 100.0 * r.downtime / r.total ELSE 0 END AS share,
                   CASE WHEN r.total > 0 THEN 100.0 * r.running / r.total ELSE 0 END
                       AS cumulative_share
              FROM ranked r
              LEFT JOIN maintenance_equipment e ON e.id = r.equipment_id
            """,
            start=start,
            end=end,
            lang=self.env.lang or "en_US",
        )
