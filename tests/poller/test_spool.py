"""The local spool on its own: durable lines, order, a line cut by a crash, replay safety."""

from __future__ import annotations

import pytest
from scada_bridge.poller.spool import Spool
from scada_bridge.store.insert import insert_events

from tests.helpers import raised


def test_events_come_back_in_order_after_reopening(tmp_path):
    events = [raised(f"eq{i}", i, payload={"source": "condition", "n": i}) for i in range(5)]
    spool = Spool(tmp_path)
    spool.append(events[:2])
    spool.append(events[2:])
    again = Spool(tmp_path)  # a new process
    assert len(again) == 5
    back = again.read()
    assert [e.event_uid for e in back] == [e.event_uid for e in events]
    assert back[3] == events[3]  # every field, time zone and payload included
    again.clear()
    assert len(Spool(tmp_path)) == 0


def test_a_line_cut_by_a_crash_is_dropped_and_appending_continues(tmp_path, caplog):
    spool = Spool(tmp_path)
    first = raised("eq0")
    spool.append([first])
    with spool.path.open("a") as fh:
        fh.write('{"event_uid": "cut in the mid')  # the crash
    reopened = Spool(tmp_path)
    assert "cut line" in caplog.text
    second = raised("eq1", 1)
    reopened.append([second])
    assert [e.event_uid for e in reopened.read()] == [first.event_uid, second.event_uid]


def test_replaying_a_flushed_spool_adds_nothing(tmp_path, scada_conn):
    """A crash between the commit and emptying the spool sends the lines again."""
    spool = Spool(tmp_path)
    spool.append([raised("eq0"), raised("eq1", 1)])
    assert insert_events(scada_conn, spool.read()) == 2
    assert insert_events(scada_conn, spool.read()) == 0
    with scada_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        assert cur.fetchone()[0] == 2


def test_progress_survives_a_restart_and_lines_keep_their_numbers(tmp_path):
    """After a chunk is consumed, a new process starts after it (spool.offset), and a
    bad line further down is still named by its line number in the file."""
    spool = Spool(tmp_path)
    spool.append([raised(f"eq{i}", i) for i in range(4)])
    with spool.path.open("a") as fh:
        fh.write("not json\n")  # line 5
    last = raised("eq5", 5)
    Spool(tmp_path).append([last])
    first = next(Spool(tmp_path).chunks(max_events=2))
    again = Spool(tmp_path)
    again.consume(first)
    reopened = Spool(tmp_path)
    assert len(reopened) == 4  # 2 events, the bad line, 1 event
    (chunk,) = list(reopened.chunks())
    assert [e.equipment_code for e in chunk.events] == ["eq2", "eq3", "eq5"]
    assert [(number, text) for number, text, _ in chunk.bad] == [(5, "not json")]
    reopened.consume(chunk)
    assert Spool(tmp_path).path.read_text() == "" and len(Spool(tmp_path)) == 0


def test_progress_that_cannot_be_recorded_sends_the_chunk_again_never_skips_one(tmp_path):
    """Disk trouble while recording progress (a directory where spool.offset goes):
    the chunk counts as not sent, so it is sent again (a duplicate the database
    ignores) rather than lines being skipped."""
    spool = Spool(tmp_path)
    events = [raised(f"eq{i}", i) for i in range(3)]
    spool.append(events)
    spool.offset_path.mkdir()
    first = next(spool.chunks(max_events=1))
    with pytest.raises(OSError):
        spool.consume(first)
    assert len(spool) == 3 and spool.read() == events
    everything = next(spool.chunks())
    with pytest.raises(OSError):  # the last chunk empties the file: offset first, too
        spool.consume(everything)
    assert len(spool) == 3 and spool.read() == events
    spool.offset_path.rmdir()
    spool.consume(first)
    assert spool.read() == events[1:] and Spool(tmp_path).read() == events[1:]
