# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The pull tells the SCADA database how far it has read, so prune keeps the rest."""

import scada_bridge
from odoo.tests import tagged

from .common import ScadaCase


@tagged("post_install", "-at_install")
class TestPullReaderCursor(ScadaCase):
    def test_the_pull_records_how_far_it_read_for_prune(self):
        """scada-bridge prune deletes only what every reader passed: the pull says how far."""
        self.insert(self.raised(0), self.raised(1, code="hopper7"))
        conn = scada_bridge.connect(self.scada_uri)
        try:
            self.assertEqual(scada_bridge.reader_cursors(conn), [], "no reader before a pull")
        finally:
            conn.close()

        self.source._pull()

        conn = scada_bridge.connect(self.scada_uri)
        try:
            readers = scada_bridge.reader_cursors(conn)
        finally:
            conn.close()
        self.assertEqual(len(readers), 1)
        self.assertEqual(str(readers[0].cursor), self.source.cursor)
        self.assertIn(f"scada.source/{self.source.id}", readers[0].reader)
