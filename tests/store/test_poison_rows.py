"""Whatever the table's column types can hold is an event or a rejected row with its
reason, never an exception of the reader (issue 18 points 2 and 3)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scada_bridge import START, TEXT_LIMITS, Event, RejectedRow, insert_events, read_events

from tests.helpers import insert_raw, raised


def _read_around(scada_conn, **columns):
    """Insert a good row, the given raw row, a good row; read them all in one batch."""
    insert_events(scada_conn, [raised("before")])
    bad_id = insert_raw(scada_conn, **columns)
    insert_events(scada_conn, [raised("after")])
    batch = read_events(scada_conn, START, limit=10)
    assert [e.equipment_code for e in batch.events] == ["before", "after"]
    [rejected] = batch.rejected
    assert rejected.id == bad_id
    return rejected


@pytest.mark.parametrize("depth", [990, 5_000])  # about Python's recursion limit; far past it
def test_a_payload_nested_thousands_deep_is_a_rejected_row(scada_conn, depth):
    """5,000 levels made the JSON parser raise RecursionError: the pull stopped there."""
    rejected = _read_around(scada_conn, payload="[" * depth + "]" * depth)
    assert rejected.reason.startswith("payload"), rejected.reason
    assert "nested" in rejected.reason


def test_a_payload_deeper_than_the_limit_is_rejected_with_it(scada_conn):
    rejected = _read_around(scada_conn, payload='{"a": ' * 150 + "1" + "}" * 150)
    assert rejected.reason == "payload is nested more than 100 levels deep"


@pytest.mark.parametrize("field", ["equipment_code", "failure_code", "device", "description"])
def test_a_code_or_text_over_the_shared_limit_is_rejected_naming_field_and_limit(scada_conn, field):
    limit = TEXT_LIMITS[field]
    rejected = _read_around(scada_conn, **{field: "x" * 3_200 if limit < 3_200 else "x" * 4_001})
    assert f"{field} is longer than {limit} characters" in rejected.reason
    assert len(rejected.reason) < 200  # one line, not the text itself


def test_a_text_at_the_limit_is_an_event(scada_conn):
    insert_raw(scada_conn, equipment_code="e" * 128, description="d" * 4_000)
    [event] = read_events(scada_conn).events
    assert len(event.equipment_code) == 128 and len(event.description) == 4_000


# -- the rule, for any row a foreign writer can write ------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
_LONG = st.integers(0, 6_000).map(lambda n: "é" * n)
_TEXTS = st.one_of(st.none(), _TEXT, _LONG)
_TIMES = st.one_of(
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)).map(
        lambda t: t.isoformat(sep=" ") + "+00"
    ),
    st.sampled_from(["infinity", "-infinity", "0044-03-15 00:00+00 BC", "294276-12-31 00:00+00"]),
    st.sampled_from(["0001-01-01 00:00+14", "9999-12-31 23:59:59-12"]),
)
_JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        _TEXT,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_TEXT, inner, max_size=3)),
    max_leaves=10,
)
_PAYLOADS = st.one_of(
    st.none(),
    _JSON_VALUES.map(json.dumps),
    st.integers(1, 6_000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 1_000).map(lambda n: '{"v": ' + "9" * n + "}"),
    st.integers(300, 400).map(lambda n: f'{{"v": 1e{n}}}'),
)
_ROWS = st.fixed_dictionaries(
    {
        "kind": st.one_of(st.sampled_from(["raised", "cleared"]), _TEXT, _LONG),
        "equipment_code": st.one_of(_TEXT, _LONG),
    },
    optional={
        "raise_uid": st.one_of(st.none(), st.uuids().map(str)),
        "failure_code": _TEXTS,
        "description": _TEXTS,
        "severity": st.one_of(st.none(), st.sampled_from(["low", "critical"]), _TEXT),
        "device": _TEXTS,
        "occurred_at": _TIMES,
        "recorded_at": _TIMES,
        "payload": _PAYLOADS,
        "tx": st.integers(1, 2**62).map(str),
    },
)


_CURSORS: dict[str, object] = {}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(_ROWS, min_size=1, max_size=4))
def test_any_row_the_column_types_allow_is_an_event_or_a_rejected_row(scada_uri, rows):
    """Inserted as a foreign writer could (tx included), read one row per batch: each
    row comes out once, as an Event or a one-line RejectedRow, and nothing raises."""
    from scada_bridge import connect

    writer = connect(scada_uri, autocommit=True)
    cursor = _CURSORS.get(scada_uri, START)  # the rows of earlier examples are read
    try:
        ids = [insert_raw(writer, **row) for row in rows]
        seen: list[Event | RejectedRow] = []
        for _ in range(len(rows) + 1):
            batch = read_events(writer, cursor, limit=1)
            seen += [*batch.events, *batch.rejected]
            cursor = batch.cursor
            if not batch.has_more:
                break
        _CURSORS[scada_uri] = cursor
        assert sorted(item.id for item in seen) == sorted(ids)
        for item in seen:
            assert isinstance(item, Event | RejectedRow)
            if isinstance(item, RejectedRow):
                assert item.reason and "\n" not in item.reason and len(item.reason) < 1000
            else:
                assert item.occurred_at.tzinfo is not None
                assert len(item.equipment_code) <= TEXT_LIMITS["equipment_code"]
    finally:
        writer.close()
