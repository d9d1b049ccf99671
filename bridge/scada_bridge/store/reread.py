"""Reading rows again by id: the quarantine's Retry.

The reader moves its cursor past a row it cannot use and reports it once as a
rejected row. A person may then fix that row in the SCADA database (or learn
that it cannot be fixed). :func:`reread_rows` reads such rows by id with the
very decoding and event rules of :func:`~.reader.read_events`, so a fixed row
comes back as an event for the same ingest as the pull, and one still bad
comes back rejected with its present reason. It also returns each row's raw
values as the database prints them, for a person to look at.

Rows are read by id, not behind the cursor's horizon: they were committed
before the reader first saw them, and an update in a transaction still open
is simply not seen yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from psycopg2.extensions import connection as Connection

from ..errors import ConfigError
from ..events import CONTRACT_COLUMNS, Event
from .reader import _COLUMNS, READ_LIMIT, RejectedRow, _decode

#: A raw value longer than this is cut (a huge payload stays readable on a screen).
RAW_MAX_CHARS = 4000

_RAW = ", ".join(f"e.{column}::text" for column in CONTRACT_COLUMNS)
_REREAD_SQL = f"""
    SELECT {_COLUMNS}, {_RAW}
      FROM scada.equipment_failure e
     WHERE e.id = ANY(%(ids)s)
  ORDER BY e.id
"""


@dataclass(frozen=True)
class Reread:
    """What rows read again by id are now: events, still rejected, or gone."""

    events: tuple[Event, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()
    #: Ids no longer in the table (pruned or deleted by hand).
    missing: tuple[int, ...] = ()
    #: Each row found, by id: its contract columns as text (None for NULL).
    raw: Mapping[int, Mapping[str, str | None]] = field(default_factory=dict)


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= RAW_MAX_CHARS:
        return text
    return f"{text[:RAW_MAX_CHARS]}... ({len(text)} characters)"


def reread_rows(conn: Connection, ids: Iterable[int]) -> Reread:
    """The rows ``ids`` of ``scada.equipment_failure`` as the reader would hand them out now.

    A row that obeys the event rules comes back in ``events``, one that does
    not in ``rejected`` with its reason (same wording as the reader's), an id
    not in the table in ``missing``. The caller owns the transaction.
    """
    wanted = sorted({int(row_id) for row_id in ids})
    if len(wanted) > READ_LIMIT:
        raise ConfigError(f"{len(wanted)} rows asked for at once: read at most {READ_LIMIT}")
    if not wanted:
        return Reread()
    width = len(CONTRACT_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(_REREAD_SQL, {"ids": wanted})
        rows = cur.fetchall()
        decoded = [(_decode(row[:width], cur), row[width:]) for row in rows]
    events: list[Event] = []
    rejected: list[RejectedRow] = []
    raw: dict[int, dict[str, str | None]] = {}
    for outcome, texts in decoded:
        raw[outcome.id] = {
            name: _cut(text) for name, text in zip(CONTRACT_COLUMNS, texts, strict=True)
        }
        if isinstance(outcome, RejectedRow):
            rejected.append(outcome)
        else:
            events.append(outcome)
    missing = tuple(row_id for row_id in wanted if row_id not in raw)
    return Reread(tuple(events), tuple(rejected), missing, raw)
