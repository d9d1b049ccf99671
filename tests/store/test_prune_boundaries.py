# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""prune at its edges: exactly as old as the limit, a clear stored before its raise,
a foreign row of an unknown kind pointing at an active failure.

Each test names the mutant of scada_bridge/store/prune.py's SQL it kills
(scripts/mutation.sh, docs/testing.md): the rest of tests/store/test_prune.py
let those changes through.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scada_bridge import START, connect, insert_events, read_events, record_reader_cursor
from scada_bridge.store.prune import prune

from tests.helpers import cleared, insert_raw, raised

DAYS = timedelta(days=30)


def _left(conn) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT equipment_code, kind FROM scada.equipment_failure ORDER BY id")
        return cur.fetchall()


def _set_recorded(conn, when: datetime, uids=None) -> None:
    """Set recorded_at (the table's default is now()) of these events, or of every one."""
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE scada.equipment_failure SET recorded_at = %s "
            "WHERE %s OR event_uid::text = ANY(%s)",
            (when, uids is None, [str(u) for u in uids or []]),
        )


def _everything_read(conn) -> None:
    record_reader_cursor(conn, "odoo", read_events(conn, START, limit=1000).cursor)


def test_an_event_exactly_as_old_as_the_limit_is_kept(scada_uri, scada_conn):
    """Kills `recorded_at < %(before)s` -> `<=` (_OLD): "older than 30 days" is strict."""
    at_limit, older = raised("at_limit"), raised("older")
    insert_events(scada_conn, [at_limit, older])
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    _set_recorded(scada_conn, now - DAYS, [at_limit.event_uid])
    _set_recorded(scada_conn, now - DAYS - timedelta(microseconds=1), [older.event_uid])
    _everything_read(scada_conn)

    result = prune(connect(scada_uri), DAYS, now=now)

    assert result.before == now - DAYS
    assert result.deleted == 1
    assert _left(scada_conn) == [("at_limit", "raised")]


def test_a_clear_stored_before_its_raise_waits_for_its_raise(scada_uri, scada_conn):
    """Kills `WHEN e.kind = 'cleared'` -> `<>` and `AND NOT {_gone("r")}` -> `AND {_gone("r")}`
    (_BATCH_SQL): both delete an old clear whose raise came later and is still young,
    and the raise with it. A pushed clear may be stored before its raise (Odoo keeps
    such clears waiting); prune must keep both until the raise is gone too."""
    raise_ = raised("silo7", payload={"source": "condition"})
    clear = cleared(raise_)
    insert_events(scada_conn, [clear])  # the clear first, 40 days ago
    _set_recorded(scada_conn, datetime.now(timezone.utc) - timedelta(days=40))
    insert_events(scada_conn, [raise_])  # its raise today
    _everything_read(scada_conn)

    result = prune(connect(scada_uri), DAYS)

    assert result.deleted == 0
    assert _left(scada_conn) == [("silo7", "cleared"), ("silo7", "raised")]


def test_a_foreign_row_of_unknown_kind_does_not_end_an_active_failure(scada_uri, scada_conn):
    """Kills `c.kind = 'cleared'` -> `<>` (_BATCH_SQL, the active-failure test): only a
    clear ends a condition failure; a foreign writer's row of another kind pointing at
    the raise (kind is not constrained, on purpose) must not get the raise pruned."""
    active = raised("pump3", payload={"source": "condition"})
    insert_events(scada_conn, [active])
    insert_raw(scada_conn, kind="acknowledged", equipment_code="pump3", raise_uid=active.event_uid)
    _set_recorded(scada_conn, datetime.now(timezone.utc) - timedelta(days=40))
    _everything_read(scada_conn)

    result = prune(connect(scada_uri), DAYS)

    assert ("pump3", "raised") in _left(scada_conn)
    assert result.kept_active == 1


def test_a_clear_stored_before_its_raise_goes_with_it_even_one_event_per_batch(
    scada_uri, scada_conn
):
    """Kills `JOIN victims v ON v.kind = 'cleared'` -> `<>` (_BATCH_SQL): without the
    join, the clear (lower id) goes alone in the first batch and its raise, no longer
    ended by any clear, would stay forever as an active failure the poller restores."""
    raise_ = raised("silo8", payload={"source": "condition"})
    clear = cleared(raise_)
    insert_events(scada_conn, [clear])
    insert_events(scada_conn, [raise_])
    _set_recorded(scada_conn, datetime.now(timezone.utc) - timedelta(days=40))
    _everything_read(scada_conn)

    result = prune(connect(scada_uri), DAYS, batch=1)

    assert _left(scada_conn) == []
    assert result.deleted == 2 and result.kept_active == 0


def test_the_kept_active_count_counts_old_failures_without_a_clear(scada_uri, scada_conn):
    """Kills `AND NOT EXISTS` -> `AND EXISTS` and `c.raise_uid = e.event_uid` -> `<>`
    (_KEPT_ACTIVE_SQL): the figure prune prints ("N old active failure(s) kept") must
    count the old failure that is still active, whatever other clears the table holds."""
    active = raised("mixer1", payload={"source": "condition"})
    young = raised("mixer2", payload={"source": "condition"})
    insert_events(scada_conn, [active, young, cleared(young)])
    _set_recorded(scada_conn, datetime.now(timezone.utc) - timedelta(days=40), [active.event_uid])
    _everything_read(scada_conn)

    result = prune(connect(scada_uri), DAYS)

    assert result.deleted == 0
    assert result.kept_active == 1
