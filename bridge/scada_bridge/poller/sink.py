"""Making events durable: in the SCADA database when it answers, else in the local spool.

Blocking code (psycopg2, fsync); the poller calls it from one worker thread at
a time, so nothing here is shared between threads.

Order is kept across outages: while the spool holds anything, new events are
appended behind it, and the spool is flushed to the database in file order,
in bounded chunks (one transaction each), before anything else is inserted
directly.

A database outage and a row the database refuses are told apart: a value it
cannot store (NaN or Infinity, which jsonb refuses) is stored as null with a
note, beside the raw registers already in the payload (:mod:`.storable`); an
event still refused for its content (a data or integrity error) goes to
``spool.rejected`` with one log line, and the events behind it go on. Only
connection and server errors count as "database down".

The sink also knows which condition failures are active (raised, not cleared)
so a restarted poller does not raise them a second time: from the database
plus the spool when the database answers at start, else from ``active.json``,
which it rewrites after every durable write.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

import psycopg2

from ..config import Database
from ..errors import ConfigError, DatabaseError, first_line
from ..events import CLEARED, RAISED, NewEvent
from ..store.connection import Keepalives, connect, parse_target
from ..store.insert import insert_events
from ..store.plc_status import PlcStatus, write_status
from ..store.schema import check_schema
from .spool import Spool, fsync_dir
from .storable import storable

#: Errors that say "this row", not "this database": the row is refused, the rest go on.
#: (psycopg2 raises ValueError itself for a NUL character in a string.)
CONTENT_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError, ValueError)
#: Chunks one flush sends at most, so the writer gets its turn during a long backlog.
FLUSH_CHUNKS = 20

_logger = logging.getLogger(__name__)

ACTIVE_FILE = "active.json"

#: (device, equipment_code, failure_code) of a status condition.
Key = tuple[str, str, str]

#: Open condition raises of the given PLCs, from scada.active_condition (migration
#: 0004: kept by a trigger on every insert), so the start reads one small row per
#: active failure however long the history. Each is checked against its raise and
#: the clear index: an entry a concurrent clear left behind is not taken as active.
_ACTIVE_SQL = """
    SELECT a.device, a.equipment_code, a.failure_code, a.raise_uid::text
      FROM scada.active_condition a
     WHERE a.device = ANY(%s)
       AND EXISTS (SELECT 1 FROM scada.equipment_failure r WHERE r.id = a.raise_id)
       AND NOT EXISTS (SELECT 1 FROM scada.equipment_failure c
                        WHERE c.raise_uid = a.raise_uid AND c.kind = 'cleared')
     ORDER BY a.raise_id
"""


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def condition_key(event: NewEvent) -> Key | None:
    """The condition an event belongs to, or None for mailbox records."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    if payload.get("source") != "condition":
        return None
    return (event.device or "", event.equipment_code, event.failure_code or "")


