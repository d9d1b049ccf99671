"""Reading events in order without ever skipping one: the call Odoo pulls with.

``WHERE id > last_id`` loses rows, because ids are taken at insert but rows
become visible at commit, and two writers can commit out of order. This reader
keeps a cursor ``(tx, id)`` and only reads rows whose writer transaction is
older than every transaction still running in this database, so a row can be
late but never skipped. A long-running writer delays the rows behind it; it
never loses them.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg2.extensions
from psycopg2.extensions import connection as Connection

from ..errors import ConfigError
from ..events import CONTRACT_COLUMNS, Event, describe_problems, event_problems
from .horizon import HORIZON_CTE, HorizonHolder, check_position, execute, horizon_holders

_logger = logging.getLogger(__name__)

#: Most events one read_events() call returns (Odoo sizes its batches below it).
READ_LIMIT = 100_000


@dataclass(frozen=True, order=True)
class Cursor:
    """Position after the last event read: writer transaction, then id."""

    tx: int = 0
    id: int = 0

    def __str__(self) -> str:
        return f"{self.tx}:{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        """Read the ``tx:id`` form printed by ``scada-bridge events``; empty means start."""
        if text is None or not str(text).strip():
            return cls()
        parts = str(text).strip().split(":")
        try:
            tx, id_ = (int(p) for p in parts)
        except ValueError:
            raise ConfigError(
                f"cursor {text!r} is not valid: expected 'TX:ID' as printed after "
                "'next-cursor:' (e.g. 7401:12), or nothing to start from the beginning"
            ) from None
        if tx < 0 or id_ < 0:
            raise ConfigError(f"cursor {text!r} is not valid: TX and ID are never negative")
        return cls(tx, id_)


#: The cursor before the first event: read from the beginning.
START = Cursor()


@dataclass(frozen=True)
class RejectedRow:
    """A row the reader could not turn into an event, and why."""

    id: int
    event_uid: str | None
    reason: str


@dataclass(frozen=True)
class Batch:
    events: tuple[Event, ...]
    rejected: tuple[RejectedRow, ...]
    cursor: Cursor
    #: True when the batch was full: more rows may be ready right now.
    has_more: bool

    @property
    def rows(self) -> int:
        return len(self.events) + len(self.rejected)


#: Rows waiting behind a transaction longer than this are held back: a writer's own
#: transaction lasts milliseconds, a minute means it is stuck (Odoo notes it on the
#: source, the doctor's horizon row fails).
HELD_BACK_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class HeldBack:
    """Committed events waiting behind a transaction still open: how many, how long,
    who holds them and what ends the hold. One wording for the doctor and Odoo."""

    count: int
    #: How long the oldest of them has waited.
    waited: timedelta
    holders: tuple[HorizonHolder, ...]
    #: When the hold began: the earliest holder's start, else the oldest row's record.
    since: datetime

    @property
    def stuck(self) -> bool:
        """Waiting for :data:`HELD_BACK_AFTER` or longer: worth telling a person."""
        return self.waited >= HELD_BACK_AFTER

    @property
    def holding(self) -> str:
        """``pid 42 (user 'x', ...), idle in transaction since 2026-03-01 10:00:00 UTC``."""
        who = "; ".join(str(holder) for holder in self.holders)
        return (
            f"{who or 'a transaction that just ended'} "
            f"since {self.since.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
        )

    @property
    def fix(self) -> str:
        """What ends the hold (the first holder's), or "" when it just ended."""
        return self.holders[0].fix if self.holders else ""

    @property
    def note(self) -> str:
        """One line to store and show: ``N event(s) held back by <holding>: <fix>``."""
        fix = f": {self.fix}" if self.fix else ""
        return f"{self.count} event(s) held back by {self.holding}{fix}"


@dataclass(frozen=True)
class Backlog:
    """Committed rows after a cursor; those a running transaction holds back, and who."""

    count: int
    oldest_recorded_at: datetime | None
    oldest_occurred_at: datetime | None
    #: Rows committed but not readable yet: an older transaction still runs.
    behind_horizon: int = 0
    #: When the oldest of those was recorded: how long the hold has lasted.
    oldest_behind_at: datetime | None = None
    #: What holds them back (empty when nothing waits, or the holder just ended).
    held_by: tuple[HorizonHolder, ...] = ()

    def held_back(self, now: datetime | None = None) -> HeldBack | None:
        """The rows behind the horizon as :class:`HeldBack`, or None when none wait."""
        if not self.behind_horizon:
            return None
        now = now or datetime.now(timezone.utc)
        oldest = self.oldest_behind_at or now
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        since = min((h.since for h in self.held_by if h.since), default=oldest)
        return HeldBack(self.behind_horizon, now - oldest, self.held_by, since)


# Columns psycopg2 might fail to convert (a timestamp in year 10000 or BC, a
# jsonb number beyond Python's limits) come as text and are parsed here, so one
# such row from a foreign writer becomes a rejected row instead of an exception
# at the same cursor on every pull.
_AS_TEXT = {"occurred_at", "recorded_at", "payload", "tx"}
_COLUMNS = ", ".join(f"{c}::text AS {c}" if c in _AS_TEXT else c for c in CONTRACT_COLUMNS)

# Row comparison (tx, id) > (a, b) walks equipment_failure_tx_id_idx. ORDER BY
# names the table's columns: a bare "tx" would sort by the text output column
# of the same name, and '10000' < '9999' returned rows out of order (read twice,
# or skipped for good) whenever the transaction counter passed a power of ten.
_READ_SQL = f"""
    {HORIZON_CTE}
    SELECT {_COLUMNS}
      FROM scada.equipment_failure e, horizon
     WHERE (e.tx, e.id) > (%(tx)s::text::xid8, %(id)s)
       AND e.tx < horizon.h
  ORDER BY e.tx, e.id
     LIMIT %(n)s
"""

# Times outside what Python represents are left out of the oldest-event figures.
_SANE = "BETWEEN '0001-01-02' AND '9999-12-30'"
_BACKLOG_SQL = f"""
    {HORIZON_CTE}
    SELECT count(*),
           min(recorded_at) FILTER (WHERE recorded_at {_SANE}),
           min(occurred_at) FILTER (WHERE occurred_at {_SANE}),
           count(*) FILTER (WHERE tx >= horizon.h),
           min(recorded_at) FILTER (WHERE tx >= horizon.h AND recorded_at {_SANE})
      FROM scada.equipment_failure, horizon
     WHERE (tx, id) > (%(tx)s::text::xid8, %(id)s)
"""

_PARSE_TIME = psycopg2.extensions.string_types[1184]  # psycopg2's own timestamptz parser
_INFINITE = ("infinity", "-infinity")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is too large")
    return value


_JSON = json.JSONDecoder(parse_float=_finite_float)


def _decode(row: tuple, cur: Any) -> Event | RejectedRow:
    """A row as an Event, or as a RejectedRow saying why it cannot be one.

    Never raises for what the row holds: whatever a foreign writer put in the
    columns (a 5,000-deep payload that makes the JSON parser recurse, a time
    Python cannot hold, a code over :data:`TEXT_LIMITS`) becomes a rejected row,
    and the rows behind it keep flowing.
    """
    record = dict(zip(CONTRACT_COLUMNS, row, strict=True))
    uid = record["event_uid"]
    try:
        problem = _parse(record, cur) or describe_problems(event_problems(record))
        if not problem:
            return Event(**record)
    except Exception as exc:  # any failure of the content is the row's, not the pull's
        problem = f"the row cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
    return RejectedRow(record["id"], str(uid) if uid is not None else None, problem)


def _parse(record: dict[str, Any], cur: Any) -> str | None:
    """Turn the text columns of ``record`` into values in place; what made it unreadable."""
    record["tx"] = int(record["tx"])
    for key in ("event_uid", "raise_uid"):
        if record[key] is not None:
            record[key] = str(record[key])
    for key in ("occurred_at", "recorded_at"):
        text = record[key]
        try:
            if text in _INFINITE:
                raise ValueError(f"{text} is not a time")
            record[key] = _PARSE_TIME(text, cur)
        except (ValueError, OverflowError) as exc:
            return f"{key} {text!r} cannot be read as a time ({exc})"
    if record["payload"] is not None:
        try:
            record["payload"] = _JSON.decode(record["payload"])
        except RecursionError:
            return "payload cannot be read (nested too deep for the reader)"
        except ValueError as exc:
            return f"payload cannot be read ({str(exc)[:120]})"
    return None


def read_events(conn: Connection, cursor: Cursor = START, limit: int = 1000) -> Batch:
    """The next events after ``cursor``, in order, and the cursor after them.

    Only rows of transactions finished before every transaction still running
    are returned, so repeating the call with the returned cursor never skips
    nor repeats a row. Rows breaking the event rules come back in ``rejected``
    (with the cursor moved past them) instead of stopping the rows behind.
    The caller owns the transaction; with autocommit off each call should be
    followed by commit or rollback so the next call sees new rows.
    """
    if not 1 <= limit <= READ_LIMIT:
        raise ConfigError(f"batch limit {limit} is out of range: use 1 to {READ_LIMIT}")
    position = check_position(conn, cursor.tx, str(cursor))
    rows = execute(conn, _READ_SQL, position.params(tx=str(cursor.tx), id=cursor.id, n=limit))
    events: list[Event] = []
    rejected: list[RejectedRow] = []
    with conn.cursor() as cur:  # only lends the connection's time zone to the parser
        decoded = [_decode(row, cur) for row in rows]
    for outcome in decoded:
        if isinstance(outcome, RejectedRow):
            _logger.warning("rejected row id=%s: %s", outcome.id, outcome.reason)
            rejected.append(outcome)
        else:
            events.append(outcome)
    next_cursor = (
        Cursor(int(rows[-1][CONTRACT_COLUMNS.index("tx")]), rows[-1][0]) if rows else cursor
    )
    return Batch(tuple(events), tuple(rejected), next_cursor, len(rows) == limit)


def backlog(conn: Connection, cursor: Cursor = START) -> Backlog:
    """How many committed rows wait after ``cursor``, the oldest one's age, and, when
    some of them wait behind the horizon, what holds it (``held_by``).

    One index range scan with no row decoding: cheap enough for a status screen.
    Raises :class:`CursorAhead` and :class:`StandbyRefused` like :func:`read_events`.
    """
    position = check_position(conn, cursor.tx, str(cursor))
    [(count, oldest_recorded, oldest_occurred, behind, oldest_behind)] = execute(
        conn, _BACKLOG_SQL, position.params(tx=str(cursor.tx), id=cursor.id)
    )
    held_by = tuple(horizon_holders(conn, position)) if behind else ()
    return Backlog(count, oldest_recorded, oldest_occurred, behind, oldest_behind, held_by)
