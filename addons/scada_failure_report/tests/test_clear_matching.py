# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A clear ends the failure its ``raise_uid`` names, never just one of its equipment (issue 24)."""

from odoo.tests import tagged

from .common import ScadaCase


@tagged("post_install", "-at_install")
class TestClearMatching(ScadaCase):
    def test_two_open_failures_of_one_equipment_cleared_out_of_order(self):
        """Kills the mutant "match a clear to the open failure of the same equipment
        instead of its raise_uid" (scada.failure.report._ingest_close_stored): the
        first clear, of the later failure, would close the earlier one."""
        jam = self.insert(self.raised(0, failure_code="JAM"))[0]
        heat = self.insert(self.raised(5, failure_code="OVERHEAT"))[0]
        self.source._pull()

        heat_clear = self.insert(self.cleared(heat, 10))[0]
        self.source._pull()
        self.assertEqual(
            (self.report(heat).state, self.report(heat).clear_uid),
            ("cleared", heat_clear.event_uid),
        )
        self.assertEqual(self.report(jam).state, "active", "the other failure stays open")

        jam_clear = self.insert(self.cleared(jam, 20))[0]
        self.source._pull()
        self.assertEqual(self.report(jam).clear_uid, jam_clear.event_uid)
        self.assertEqual(self.report(heat).clear_uid, heat_clear.event_uid)

    def test_two_raises_and_their_clears_in_reverse_order_in_one_batch(self):
        """The same mutant inside one batch (raises created and closed in one call)."""
        jam = self.raised(0, failure_code="JAM")
        heat = self.raised(5, failure_code="OVERHEAT")
        heat_clear, jam_clear = self.cleared(heat, 10), self.cleared(jam, 20)
        self.insert(jam, heat, heat_clear, jam_clear)

        result = self.source._pull()

        self.assertEqual((result["created"], result["cleared"]), (2, 2), result)
        self.assertEqual(self.report(jam).clear_uid, jam_clear.event_uid)
        self.assertEqual(self.report(heat).clear_uid, heat_clear.event_uid)
        self.assertAlmostEqual(self.report(heat).duration, 5 / 60, places=2)
        self.assertAlmostEqual(self.report(jam).duration, 20 / 60, places=2)
