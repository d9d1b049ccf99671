"""Writers committing out of order while a reader pulls: every event exactly once.

The stress tests tell a *lost* row (behind the final cursor, never read: the
reader skipped it for good) from a *late* one (after the cursor: the reader
would still get it). Their only deadline is the drain, and it starts when the
writers have finished; when they fail they print the horizon and who holds it.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import threading
import time

from scada_bridge import (
    START,
    Cursor,
    backlog,
    connect,
    horizon_holders,
    insert_events,
    read_events,
)
from scada_bridge.cli import main as cli

from tests.helpers import raised

#: Writers are joined with this bound only so a hang fails instead of blocking
#: the suite; the drain after them has its own.
WRITERS_JOIN_S = 600
DRAIN_S = 60


def _writer(uri: str, index: int, total: int, uids: list[str], errors: list) -> None:
    """Commit ``total`` events in random batches, out of id order on purpose."""
    rnd = random.Random(index)
    try:
        conn = connect(uri, application_name=f"test-writer-{index}")
        left = total
        while left:
            n = min(left, rnd.randint(1, 25))
            if rnd.random() < 0.3:
                # Take the transaction id first, insert later: this row's tx is
                # older but its ids newer than rows other writers commit meanwhile.
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_current_xact_id()")
                time.sleep(rnd.uniform(0, 0.01))
            batch = [raised(f"w{index}", n=i) for i in range(n)]
            insert_events(conn, batch)
            time.sleep(rnd.uniform(0, 0.012))  # visibility comes at commit
            conn.commit()
            uids.extend(e.event_uid for e in batch)
            left -= n
        conn.close()
    except BaseException as exc:  # surfaced by the test thread
        errors.append(exc)


def _start_writers(uri: str, count: int, each: int) -> tuple[list, list[list[str]], list]:
    written: list[list[str]] = [[] for _ in range(count)]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_writer, args=(uri, i, each, written[i], errors), daemon=True)
        for i in range(count)
    ]
    for t in threads:
        t.start()
    return threads, written, errors


def _join(threads: list[threading.Thread], errors: list) -> None:
    for t in threads:
        t.join(timeout=WRITERS_JOIN_S)
    assert not any(t.is_alive() for t in threads), f"writers still running after {WRITERS_JOIN_S} s"
    assert not errors, errors


def _verdict(conn, written: list[list[str]], seen: list[str], cursor: Cursor) -> str:
    """'' when every written event was read exactly once; else what went wrong."""
    everything = {uid for uids in written for uid in uids}
    twice = len(seen) - len(set(seen))
    missing = everything - set(seen)
    if not twice and not missing:
        return ""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT tx::text, id FROM scada.equipment_failure WHERE event_uid::text = ANY(%s)",
            (list(missing),),
        )
        places = [Cursor(int(tx), id_) for tx, id_ in cur.fetchall()]
    lost = sum(1 for p in places if p <= cursor)
    late = len(places) - lost
    pending = backlog(conn, cursor)
    holders = horizon_holders(conn)
    return (
        f"{twice} read twice, {lost} lost (behind the final cursor {cursor}), {late} late "
        f"(after it), {len(missing) - len(places)} not in the table; backlog {pending.count}, "
        f"{pending.behind_horizon} behind the horizon since {pending.oldest_behind_at}; "
        f"holders: {[str(h) for h in holders] or 'none'}"
    )


def _drain(conn, cursor: Cursor, seen: list[str], limit: int) -> Cursor:
    """Read until nothing is left after the cursor, for at most DRAIN_S seconds."""
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        batch = read_events(conn, cursor, limit=limit)
        seen += [e.event_uid for e in batch.events]
        cursor = batch.cursor
        if not batch.has_more and backlog(conn, cursor).count == 0:
            break
        if not batch.events:
            time.sleep(0.01)
    return cursor


def test_an_older_transaction_holds_newer_rows_back_then_they_all_come_once(scada_uri, scada_conn):
    """Deterministic: the cursor has moved; an older transaction stays open while
    newer ones commit; read; the older one commits (with ids *above* the newer
    rows'); read again."""
    insert_events(scada_conn, [raised("first")])
    batch = read_events(scada_conn, START)
    assert [e.equipment_code for e in batch.events] == ["first"]
    cursor = batch.cursor

    old = connect(scada_uri, application_name="older-writer")
    with old.cursor() as cur:
        cur.execute("SELECT pg_current_xact_id()")  # its tx is now older than the next ones
    insert_events(scada_conn, [raised("newer1")])
    insert_events(scada_conn, [raised("newer2")])

    held = read_events(scada_conn, cursor)
    assert held.events == () and held.cursor == cursor  # committed, yet not read: held
    pending = backlog(scada_conn, cursor)
    assert (pending.count, pending.behind_horizon) == (2, 2)
    assert [h.application for h in pending.held_by] == ["older-writer"]

    insert_events(old, [raised("older")])  # its id is above newer1's and newer2's
    old.commit()
    old.close()
    after = read_events(scada_conn, cursor)
    assert [e.equipment_code for e in after.events] == ["older", "newer1", "newer2"]
    assert after.events[0].id > after.events[2].id  # an id-based cursor would lose it
    assert read_events(scada_conn, after.cursor).events == ()
    assert backlog(scada_conn, after.cursor).count == 0


def test_every_event_is_read_exactly_once_while_writers_commit_out_of_order(scada_uri):
    threads, written, errors = _start_writers(scada_uri, count=4, each=1300)
    reader = connect(scada_uri, autocommit=True)
    seen: list[str] = []
    cursor = START
    reads_during_writes = 0
    while any(t.is_alive() for t in threads):  # read while they write
        batch = read_events(reader, cursor, limit=37)
        assert batch.rejected == ()
        seen += [e.event_uid for e in batch.events]
        cursor = batch.cursor
        reads_during_writes += bool(batch.events)
        if not batch.has_more:
            time.sleep(0.002)
    _join(threads, errors)
    cursor = _drain(reader, cursor, seen, limit=37)
    try:
        assert sum(map(len, written)) == 4 * 1300
        problem = _verdict(reader, written, seen, cursor)
        assert not problem, problem
    finally:
        reader.close()


def test_events_command_with_its_next_cursor_reads_each_event_once_under_load(scada_uri):
    """The report 'events --after next-cursor returned 9 of 6,000 events twice',
    as a user runs it: the command, its printed cursor, again, while 6 writers
    commit out of order."""

    def events(after: str, limit: int) -> tuple[list[str], str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli(["events", "--db", scada_uri, "--after", after, "--limit", str(limit)])
        assert status == 0, err.getvalue()
        uids = [json.loads(line)["event_uid"] for line in out.getvalue().splitlines()]
        [next_cursor] = [
            line.removeprefix("next-cursor: ")
            for line in err.getvalue().splitlines()
            if line.startswith("next-cursor: ")
        ]
        return uids, next_cursor

    rnd = random.Random(6)
    threads, written, errors = _start_writers(scada_uri, count=6, each=1000)
    seen: list[str] = []
    after = ""
    while any(t.is_alive() for t in threads):
        uids, after = events(after, rnd.randint(1, 200))
        seen += uids
    _join(threads, errors)
    reader = connect(scada_uri, autocommit=True)
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        uids, after = events(after, 500)
        seen += uids
        if not uids and backlog(reader, Cursor.parse(after)).count == 0:
            break
    try:
        assert sum(map(len, written)) == 6000
        problem = _verdict(reader, written, seen, Cursor.parse(after))
        assert not problem, problem
    finally:
        reader.close()