class EventSink:
    """Durable writes of events (database, else spool) and the active failures they imply."""

    def __init__(self, database: Database, state_dir: Path) -> None:
        self.database = database
        self.where = str(parse_target(database.uri))
        self.spool = Spool(state_dir)
        self.state_dir = state_dir
        self.active: dict[Key, str] = {}
        self._conn: psycopg2.extensions.connection | None = None
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._retry_delay = min(1.0, database.retry_max)
        self._last_error = ""

    # -- connection --------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def _connect(self) -> bool:
        """Connect when not connected and a retry is due; True when connected."""
        if self._conn is not None:
            return True
        if time.monotonic() < self._retry_at:
            return False
        try:
            conn = self._open()
            try:
                check_schema(conn, self.where)
                conn.commit()
            except BaseException:
                conn.close()
                raise
        except (DatabaseError, ConfigError, psycopg2.Error) as exc:
            self._failed(exc)
            return False
        self._conn = conn
        if self._down_since is not None:
            _logger.info(
                "SCADA %s reachable again after %.0f s",
                self.where,
                time.monotonic() - self._down_since,
            )
        self._down_since = None
        self._retry_delay = min(1.0, self.database.retry_max)
        return True

    def _open(self) -> psycopg2.extensions.connection:
        """Connect with a statement timeout, TCP keepalives and a TCP user timeout: a
        link that dies silently (no reset) fails the statement within seconds instead
        of hanging the writer."""
        timeout = self.database.connect_timeout
        return connect(
            self.database.uri,
            connect_timeout=timeout,
            application_name="scada-bridge poll",
            statement_timeout_ms=timeout * 2000,
            keepalives=Keepalives(
                idle=max(1, timeout), interval=1, count=3, user_timeout_ms=timeout * 2000
            ),
        )

    def _failed(self, exc: BaseException) -> None:
        text = first_line(exc)
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg2.Error:
                pass
            self._conn = None
        if self._down_since is None or text != self._last_error:
            _logger.warning(
                "SCADA database unusable (%s): events go to the spool %s and are sent in order "
                "once it answers; retrying every %g s at most",
                text,
                self.spool.path,
                self.database.retry_max,
            )
        else:
            _logger.debug("SCADA database still unusable: %s", text)
        if self._down_since is None:
            self._down_since = time.monotonic()
        self._last_error = text
        self._retry_at = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self.database.retry_max)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- start -------------------------------------------------------------

    def start(self, devices: Iterable[str]) -> None:
        """Learn the active failures (database + spool, else ``active.json``); flush the spool."""
        devices = list(devices)
        if self._connect():
            try:
                with self._conn.cursor() as cur:  # type: ignore[union-attr]
                    cur.execute(_ACTIVE_SQL, (devices,))
                    rows = cur.fetchall()
                self._conn.commit()  # type: ignore[union-attr]
            except psycopg2.Error as exc:
                self._failed(exc)
            else:
                self.active = {(d, e, f): uid for d, e, f, uid in rows}
                with contextlib.closing(self.spool.chunks()) as chunks:
                    for chunk in chunks:
                        self._apply(chunk.events)
                self._save_active()
                _logger.info(
                    "%d active failure(s) known from the SCADA database and %d spooled event(s)",
                    len(self.active),
                    len(self.spool),
                )
                self.flush()
                return
        self.active = self._load_active(devices)
        _logger.warning(
            "SCADA database not reachable at start: %d active failure(s) taken from %s",
            len(self.active),
            self.state_dir / ACTIVE_FILE,
        )

    def _apply(self, events: Iterable[NewEvent]) -> None:
        for event in events:
            key = condition_key(event)
            if key is None:
                continue
            if event.kind == RAISED:
                self.active[key] = event.event_uid
            elif event.kind == CLEARED and self.active.get(key) == event.raise_uid:
                del self.active[key]

    def _save_active(self) -> None:
        path = self.state_dir / ACTIVE_FILE
        tmp = path.with_suffix(".tmp")
        data = [
            {"device": d, "equipment": e, "failure_code": f, "raise_uid": u}
            for (d, e, f), u in self.active.items()
        ]
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(self.state_dir)

    def _load_active(self, devices: list[str]) -> dict[Key, str]:
        path = self.state_dir / ACTIVE_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
            return {
                (r["device"], r["equipment"], r["failure_code"]): r["raise_uid"]
                for r in data
                if r["device"] in devices
            }
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError) as exc:
            _logger.error("%s is unreadable (%s): starting with no active failures", path, exc)
            return {}

    # -- writing -----------------------------------------------------------

    def write(self, events: list[NewEvent]) -> str:
        """Make ``events`` durable, in order; return where they went: 'database' or 'spool'.

        An event the database refuses for its content is kept in
        ``spool.rejected`` (logged), not retried: it is not an outage.
        Raises OSError only when the database is down and the spool cannot be
        written either (disk full): then nothing is durable and the caller
        must not acknowledge anything.
        """
        if not events:
            return "database"
        events = [storable(e) for e in events]
        if len(self.spool) == 0 and self._connect():
            try:
                _, refused = self._insert(events)
                self._conn.commit()  # type: ignore[union-attr]
            except psycopg2.Error as exc:
                self._failed(exc)
            else:
                self.spool.reject(refused)
                self._apply(events)
                self._save_active()
                return "database"
        self.spool.append(events)
        self._apply(events)
        self._save_active()
        _logger.debug("spooled %d event(s); %d waiting", len(events), len(self.spool))
        return "spool"

    def _insert(self, events: list[NewEvent]) -> tuple[int, list[tuple[NewEvent, str]]]:
        """Insert ``events`` in order in a new transaction, left open for the caller to commit.

        Returns the number of new rows and the events refused for their
        content, each with the database's reason; any other error raises.
        """
        conn = self._conn
        assert conn is not None
        try:
            return insert_events(conn, events), []
        except CONTENT_ERRORS:
            conn.rollback()
        # One of them is refused: find which, one savepoint per event, order kept.
        inserted, refused = 0, []
        with conn.cursor() as cur:
            for event in events:
                cur.execute("SAVEPOINT one_event")
                try:
                    inserted += insert_events(conn, [event])
                except CONTENT_ERRORS as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT one_event")
                    refused.append((event, _reason(exc)))
                    _logger.error(
                        "SCADA database %s refused event %s (%s %s of PLC %r) for its content "
                        "(%s): kept in %s; the events after it go on",
                        self.where,
                        event.event_uid,
                        event.equipment_code,
                        event.failure_code,
                        event.device,
                        _reason(exc),
                        self.spool.rejected_path,
                    )
                else:
                    cur.execute("RELEASE SAVEPOINT one_event")
        return inserted, refused

    def flush(self, max_chunks: int = FLUSH_CHUNKS) -> int:
        """Send the spool to the database in order, a chunk per transaction; return events sent.

        A chunk is consumed from the spool only after its commit; the database
        failing in the middle leaves the chunks not committed where they were.
        """
        if len(self.spool) == 0 or not self._connect():
            return 0
        sent = new = 0
        with contextlib.closing(self.spool.chunks()) as chunks:
            for number, chunk in enumerate(chunks):
                if number >= max_chunks:
                    break
                try:
                    inserted, refused = self._insert([storable(e) for e in chunk.events])
                    self._conn.commit()  # type: ignore[union-attr]
                except psycopg2.Error as exc:
                    self._failed(exc)
                    break
                self.spool.consume(chunk, refused)
                sent += len(chunk.events)
                new += inserted
        if sent:
            _logger.info(
                "flushed %d spooled event(s) to the SCADA database in order (%d new); %d waiting",
                sent,
                new,
                len(self.spool),
            )
        return sent

    def write_status(self, rows: list[PlcStatus]) -> bool:
        """Upsert PLC status rows when the database answers; never spooled (it is current state)."""
        if not rows or not self._connect():
            return False
        try:
            write_status(self._conn, rows)
            self._conn.commit()  # type: ignore[union-attr]
        except CONTENT_ERRORS as exc:
            # A status row refused for its content (odd bytes in a PLC's error text) is
            # not a database outage: events keep going to the database.
            self._conn.rollback()  # type: ignore[union-attr]
            _logger.error(
                "SCADA database %s refused a PLC status row: %s", self.where, _reason(exc)
            )
            return False
        except psycopg2.Error as exc:
            self._failed(exc)
            return False
        return True
