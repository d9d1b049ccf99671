"""The local durable spool: events that could not reach the SCADA database yet.

One append-only file of JSON lines (``spool.jsonl`` in the state directory),
each line one event, written and ``fsync``-ed before :meth:`Spool.append`
returns. Lines are flushed to the database in file order, then the file is
emptied. A crash between the database commit and emptying the file replays
the lines at the next flush; ``ON CONFLICT (event_uid) DO NOTHING`` makes that
replay harmless.

A line cut short by a crash mid-write is dropped at open (it was never
reported durable, so nobody relied on it) and logged.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..events import NewEvent, event_fields

_logger = logging.getLogger(__name__)

FILE_NAME = "spool.jsonl"


def event_to_json(event: NewEvent) -> dict[str, Any]:
    data = event_fields(event)
    data["occurred_at"] = event.occurred_at.isoformat()
    return data


def event_from_json(data: dict[str, Any]) -> NewEvent:
    return NewEvent(
        kind=data["kind"],
        equipment_code=data["equipment_code"],
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        failure_code=data.get("failure_code"),
        description=data.get("description"),
        severity=data.get("severity"),
        raise_uid=data.get("raise_uid"),
        device=data.get("device"),
        payload=data.get("payload"),
        event_uid=data["event_uid"],
    )


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_state_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"state directory {path} is not writable ({exc.strerror}): create it for the "
            "poller's user or set [poller] state_dir"
        ) from None


class Spool:
    """Append-only, fsync-ed event file, read back in order."""

    def __init__(self, state_dir: Path) -> None:
        ensure_state_dir(state_dir)
        self.path = state_dir / FILE_NAME
        self._count = 0
        if not self.path.exists():
            self.path.touch()
            fsync_dir(state_dir)
        self._repair()
        with self.path.open("rb") as fh:
            self._count = sum(1 for line in fh if line.strip())

    def __len__(self) -> int:
        return self._count

    def _repair(self) -> None:
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            _logger.warning(
                "spool %s ended in a cut line (crash while writing): dropping its last %d bytes",
                self.path,
                len(data) - keep,
            )
            with self.path.open("r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())

    def append(self, events: list[NewEvent]) -> None:
        """Write events to disk; they are durable when this returns."""
        if not events:
            return
        lines = "".join(
            json.dumps(event_to_json(e), ensure_ascii=False, separators=(",", ":")) + "\n"
            for e in events
        )
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        self._count += len(events)

    def read(self) -> list[NewEvent]:
        """Every spooled event, oldest first; an unreadable line is logged and skipped."""
        events = []
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    events.append(event_from_json(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    _logger.error(
                        "spool %s line %d is not an event (%s): skipped; the line stays in %s",
                        self.path,
                        number,
                        exc,
                        self.path.with_suffix(".rejected"),
                    )
                    with self.path.with_suffix(".rejected").open("a", encoding="utf-8") as bad:
                        bad.write(line)
        return events

    def clear(self) -> None:
        """Empty the spool, after its events were committed to the database."""
        with self.path.open("r+b") as fh:
            fh.truncate(0)
            fh.flush()
            os.fsync(fh.fileno())
        self._count = 0
