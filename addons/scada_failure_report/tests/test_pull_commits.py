# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The pull's promises with real commits: crashes inside a batch, races with the push,
another pull taking over. See :mod:`.commit_common` for how the tier works."""

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import psycopg2
import scada_bridge
from odoo.tests import tagged
from odoo.tools import mute_logger
from scada_bridge.store.prune import prune

from ..models import scada_pull
from .commit_common import WAIT_LIMIT, CommitCase, Worker, wait_until
from .common import server_dsn


class SimulatedCrash(Exception):
    """Stands for the Odoo worker dying (killed, out of memory) at that point."""


class Gate:
    """Pause one thread at its n-th ``commit_progress`` call, before or after the commit.

    Call 1 commits the run's log line; call k+1 commits batch k.
    """

    def __init__(self, thread: str, call: int, before: bool):
        self.thread, self.call, self.before = thread, call, before
        self.reached = threading.Event()
        self.go = threading.Event()

    def pause(self):
        self.reached.set()
        if not self.go.wait(WAIT_LIMIT):
            raise AssertionError(f"{self.thread} was never released from its gate")

    def wait_reached(self, worker):
        """Wait until the thread is at the gate; fail at once if it ended first."""
        wait_until(
            lambda: self.reached.is_set() or not worker.is_alive(),
            f"{self.thread} to reach commit {self.call}",
        )
        if not self.reached.is_set():
            worker.outcome()  # raises what ended it
            raise AssertionError(f"{self.thread} ended before commit {self.call}")


@contextmanager
def gates(*all_gates: Gate):
    original = scada_pull.SourcePull.commit_progress
    calls: dict[str, int] = {}

    def commit_progress(pull, done, remaining):
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        mine = [g for g in all_gates if g.thread == name and g.call == calls[name]]
        for gate in mine:
            if gate.before:
                gate.pause()
        original(pull, done, remaining)
        for gate in mine:
            if not gate.before:
                gate.pause()

    with patch.object(scada_pull.SourcePull, "commit_progress", commit_progress):
        yield


@tagged("post_install", "-at_install", "scada_commit")
class TestPullCommits(CommitCase):
    # -- a crash inside a batch ----------------------------------------------

    def _crash_in_batch_two(self, crash_patch):
        events = self.insert(*(self.raised(i) for i in range(5)), each=True)
        uids = [e.event_uid for e in events]
        with crash_patch, self.assertRaises(SimulatedCrash):
            self.pull()
        # Batch 1 is durable with its cursor; batch 2 is gone with its cursor.
        self.assertEqual(self.count_reports(uids), {uid: 1 for uid in uids[:2]})
        after_first = self.source_values("cursor")["cursor"]
        conn = scada_bridge.connect(self.scada_uri)
        first_batch = scada_bridge.read_events(conn, scada_bridge.START, 2)
        conn.close()
        self.assertEqual(after_first, str(first_batch.cursor), "the cursor of batch 1, not 2")
        self.assertNotIn("running", [log["state"] for log in self.logs()], "log line ended")

        rerun = self.pull()

        self.assertFalse(rerun["error"], rerun)
        self.assertEqual((rerun["read"], rerun["created"], rerun["duplicate"]), (3, 3, 0))
        self.assertEqual(self.count_reports(uids), {uid: 1 for uid in uids})

    def test_a_crash_inside_batch_two_loses_its_records_and_cursor_together(self):
        original = scada_pull.SourcePull.ingest_batch
        calls = []

        def ingest_batch(pull, batch):
            counts = original(pull, batch)  # records created, cursor written
            calls.append(batch)
            if len(calls) == 2:
                raise SimulatedCrash
            return counts

        self._crash_in_batch_two(patch.object(scada_pull.SourcePull, "ingest_batch", ingest_batch))

    def test_a_crash_at_the_commit_of_batch_two_loses_its_records_and_cursor_together(self):
        original = scada_pull.SourcePull.commit_progress
        calls = []

        def commit_progress(pull, done, remaining):
            calls.append(done)
            if len(calls) == 3:  # 1: the log line, 2: batch 1, 3: batch 2
                raise SimulatedCrash
            original(pull, done, remaining)

        self._crash_in_batch_two(
            patch.object(scada_pull.SourcePull, "commit_progress", commit_progress)
        )

    # -- a push racing the pull -------------------------------------------------

    @mute_logger("odoo.sql_db")  # the conflicts it provokes are logged as bad queries
    def test_push_and_pull_of_the_same_events_each_lose_once_and_retry(self):
        first = self.insert(self.raised(0), self.raised(1))
        uids = [e.event_uid for e in first]
        # 1. The pull holds batch 1 uncommitted; the push of the same events
        # waits on it, then meets the committed rows: 409, and a retry is a duplicate.
        gate = Gate("pull", call=2, before=True)
        with gates(gate):
            pull = Worker(self.pull, "pull")
            pull.start()
            gate.wait_reached(pull)
            push = Worker(lambda: self.push([self.as_push(e) for e in first]), "push")
            push.start()
            wait_until(self.lock_waiters, "the push to wait on the pull's rows")
            gate.go.set()
            answer = push.outcome()
            result = pull.outcome()
        self.assertEqual(answer.status_code, 409, answer.text)
        self.assertEqual(answer.headers.get("Retry-After"), "1")
        again = self.push([self.as_push(e) for e in first])
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["duplicates"], 2)
        self.assertEqual((result["created"], result["retries"]), (2, 0))

        # 2. The push holds the next events uncommitted; the pull waits, meets
        # them committed, and retries the batch: duplicates, source OK.
        second = self.insert(self.raised(2), self.raised(3))
        uids += [e.event_uid for e in second]
        push_gate = threading.Event()
        api_model = self.registry["scada.api"]
        original_ingest = api_model._ingest_push

        def held_push(api, events):
            results = original_ingest(api, events)
            push_gate.wait(WAIT_LIMIT)  # the rows exist, uncommitted
            return results

        with patch.object(api_model, "_ingest_push", held_push):
            push = Worker(lambda: self.push([self.as_push(e) for e in second]), "push")
            push.start()
            wait_until(self._push_holds_rows, "the push to hold its rows uncommitted")
            pull = Worker(self.pull, "pull")
            pull.start()
            wait_until(self.lock_waiters, "the pull to wait on the push's rows")
            push_gate.set()
            answer = push.outcome()
            result = pull.outcome()
        self.assertEqual(answer.status_code, 201, answer.text)
        self.assertFalse(result["error"], result)
        self.assertEqual((result["duplicate"], result["created"]), (2, 0))
        self.assertGreaterEqual(result["retries"], 1, "the conflict was met and retried")
        self.assertEqual(self.count_reports(uids), {uid: 1 for uid in uids})
        self.assertEqual(self.source_values("state")["state"], "ok")

    def _push_holds_rows(self) -> bool:
        """The push's transaction is open and idle (its rows inserted, not committed)."""
        conn = psycopg2.connect(server_dsn("postgres"))
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND state = 'idle in transaction' AND backend_xid IS NOT NULL",
                    [self.dbname],
                )
                return cur.fetchone()[0] > 0
        finally:
            conn.close()

    @mute_logger("odoo.sql_db")  # the conflicts it provokes are logged as bad queries
    def test_push_and_pull_in_opposite_order_deadlock_and_the_pull_retries(self):
        # The pull inserts u2 then u1 (SCADA order); the push u1, then u2.
        u2, u1 = self.insert(self.raised(0), self.raised(1))
        step = threading.Event()
        proceed = threading.Event()
        api_model = self.registry["scada.api"]
        original_ingest = api_model._ingest_push

        def push_in_two_steps(api, events):
            original_ingest(api, events[:1])  # u1 inserted, uncommitted
            step.set()
            proceed.wait(WAIT_LIMIT)
            # Let the pull's deadlock check fire first: the pull is the victim.
            api.env.cr.execute("SET LOCAL deadlock_timeout = '20s'")
            return original_ingest(api, events)  # u2 now: waits on the pull

        with patch.object(api_model, "_ingest_push", push_in_two_steps):
            push = Worker(lambda: self.push([self.as_push(u1), self.as_push(u2)]), "push")
            push.start()
            step.wait(WAIT_LIMIT)
            pull = Worker(self.pull, "pull")
            pull.start()
            wait_until(self.lock_waiters, "the pull to wait on the push's u1")
            proceed.set()
            answer = push.outcome()
            result = pull.outcome()
        self.assertIn(answer.status_code, (200, 201), answer.text)
        self.assertFalse(result["error"], result)
        self.assertGreaterEqual(result["retries"], 1, "the deadlock was met and retried")
        self.assertEqual(
            self.count_reports([u1.event_uid, u2.event_uid]), {u1.event_uid: 1, u2.event_uid: 1}
        )
        self.assertEqual(self.source_values("state")["state"], "ok")
        self.assertNotIn("error", [log["state"] for log in self.logs()])

    def test_a_clear_pushed_while_the_pull_creates_its_raise_closes_it(self):
        raise_event = self.insert(self.raised(0))[0]
        clear = scada_bridge.NewEvent(
            kind="cleared",
            equipment_code="silo101",
            raise_uid=raise_event.event_uid,
            occurred_at=raise_event.occurred_at.replace(minute=30),
        )
        gate = Gate("pull", call=2, before=True)
        with gates(gate):
            pull = Worker(self.pull, "pull")
            pull.start()
            gate.wait_reached(pull)  # the raise is inserted, not committed
            answer = self.push([self.as_push(clear)])
            self.assertEqual(answer.json()["results"][0]["result"], "pending", answer.text)
            gate.go.set()
            result = pull.outcome()
        self.assertFalse(result["error"], result)
        with self.env_cr(commit=False) as env:
            report = env["scada.failure.report"].search([("event_uid", "=", raise_event.event_uid)])
            self.assertEqual((report.state, report.clear_uid), ("cleared", clear.event_uid))
            pending = env["scada.pending.clear"].search([("event_uid", "=", clear.event_uid)])
            self.assertEqual((pending.state, pending.report_id), ("applied", report))

    # -- another pull taking over ------------------------------------------------

    def test_another_pull_taking_over_between_batches(self):
        events = self.insert(*(self.raised(i) for i in range(6)), each=True)
        uids = [e.event_uid for e in events]
        # A (the cron) stops after its batch 1 commit; B (Pull now) takes the
        # source and stops inside its first batch, holding the source's row;
        # then A comes back and finds the source taken.
        a_between = Gate("cron", call=2, before=False)
        b_inside = Gate("button", call=2, before=True)
        with gates(a_between, b_inside):
            cron = Worker(self.pull, "cron")
            cron.start()
            a_between.wait_reached(cron)
            button = Worker(self.pull, "button")
            button.start()
            b_inside.wait_reached(button)
            a_between.go.set()
            a_result = cron.outcome()
            b_inside.go.set()
            b_result = button.outcome()
        self.assertFalse(a_result["error"] or b_result["error"], (a_result, b_result))
        self.assertTrue(a_result["skipped"])
        self.assertEqual(a_result["read"] + b_result["read"], 6, "no batch twice, none skipped")
        self.assertEqual((a_result["duplicate"], b_result["duplicate"]), (0, 0))
        self.assertEqual(self.count_reports(uids), {uid: 1 for uid in uids})
        states = sorted(log["state"] for log in self.logs())
        self.assertEqual(states, ["done", "taken_over"], "no crash, no line left running")
        source = self.source_values("state", "last_error")
        self.assertEqual((source["state"], source["last_error"]), ("ok", False))

    @mute_logger("odoo.sql_db")  # the conflict it provokes is logged as a bad query
    def test_a_run_taken_for_dead_between_batches_ends_quietly_as_taken_over(self):
        """Issue 18 point 9. B takes the source while A is between two batches; B's
        first step marks A's still "running" line as a dead run's and holds that row
        until its commit. A, finding the source taken, writes its line: it waits for B,
        then meets B's commit (a serialization failure). That was reported as a crash
        and put the source in error; a takeover is a normal end."""
        events = self.insert(*(self.raised(i) for i in range(6)), each=True)
        uids = [e.event_uid for e in events]
        a_between = Gate("cron", call=2, before=False)  # batch 1 committed
        b_first = Gate("button", call=1, before=True)  # A's line marked, not committed
        with gates(a_between, b_first):
            cron = Worker(self.pull, "cron")
            cron.start()
            a_between.wait_reached(cron)
            button = Worker(self.pull, "button")
            button.start()
            b_first.wait_reached(button)
            a_between.go.set()
            wait_until(
                lambda: self.lock_waiters() or not cron.is_alive(),
                "A's log line to wait on B's update of it (or A to end)",
            )
            b_first.go.set()
            a_result = cron.outcome()
            b_result = button.outcome()
        self.assertFalse(a_result["error"] or b_result["error"], (a_result, b_result))
        self.assertTrue(a_result["skipped"])
        self.assertEqual(a_result["read"] + b_result["read"], 6, "no batch twice, none skipped")
        self.assertEqual(self.count_reports(uids), {uid: 1 for uid in uids})
        logs = self.logs()
        self.assertEqual(sorted(log["state"] for log in logs), ["done", "taken_over"], logs)
        self.assertEqual([log["error"] for log in logs], [False, False], "no crash reported")
        source = self.source_values("state", "last_error")
        self.assertEqual((source["state"], source["last_error"]), ("ok", False))

    # -- the SCADA reader cursor follows the commit (issue 24) --------------------

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

        result = prune(conn, timedelta(hours=1), now=datetime.now(timezone.utc) + timedelta(days=1))
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
