# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The failure table's indexes that Odoo's ``index=`` cannot say (issue 22).

Measured at 2 million failures (``bench/bench_year.py``, figures in bench/README.md):

* a person searches an equipment or failure code by part of it (``ilike``): a
  trigram index answers from the index instead of reading every failure;
* the failures grouped by code or by equipment, and the downtime graph over time,
  sum ``duration`` over every failure: ``INCLUDE (duration)`` lets PostgreSQL read
  the index alone (a twentieth of the table) instead of the table. These three
  replace the plain indexes of the same columns, so a pull writes no more indexes.
"""

from odoo import models
from odoo.tools import SQL
from odoo.tools.sql import create_index

_TABLE = "scada_failure_report"
#: Column -> whether its rows without a value are left out of its index.
_COVERING = {"started_at": False, "equipment_id": True, "failure_code_id": True}


# One concern per file: the indexes beside the failure's fields, not among them.
class ScadaFailureReportIndexes(models.Model):
    _inherit = "scada.failure.report"  # pylint: disable=consider-merging-classes-inherited

    def init(self):
        result = super().init()
        cr = self.env.cr
        for column, not_null in _COVERING.items():
            # A database installed before these replaced the plain index of the column
            # (``index=`` on the field): drop it, or an upgraded database writes both.
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(f"{_TABLE}__{column}_index")))
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON %s (%s) INCLUDE (duration)%s",
                    SQL.identifier(f"{_TABLE}__{column}_duration_index"),
                    SQL.identifier(_TABLE),
                    SQL.identifier(column),
                    SQL(" WHERE %s IS NOT NULL", SQL.identifier(column)) if not_null else SQL(),
                )
            )
        if self.env.registry.has_trigram:
            for column in ("equipment_code", "failure_code"):
                create_index(
                    cr,
                    f"{_TABLE}__{column}_trigram_index",
                    _TABLE,
                    [f"{column} gin_trgm_ops"],
                    method="gin",
                )
        return result
