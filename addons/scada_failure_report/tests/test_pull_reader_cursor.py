# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A source is a reader of its SCADA database from its creation; the pull says how far
it read, so prune keeps the rest (issue 18 point 4)."""

from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import scada_bridge
from odoo.tests import tagged
from scada_bridge import DatabaseError
from scada_bridge.store.prune import prune

from ..models.scada_pull import old_reader_name, reader_name
from .common import ScadaCase


@tagged("post_install", "-at_install")
class TestPullReaderCursor(ScadaCase):
    def readers(self) -> dict[str, str]:
        conn = scada_bridge.connect(self.scada_uri)
        try:
            return {r.reader: str(r.cursor) for r in scada_bridge.reader_cursors(conn)}
        finally:
            conn.close()

    def test_the_pull_records_how_far_it_read_for_prune(self):
        """scada-bridge prune deletes only what every reader passed: the pull says how far."""
        self.insert(self.raised(0), self.raised(1, code="hopper7"))
        name = reader_name(self.source)
        self.assertEqual(self.readers(), {name: "0:0"}, "registered at creation, at zero")

        self.source._pull()

        self.assertEqual(self.readers(), {name: self.source.cursor})

    def test_the_reader_name_is_the_database_uuid_not_its_name(self):
        """A staging copy keeps the database's name; its uuid is its own."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        name = reader_name(self.source)
        self.assertEqual(name, f"odoo/{uuid}/scada.source/{self.source.id}")
        self.assertNotIn(self.env.cr.dbname, name)
        self.assertTrue(self.source.reader_registered)
        self.assertFalse(self.source.reader_warning)

    def test_a_source_that_never_pulled_keeps_prune_from_deleting_its_events(self):
        """Reader A read everything, B (a second source) never pulled: prune deleted all
        10 events and B then read 0. B is registered at zero from its creation."""
        events = self.insert(*(self.raised(i, code=f"eq{i}") for i in range(10)))
        self.source._pull()
        second = self.Source.create({"name": "Plant 2", "connection_uri": self.scada_uri})

        conn = scada_bridge.connect(self.scada_uri)
        try:
            prune(conn, timedelta(hours=1), now=datetime.now(timezone.utc) + timedelta(days=1))
        finally:
            conn.close()

        result = second._pull()
        self.assertEqual(result["read"], len(events), result)

    def test_a_failed_registration_is_shown_and_retried_until_it_succeeds(self):
        down = DatabaseError("the SCADA database at db:5432 is down")
        with patch.object(scada_bridge, "register_reader", side_effect=down):
            second = self.Source.create({"name": "Plant 2", "connection_uri": self.scada_uri})
        self.assertFalse(second.reader_registered)
        self.assertIn("is down", second.reader_warning)
        self.assertIn("prune", second.reader_warning)
        self.assertNotIn(reader_name(second), self.readers())

        with patch.object(scada_bridge, "register_reader", side_effect=down):
            second.action_test_connection()
        self.assertFalse(second.reader_registered, "still down: still a warning")

        second._pull()  # the first pull registers it
        self.assertTrue(second.reader_registered)
        self.assertFalse(second.reader_warning)
        self.assertIn(reader_name(second), self.readers())

    def test_a_row_under_the_old_name_is_left_and_named_on_the_source(self):
        """Compatibility: the source registers anew under the uuid name; the old row only
        keeps more events, and the source says how to delete it."""
        down = DatabaseError("down")
        with patch.object(scada_bridge, "register_reader", side_effect=down):
            second = self.Source.create({"name": "Plant 2", "connection_uri": self.scada_uri})
        old = old_reader_name(second)
        scada_bridge.record_reader_cursor(self.scada, old, scada_bridge.START)
        self.scada.commit()

        second.action_test_connection()

        self.assertTrue(second.reader_registered)
        self.assertIn(old, second.reader_warning)
        self.assertIn("DELETE FROM scada.reader_cursor", second.reader_warning)
        self.assertEqual(set(self.readers()), {reader_name(self.source), reader_name(second), old})
