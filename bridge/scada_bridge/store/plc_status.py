"""The per-PLC status the poller keeps in ``scada.plc_status`` (read by Odoo and ``doctor``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from psycopg2.extensions import connection as Connection
from psycopg2.extras import execute_values

OK = "ok"
UNREACHABLE = "unreachable"
ERROR = "error"
UNKNOWN = "unknown"

_UPSERT_SQL = """
    INSERT INTO scada.plc_status
        (device, host, port, state, state_since, last_poll_at, last_success_at,
         last_error, consecutive_failures, updated_at)
    VALUES %s
    ON CONFLICT (device) DO UPDATE SET
        host = EXCLUDED.host,
        port = EXCLUDED.port,
        state = EXCLUDED.state,
        state_since = EXCLUDED.state_since,
        last_poll_at = EXCLUDED.last_poll_at,
        last_success_at = COALESCE(EXCLUDED.last_success_at, scada.plc_status.last_success_at),
        last_error = EXCLUDED.last_error,
        consecutive_failures = EXCLUDED.consecutive_failures,
        updated_at = now()
"""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class PlcStatus:
    """What one PLC's poll loop last saw; ``changed`` marks a state change not yet written."""

    device: str
    host: str
    port: int
    state: str = UNKNOWN
    state_since: datetime | None = None
    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    changed: bool = True

    def success(self) -> bool:
        """Record a good poll; True when this is a change of state."""
        now = _now()
        self.last_poll_at = self.last_success_at = now
        self.consecutive_failures = 0
        return self._enter(OK, None, now)

    def failure(self, state: str, error: str) -> bool:
        """Record a failed poll; True when the state changed."""
        now = _now()
        self.last_poll_at = now
        self.consecutive_failures += 1
        return self._enter(state, error, now)

    def _enter(self, state: str, error: str | None, now: datetime) -> bool:
        self.last_error = error if error is not None else self.last_error
        if state == self.state:
            return False
        self.state = state
        self.state_since = now
        self.changed = True
        return True

    def snapshot(self) -> PlcStatus:
        return replace(self)


def write_status(conn: Connection, rows: Iterable[PlcStatus]) -> None:
    """Upsert status rows; does not commit."""
    values = [
        (
            r.device,
            r.host,
            r.port,
            r.state,
            r.state_since or _now(),
            r.last_poll_at,
            r.last_success_at,
            r.last_error,
            r.consecutive_failures,
            _now(),
        )
        for r in rows
    ]
    if not values:
        return
    with conn.cursor() as cur:
        execute_values(cur, _UPSERT_SQL, values)


_READ_SQL = """
    SELECT device, state, state_since, last_poll_at, last_success_at, last_error,
           consecutive_failures, host, port
      FROM scada.plc_status
     ORDER BY device
"""


@dataclass(frozen=True)
class PlcStatusRow:
    """One PLC's row of ``scada.plc_status``, as the doctor and Odoo read it."""

    device: str
    state: str
    state_since: datetime | None
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    #: Where the poller reads this PLC (its configuration), as it last wrote it.
    host: str | None = None
    port: int | None = None

    @property
    def address(self) -> str | None:
        """``host:port``, or None when the poller did not write it."""
        if not self.host:
            return None
        return f"{self.host}:{self.port}" if self.port else self.host


def read_status(conn: Connection) -> dict[str, PlcStatusRow]:
    """Every PLC's status row, by device name."""
    with conn.cursor() as cur:
        cur.execute(_READ_SQL)
        return {row[0]: PlcStatusRow(*row) for row in cur.fetchall()}
