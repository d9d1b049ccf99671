# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The SCADA reader cursor follows Odoo's commit, never precedes it (issue 24).

``scada-bridge prune`` deletes the events every registered reader has passed.
The pull records how far it read only after Odoo committed what it made of
those events; recorded before, a crash at that commit would let prune delete
a batch Odoo never stored. Real commits: see :mod:`.commit_common`.
"""

from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import scada_bridge
from odoo.tests import tagged

from ..models import scada_pull
from .commit_common import CommitCase


class SimulatedCrash(Exception):
    """Stands for the Odoo worker dying at Odoo's commit of a batch."""


@tagged("post_install", "-at_install", "scada_commit")
class TestPullCommitOrder(CommitCase):
    def scada(self):
        conn = scada_bridge.connect(self.scada_uri)
        self.addCleanup(conn.close)
        return conn

    def test_a_crash_at_the_commit_of_batch_two_leaves_the_reader_cursor_at_batch_one(self):
        """Kills the mutant "record_reader_cursor before Odoo's commit of the batch"
        (scada_pull.SourcePull._run): the recorded cursor would be batch 2's, and prune
        would delete rows Odoo rolled back."""
        conn = self.scada()
        with conn.cursor() as cur:
            cur.execute("TRUNCATE scada.reader_cursor")  # other tests' sources
        conn.commit()
        events = self.insert(*(self.raised(i) for i in range(5)), each=True)
        original = scada_pull.SourcePull.commit_progress
        calls = []

        def commit_progress(pull, done, remaining):
            calls.append(done)
            if len(calls) == 3:  # 1: the log line, 2: batch 1, 3: batch 2
                raise SimulatedCrash
            original(pull, done, remaining)

        with (
            patch.object(scada_pull.SourcePull, "commit_progress", commit_progress),
            self.assertRaises(SimulatedCrash),
        ):
            self.pull()

        batch_one = scada_bridge.read_events(conn, scada_bridge.START, 2)
        conn.rollback()
        readers = scada_bridge.reader_cursors(conn)
        conn.rollback()
        self.assertEqual([str(r.cursor) for r in readers], [str(batch_one.cursor)], readers)
        self.assertEqual(self.source_values("cursor")["cursor"], str(batch_one.cursor))

        result = scada_bridge.prune(
            conn, timedelta(hours=1), now=datetime.now(timezone.utc) + timedelta(days=1)
        )
        self.assertEqual(str(result.upto), str(batch_one.cursor))
        kept = scada_bridge.read_events(conn, batch_one.cursor, 10)
        conn.rollback()
        self.assertEqual(
            [e.event_uid for e in kept.events],
            [e.event_uid for e in events[2:]],
            "batch 2 and what follows are kept for the pull that stored nothing of them",
        )

        rerun = self.pull()
        self.assertEqual((rerun["read"], rerun["created"]), (3, 3), rerun)
        self.assertEqual(
            self.count_reports([e.event_uid for e in events]), {e.event_uid: 1 for e in events}
        )
