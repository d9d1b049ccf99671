"""The sink's order and durability at the edges the outage tests do not reach (issue 24).

The outage tests make the database fail at INSERT time, where consuming the
spool before or after the COMMIT behaves the same, and flush the spool before
any new event arrives. These tests make the COMMIT itself fail (a deferred
constraint trigger on the throwaway database: the INSERT succeeds, the COMMIT
raises) and write a new event while the spool still holds events. Each says
which mutant of ``poller/sink.py`` it kills (checked by applying it by hand).
"""

from __future__ import annotations

import asyncio
import time

from scada_bridge.config import Database
from scada_bridge.poller.sink import EventSink
from scada_bridge.poller.spool import Spool

from tests.helpers import raised
from tests.poller_fixtures import rows

#: Rows with equipment 'boom' make the COMMIT fail while public.commit_fault says so:
#: a constraint trigger deferred to commit time, so every INSERT succeeds.
_FAIL_AT_COMMIT = """
CREATE TABLE public.commit_fault (failing boolean NOT NULL);
INSERT INTO public.commit_fault VALUES (true);
CREATE FUNCTION public.fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.equipment_code = 'boom' AND (SELECT failing FROM public.commit_fault) THEN
        RAISE EXCEPTION 'commit refused by the test fault';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER fail_at_commit AFTER INSERT ON scada.equipment_failure
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.fail_at_commit();
"""


def _sink(uri: str, state_dir) -> EventSink:
    return EventSink(Database(uri=uri, connect_timeout=2, retry_max=0.05), state_dir)


def _uids(uri: str) -> list[str]:
    return [
        r[0] for r in rows(uri, "SELECT event_uid::text FROM scada.equipment_failure ORDER BY id")
    ]


def _spool_state(state_dir) -> tuple[int, str, bytes]:
    """What a restart would find: events waiting, the offset file, the spool file."""
    offset = state_dir / "spool.offset"
    return (
        len(Spool(state_dir)),
        offset.read_text() if offset.exists() else "",
        (state_dir / "spool.jsonl").read_bytes(),
    )


async def _flush_until_empty(sink: EventSink) -> int:
    sent = 0
    for _ in range(200):  # the sink's retry delay is 0.05 s here: 10 s at most
        sent += sink.flush()
        if len(sink.spool) == 0:
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"spool not flushed: {len(sink.spool)} left")


def test_a_flush_whose_commit_fails_consumes_nothing_and_loses_nothing(
    tmp_path, scada_uri, scada_conn
):
    """Kills: the spool's lines consumed before the database COMMIT instead of after
    (``self.spool.consume(...)`` moved above ``self._conn.commit()`` in ``flush``)."""
    with scada_conn.cursor() as cur:
        cur.execute(_FAIL_AT_COMMIT)
    # Chunk 1 (events 0-999) commits; chunk 2 (1000-1999) holds 'boom': its COMMIT fails.
    events = [raised("boom" if i == 1500 else f"eq{i}", i) for i in range(2500)]
    Spool(tmp_path).append(events)
    sink = _sink(scada_uri, tmp_path)
    try:
        assert sink.flush() == 1000
        assert not sink.connected  # the failed commit counts as the database failing
        after_chunk_1 = _spool_state(tmp_path)
        assert after_chunk_1[0] == 1500
        assert len(_uids(scada_uri)) == 1000
        for _ in range(3):  # the same chunk fails at COMMIT again: nothing moves
            time.sleep(0.06)  # past the sink's retry delay
            assert sink.flush() == 0
            assert _spool_state(tmp_path) == after_chunk_1, "spool consumed without a commit"
            assert len(_uids(scada_uri)) == 1000
        with scada_conn.cursor() as cur:
            cur.execute("UPDATE public.commit_fault SET failing = false")
        assert asyncio.run(_flush_until_empty(sink)) == 1500
    finally:
        sink.close()
    assert _uids(scada_uri) == [e.event_uid for e in events]  # every one, once, in order
    assert _spool_state(tmp_path)[0] == 0


def test_a_write_whose_commit_fails_goes_to_the_spool_in_order(tmp_path, scada_uri, scada_conn):
    """The direct write path: a COMMIT that fails spools the events (nothing lost), a
    later event goes behind them although the database answers it, and all arrive in
    order once the fault clears. Also kills the dropped "spool is empty" check."""
    with scada_conn.cursor() as cur:
        cur.execute(_FAIL_AT_COMMIT)
    sink = _sink(scada_uri, tmp_path)
    first = [raised("eq0", 0), raised("boom", 1), raised("eq2", 2)]
    later = [raised("eq3", 3)]
    try:
        assert sink.write(first) == "spool"
        time.sleep(0.06)  # the database may be tried again: it would take 'later' directly
        assert sink.write(later) == "spool"  # behind the spooled ones, not straight in
        assert _uids(scada_uri) == []
        with scada_conn.cursor() as cur:
            cur.execute("UPDATE public.commit_fault SET failing = false")
        assert asyncio.run(_flush_until_empty(sink)) == 4
    finally:
        sink.close()
    assert _uids(scada_uri) == [e.event_uid for e in first + later]


def test_a_new_event_written_while_the_spool_holds_events_goes_behind_them(tmp_path, scada_uri):
    """Kills: a new event written straight to the database while spooled events wait
    (the ``len(self.spool) == 0`` check dropped from ``write``). The database answers
    all along; the spool holds events of an earlier outage not flushed yet."""
    waiting = [raised(f"eq{i}", i) for i in range(3)]
    Spool(tmp_path).append(waiting)
    sink = _sink(scada_uri, tmp_path)
    new = raised("eq9", 9)
    try:
        assert sink.write([new]) == "spool"
        assert _uids(scada_uri) == [], "written around the spool"
        assert len(sink.spool) == 4
        assert asyncio.run(_flush_until_empty(sink)) == 4
    finally:
        sink.close()
    assert _uids(scada_uri) == [e.event_uid for e in [*waiting, new]]
