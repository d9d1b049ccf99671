"""Several writers committing out of order while a reader pulls: every event exactly once."""

from __future__ import annotations

import random
import threading
import time

from scada_bridge import START, connect, insert_events, read_events

from tests.helpers import raised

WRITERS = 4
EVENTS_PER_WRITER = 1300  # 5,200 in all
DEADLINE_S = 120


def _writer(uri: str, index: int, uids: list[str], errors: list[BaseException]) -> None:
    rnd = random.Random(index)
    try:
        conn = connect(uri)
        left = EVENTS_PER_WRITER
        while left:
            n = min(left, rnd.randint(1, 25))
            batch = [raised(f"w{index}", n=i) for i in range(n)]
            insert_events(conn, batch)
            # Hold the transaction open a random while: ids are taken now,
            # visibility comes at commit, so commits land out of id order.
            time.sleep(rnd.uniform(0, 0.012))
            conn.commit()
            uids.extend(e.event_uid for e in batch)
            left -= n
        conn.close()
    except BaseException as exc:  # surfaced by the test thread below
        errors.append(exc)


def test_every_event_is_read_exactly_once_while_writers_commit_out_of_order(scada_uri):
    written: list[list[str]] = [[] for _ in range(WRITERS)]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_writer, args=(scada_uri, i, written[i], errors), daemon=True)
        for i in range(WRITERS)
    ]
    for t in threads:
        t.start()

    reader = connect(scada_uri, autocommit=True)
    seen: list[str] = []
    cursor = START
    deadline = time.monotonic() + DEADLINE_S
    total = WRITERS * EVENTS_PER_WRITER
    batches = 0
    while time.monotonic() < deadline:
        batch = read_events(reader, cursor, limit=37)
        assert batch.rejected == ()
        seen += [e.event_uid for e in batch.events]
        cursor = batch.cursor
        batches += 1
        if len(seen) >= total and not any(t.is_alive() for t in threads):
            break
        if not batch.has_more:
            time.sleep(0.002)
    for t in threads:
        t.join(timeout=10)
    reader.close()

    assert not errors, errors
    assert batches > 50, "the reader should have pulled while the writers wrote"
    everything = [uid for uids in written for uid in uids]
    assert len(everything) == total
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert set(seen) == set(everything), f"{len(set(everything) - set(seen))} event(s) never read"
