# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Downtime, MTBF, MTTR and availability in hours, from the failures' exact times."""

from datetime import datetime, timedelta

from freezegun import freeze_time
from odoo.tests import tagged

from .maintenance_common import MaintenanceCase

NOW = datetime(2026, 11, 30, 12, 0, 0)
WINDOW_HOURS = 30 * 24.0


@tagged("post_install", "-at_install")
class TestReliability(MaintenanceCase):
    def setUp(self):
        super().setUp()
        self.Code.create({"code": "START_FAILURE", "request_policy": "never"})

    def failure_between(self, equipment_code, start, end=None):
        raised = self.event(start, code=equipment_code, severity="low")
        events = [raised] + ([self.clear_of(raised, end)] if end else [])
        self.push(*events)
        return raised

    def kpis(self, equipment, user=None):
        equipment = equipment.with_user(user or self.user)
        equipment.invalidate_recordset()
        return {
            "failures": equipment.scada_failure_window_count,
            "downtime": equipment.scada_downtime_hours,
            "mtbf": equipment.scada_mtbf_hours,
            "mttr": equipment.scada_mttr_hours,
            "availability": equipment.scada_availability,
        }

    def assertKpis(self, got, **expected):
        for name, value in expected.items():
            self.assertAlmostEqual(got[name], value, places=6, msg=name)

    @freeze_time(NOW)
    def test_three_failures_two_overlapping(self):
        a = NOW - timedelta(days=10)
        self.failure_between("silo101", a, a + self.hours(1))  # 1 h
        self.failure_between(
            "silo101", a + self.hours(0.5), a + self.hours(2.5)
        )  # 2 h, 30 min shared
        c = NOW - timedelta(days=5)
        self.failure_between("silo101", c, c + self.hours(3))  # 3 h
        # Another equipment's failure and one outside the window do not count.
        self.failure_between("hopper7", a, a + self.hours(5))
        old = NOW - timedelta(days=40)
        self.failure_between("silo101", old, old + self.hours(8))

        downtime = 1 + 2 + 3 - 0.5  # the union: 5.5 h
        self.assertKpis(
            self.kpis(self.silo),
            failures=3,
            downtime=downtime,
            mttr=downtime / 3,  # 1.8333 h
            mtbf=(WINDOW_HOURS - downtime) / 3,  # 238.1667 h
            availability=100 * (1 - downtime / WINDOW_HOURS),  # 99.2361 %
        )
        self.assertAlmostEqual(self.kpis(self.silo)["mtbf"], 238.16666667, places=6)
        row = (
            self.env["scada.equipment.reliability"]
            .with_user(self.user)
            .search([("equipment_id", "=", self.silo.id)])
        )
        self.assertAlmostEqual(row.downtime_hours, 5.5)
        self.assertEqual((row.failure_count, row.ended_count), (3, 3))
        self.assertAlmostEqual(row.window_hours, WINDOW_HOURS)

    @freeze_time(NOW)
    def test_no_failure_means_full_window(self):
        self.assertKpis(
            self.kpis(self.hopper),
            failures=0,
            downtime=0,
            mtbf=WINDOW_HOURS,
            mttr=0,
            availability=100,
        )

    @freeze_time(NOW)
    def test_clipped_to_the_window_and_active_counts_to_now(self):
        start = NOW - timedelta(days=30)
        # Began 2 h before the window, ended 1 h into it: 1 h counts, it ended in the window.
        self.failure_between("silo101", start - self.hours(2), start + self.hours(1))
        # Still active since 4 h ago: 4 h count, it started in the window, not ended.
        self.failure_between("silo101", NOW - self.hours(4))
        self.assertKpis(
            self.kpis(self.silo),
            failures=1,
            downtime=5,
            mttr=5 / 1,
            mtbf=(WINDOW_HOURS - 5) / 1,
            availability=100 * (1 - 5 / WINDOW_HOURS),
        )

    @freeze_time(NOW)
    def test_the_window_follows_the_setting(self):
        self.failure_between(
            "silo101", NOW - timedelta(days=10), NOW - timedelta(days=10) + self.hours(2)
        )
        self.failure_between(
            "silo101", NOW - timedelta(days=3), NOW - timedelta(days=3) + self.hours(1)
        )
        self.env["ir.config_parameter"].set_param("scada_failure_report.kpi_days", "7")
        kpis = self.kpis(self.silo)
        self.assertEqual(self.silo.with_user(self.user).scada_kpi_days, 7)
        self.assertKpis(kpis, failures=1, downtime=1, mtbf=7 * 24 - 1, mttr=1)

    @freeze_time(NOW)
    def test_reliability_list_pivot_and_graph_for_scada_users(self):
        a = NOW - timedelta(days=2)
        self.failure_between("silo101", a, a + self.hours(2))
        Reliability = self.env["scada.equipment.reliability"].with_user(self.user)
        views = Reliability.get_views([(False, "list"), (False, "pivot"), (False, "graph")])
        self.assertEqual(set(views["views"]), {"list", "pivot", "graph"})
        groups = Reliability.read_group(
            [("equipment_id", "in", (self.silo | self.hopper).ids)],
            ["downtime_hours:sum", "failure_count:sum"],
            ["maintenance_team_id"],
        )
        self.assertEqual(len(groups), 1)
        self.assertAlmostEqual(groups[0]["downtime_hours"], 2)
        self.assertEqual(groups[0]["failure_count"], 1)
        form = self.env["maintenance.equipment"].with_user(self.user).get_views([(False, "form")])
        self.assertIn('name="scada_mtbf_hours"', form["views"]["form"]["arch"])
        outsider = self.env["maintenance.equipment"].with_user(self.outsider)
        self.assertNotIn(
            "scada_mtbf_hours", outsider.get_views([(False, "form")])["views"]["form"]["arch"]
        )
