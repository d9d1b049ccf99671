# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""A cursor the server cannot have given out is refused by name, by the pull and by
the backlog alike: the person fixing it has to know which cursor to reset.

Kills ``check_position(conn, cursor.tx, str(cursor))`` -> ``None`` / ``str(None)`` in
``backlog`` (scripts/mutation.sh, docs/testing.md): the message then said
"None is ahead of ..." and no test read it.
"""

from __future__ import annotations

import pytest
from scada_bridge import Cursor, CursorAhead, backlog, insert_events, read_events

from tests.helpers import raised


def test_the_refusal_names_the_cursor_it_refuses(scada_conn):
    insert_events(scada_conn, [raised()])
    with scada_conn.cursor() as cur:
        cur.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        ahead = Cursor(int(cur.fetchone()[0]) + 1_000_000, 7)
    for call in (read_events, backlog):
        with pytest.raises(CursorAhead) as info:
            call(scada_conn, ahead)
        assert f"{ahead.tx}:7" in str(info.value), call.__name__
        assert "None" not in str(info.value), call.__name__
