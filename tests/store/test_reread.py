"""Reading rejected rows again by id: a fixed row is an event, a bad one says why now."""

from __future__ import annotations

import pytest
from scada_bridge import START, ConfigError, insert_events, read_events, reread_rows

from tests.helpers import insert_raw, raised


def _fix(conn, row_id: int, **columns) -> None:
    """A person fixing a row by hand in the SCADA database."""
    sets = ", ".join(f"{name} = %s" for name in columns)
    with conn.cursor() as cur:
        cur.execute(
            f"UPDATE scada.equipment_failure SET {sets} WHERE id = %s",
            [*columns.values(), row_id],
        )


def test_a_row_fixed_since_it_was_rejected_comes_back_as_the_event(scada_conn):
    bad_id = insert_raw(scada_conn, severity="apocalyptic", failure_code="JAM")
    [rejected] = read_events(scada_conn, START).rejected
    assert rejected.id == bad_id

    _fix(scada_conn, bad_id, severity="critical")
    again = reread_rows(scada_conn, [bad_id])

    assert again.rejected == () and again.missing == ()
    [event] = again.events
    assert event.id == bad_id and event.event_uid == rejected.event_uid
    assert event.severity == "critical" and event.failure_code == "JAM"
    assert again.raw[bad_id]["severity"] == "critical"


def test_a_row_still_bad_stays_rejected_with_its_present_reason(scada_conn):
    bad_id = insert_raw(scada_conn, severity="apocalyptic")
    _fix(scada_conn, bad_id, severity="high", kind="exploded")
    again = reread_rows(scada_conn, [bad_id])
    assert again.events == ()
    [row] = again.rejected
    assert row.id == bad_id
    assert "unknown kind 'exploded'" in row.reason
    assert "severity" not in row.reason
    assert again.raw[bad_id]["kind"] == "exploded"


def test_a_row_psycopg2_cannot_convert_is_rejected_with_its_raw_text(scada_conn):
    bad_id = insert_raw(scada_conn, occurred_at="infinity")
    again = reread_rows(scada_conn, [bad_id])
    [row] = again.rejected
    assert "occurred_at 'infinity' cannot be read as a time" in row.reason
    assert again.raw[bad_id]["occurred_at"] == "infinity"


def test_rows_gone_from_the_table_are_missing_and_good_rows_unaffected(scada_conn):
    good = raised("silo102")
    insert_events(scada_conn, [good])
    [event] = read_events(scada_conn, START).events
    gone_id = insert_raw(scada_conn, kind="nonsense")
    with scada_conn.cursor() as cur:
        cur.execute("DELETE FROM scada.equipment_failure WHERE id = %s", [gone_id])
    again = reread_rows(scada_conn, [gone_id, event.id, event.id])
    assert again.missing == (gone_id,)
    assert [e.event_uid for e in again.events] == [good.event_uid]
    assert set(again.raw) == {event.id}


def test_a_huge_raw_value_is_cut_for_the_screen(scada_conn):
    bad_id = insert_raw(scada_conn, kind="nonsense", description="x" * 10_000)
    text = reread_rows(scada_conn, [bad_id]).raw[bad_id]["description"]
    assert text is not None and len(text) < 4100 and text.endswith("(10000 characters)")


def test_nothing_asked_reads_nothing_and_too_many_is_refused(scada_conn):
    assert reread_rows(scada_conn, []).events == ()
    with pytest.raises(ConfigError, match="at most"):
        reread_rows(scada_conn, range(100_001))
