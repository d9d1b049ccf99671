# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The downtime Pareto: hours per failure code and per equipment, sorted, with cumulative share."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from odoo.tests import tagged

from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 30, 12, 0, 0)
A = NOW - timedelta(days=10)


@tagged("post_install", "-at_install")
class TestDowntimePareto(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.Code.create({"code": "START_FAILURE", "request_policy": "never"})
        self.Pareto = self.env["scada.downtime.pareto"]

    def add_failure(self, equipment_code, failure_code, start, hours=None):
        raised = self.event(start, code=equipment_code, failure_code=failure_code, severity="low")
        end = [self.clear_of(raised, start + timedelta(hours=hours))] if hours else []
        self.push(raised, *end)

    def rows(self, by, user=None):
        self.env.invalidate_all()
        found = self.Pareto.with_user(user or self.user).search([("by", "=", by)])
        return [
            (
                row.rank,
                row.name,
                row.failure_count,
                row.downtime_hours,
                row.share,
                row.cumulative_share,
            )
            for row in found
        ]

    def assertRows(self, got, expected):
        self.assertEqual([row[:3] for row in got], [row[:3] for row in expected])
        for got_row, want in zip(got, expected, strict=True):
            for index in (3, 4, 5):
                self.assertAlmostEqual(got_row[index], want[index], places=6, msg=got_row)

    @freeze_time(NOW)
    def test_known_downtimes_sorted_with_their_share_and_cumulative_share(self):
        self.add_failure("silo101", "JAM", A, 3)
        self.add_failure("hopper7", "OVERHEAT", A, 1)
        self.add_failure("hopper7", "OVERHEAT", A + timedelta(days=1), 0.5)
        self.add_failure("silo101", "START_FAILURE", A + timedelta(days=2), 0.5)
        # Outside the 30-day window: left out; one half inside: its half counts.
        self.add_failure("silo101", "JAM", NOW - timedelta(days=40), 8)
        self.add_failure("hopper7", "LEAK", NOW - timedelta(days=30, hours=1), 2)

        # 3 + 1.5 + 0.5 + 1 = 6 h in all.
        self.assertRows(
            self.rows("code"),
            [
                (1, "JAM", 1, 3.0, 50.0, 50.0),
                (2, "OVERHEAT", 2, 1.5, 25.0, 75.0),
                (3, "LEAK", 1, 1.0, 100 / 6, 75.0 + 100 / 6),
                (4, "START_FAILURE", 1, 0.5, 100 / 12, 100.0),
            ],
        )
        self.assertRows(
            self.rows("equipment"),
            [
                (1, "Silo 101", 2, 3.5, 3.5 / 6 * 100, 3.5 / 6 * 100),
                (2, "Hopper 7", 3, 2.5, 2.5 / 6 * 100, 100.0),
            ],
        )

    @freeze_time(NOW)
    def test_overlaps_on_one_equipment_count_once_and_active_failures_up_to_now(self):
        self.add_failure("silo101", "JAM", A, 2)
        self.add_failure("silo101", "JAM", A + timedelta(hours=1), 2)  # 1 h shared with the first
        self.add_failure("hopper7", "JAM", A, 1)  # the same code elsewhere counts on its own
        self.add_failure("silo101", "OVERHEAT", NOW - timedelta(hours=4))  # still active
        got = {row[1]: row for row in self.rows("code")}
        self.assertAlmostEqual(got["JAM"][3], 3 + 1)
        self.assertAlmostEqual(got["OVERHEAT"][3], 4)
        self.assertEqual([row[1] for row in self.rows("code")], ["JAM", "OVERHEAT"])
        equipment = {row[1]: row[3] for row in self.rows("equipment")}
        self.assertAlmostEqual(equipment["Silo 101"], 3 + 4)
        self.assertAlmostEqual(equipment["Hopper 7"], 1)

    @freeze_time(NOW)
    def test_a_maintenance_manager_reads_it_and_graph_groups_sum_hours(self):
        self.add_failure("silo101", "JAM", A, 3)
        self.add_failure("hopper7", "JAM", A, 1)
        groups = self.Pareto.with_user(self.maintenance_manager).read_group(
            [("by", "=", "code")], ["downtime_hours:sum"], ["name"]
        )
        self.assertEqual([(g["name"], g["downtime_hours"]) for g in groups], [("JAM", 4.0)])
