# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""insert_events says how many rows were new, across its pages, and stores "no
payload" as SQL NULL (what other programs reading the contract see).

Kills in ``insert_events`` (scripts/mutation.sh, docs/testing.md): ``return 0`` ->
``return 1`` for no events; ``inserted += cur.rowcount`` -> ``=`` and
``page_size=_PAGE`` dropped (both count only the last page); and
``Json(e.payload) if e.payload is not None`` -> always ``Json`` (a JSON null
instead of SQL NULL). No test inserted more than one page in one call.
"""

from __future__ import annotations

from scada_bridge import insert_events

from tests.helpers import raised


def test_no_events_insert_nothing_and_say_so(scada_conn):
    assert insert_events(scada_conn, []) == 0


def test_the_count_is_every_new_row_across_pages(scada_conn):
    events = [raised(f"e{i}", n=i) for i in range(1201)]  # 3 pages of 500
    assert insert_events(scada_conn, events) == 1201
    assert insert_events(scada_conn, [*events, raised("new")]) == 1  # a replay adds one
    with scada_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scada.equipment_failure")
        assert cur.fetchone()[0] == 1202


def test_an_event_without_payload_is_stored_as_sql_null(scada_conn):
    insert_events(scada_conn, [raised("bare"), raised("full", payload={"word": 3})])
    with scada_conn.cursor() as cur:
        cur.execute(
            "SELECT equipment_code, payload IS NULL FROM scada.equipment_failure ORDER BY id"
        )
        assert cur.fetchall() == [("bare", True), ("full", False)]
