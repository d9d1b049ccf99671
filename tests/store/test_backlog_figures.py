# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The backlog's figures are the waiting rows' own: how many, and when the oldest of
them was recorded and happened (the source form and the doctor show both).

Kills ``Backlog(count, oldest_recorded, oldest_occurred, ...)`` with
``oldest_occurred`` -> ``None`` in ``backlog`` (scripts/mutation.sh,
docs/testing.md): no test read ``oldest_occurred_at``; and, in ``_BACKLOG_SQL``,
``FILTER (WHERE tx >= horizon.h AND recorded_at ...)`` with ``OR``, which dated a
hold while nothing was held.
"""

from __future__ import annotations

from scada_bridge import START, backlog, insert_events, read_events

from tests.helpers import T0, raised


def _recorded(conn) -> list:
    with conn.cursor() as cur:
        cur.execute("SELECT recorded_at FROM scada.equipment_failure ORDER BY recorded_at")
        return [r[0] for r in cur.fetchall()]


def test_the_oldest_waiting_event_is_named_by_its_own_times(scada_conn):
    insert_events(scada_conn, [raised("later", n=30)])
    insert_events(scada_conn, [raised("first", n=-3600), raised("mid", n=5)])

    waiting = backlog(scada_conn, START)

    assert waiting.count == 3
    assert waiting.oldest_occurred_at == T0.replace(hour=T0.hour - 1)
    assert waiting.oldest_recorded_at == _recorded(scada_conn)[0]
    # Nothing holds the horizon: nothing waits behind it, so no "held since" either.
    assert (waiting.behind_horizon, waiting.oldest_behind_at, waiting.held_by) == (0, None, ())

    after = read_events(scada_conn, START).cursor
    done = backlog(scada_conn, after)
    assert (done.count, done.oldest_occurred_at, done.oldest_recorded_at) == (0, None, None)
