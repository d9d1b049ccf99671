# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Two clears of one stored failure in the same ingest call: the first ends it, the
second is answered "duplicate" (the push API's result a client acts on).

Kills ``_result(..., "duplicate")`` -> ``"DUPLICATE"`` in ``_ingest_close_stored``'s
"a second clear of it in this call" branch (scripts/mutation.sh --odoo,
docs/testing.md): no test sent two clears of a stored failure in one call.
"""

from odoo.tests import tagged

from .common import ScadaCase


@tagged("post_install", "-at_install")
class TestIngestSecondClear(ScadaCase):
    def test_the_second_clear_of_a_stored_failure_in_one_call_is_a_duplicate(self):
        raise_event = self.raised(0)
        self.Report._ingest_events([vars(raise_event)], "push")
        first, second = self.cleared(raise_event, 5), self.cleared(raise_event, 7)

        results = self.Report._ingest_events([vars(first), vars(second)], "push")

        report = self.report(raise_event)
        self.assertEqual([r["result"] for r in results], ["cleared", "duplicate"])
        self.assertEqual([r["id"] for r in results], [report.id, report.id])
        self.assertEqual(report.clear_uid, first.event_uid)
