"""The local durable spool: events that could not reach the SCADA database yet.

One append-only file of JSON lines (``spool.jsonl`` in the state directory),
each line one event, written and ``fsync``-ed before :meth:`Spool.append`
returns. Lines go to the database in file order, in bounded chunks
(:meth:`Spool.chunks`); after each chunk's commit, :meth:`Spool.consume`
records how far the file is done in ``spool.offset``, and once everything is
done the file is emptied. A crash between a commit and that record replays the
chunk at the next flush; ``ON CONFLICT (event_uid) DO NOTHING`` makes the
replay harmless.

Nothing is dropped silently:

* a line cut short by a crash mid-write is dropped at open (it was never
  reported durable, so nobody relied on it) and logged;
* a line that is not an event, and an event the database refuses for its
  content, go to ``spool.rejected`` (one JSON object per line: when, why, and
  the line or the event) once, when their chunk is consumed, with one log line.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..events import NewEvent, event_from_json, event_to_json

_logger = logging.getLogger(__name__)

FILE_NAME = "spool.jsonl"
OFFSET_NAME = "spool.offset"
REJECTED_NAME = "spool.rejected"

#: Events per chunk: one transaction, and what a flush holds in memory at once.
CHUNK_EVENTS = 1000
#: Bytes of spool lines per chunk, whichever limit comes first.
CHUNK_BYTES = 4 << 20


def _why(exc: Exception) -> str:
    """Why a spool line is not an event, in words."""
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at column {exc.colno})"
    return " ".join(str(exc).split()) or type(exc).__name__


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


@dataclass
class Chunk:
    """Consecutive spool lines: the events in them, the lines that are not events."""

    events: list[NewEvent] = field(default_factory=list)
    #: (line number, line text, why it is not an event)
    bad: list[tuple[int, str, str]] = field(default_factory=list)
    #: Byte offset just after the chunk's last line: what :meth:`Spool.consume` takes.
    end: int = 0
    #: Lines of the file the chunk covers (blank ones included).
    lines: int = 0


class Spool:
    """Append-only, fsync-ed event file, read back in order in bounded chunks."""

    def __init__(self, state_dir: Path) -> None:
        ensure_state_dir(state_dir)
        self.path = state_dir / FILE_NAME
        self.offset_path = state_dir / OFFSET_NAME
        self.rejected_path = state_dir / REJECTED_NAME
        if not self.path.exists():
            self.path.touch()
            fsync_dir(state_dir)
        self._repair()
        self._offset = self._read_offset()
        self._first_line = 1  # number of the line at self._offset, for messages
        self._count = 0
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            self._count = sum(1 for line in fh if line.strip())
        with self.path.open("rb") as fh:  # line numbers in messages count from the top
            left = self._offset
            while left > 0:
                block = fh.read(min(left, 1 << 20))
                if not block:
                    break
                self._first_line += block.count(b"\n")
                left -= len(block)

    def __len__(self) -> int:
        """Events (and unreadable lines) not sent yet."""
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

    def _read_offset(self) -> int:
        try:
            offset = int(self.offset_path.read_text("ascii").strip() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:
            _logger.warning(
                "%s is unreadable: the whole spool is sent again (duplicates are ignored)",
                self.offset_path,
            )
            return 0
        size = self.path.stat().st_size
        if not 0 <= offset <= size:
            return 0  # the spool was emptied after its last record of progress
        return offset

    def _write_offset(self, offset: int) -> None:
        tmp = self.offset_path.with_suffix(".tmp")
        with tmp.open("w", encoding="ascii") as fh:
            fh.write(str(offset))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.offset_path)
        fsync_dir(self.path.parent)

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

    def chunks(
        self, max_events: int = CHUNK_EVENTS, max_bytes: int = CHUNK_BYTES
    ) -> Generator[Chunk, None, None]:
        """The lines not sent yet, oldest first, at most ``max_events`` or ``max_bytes`` each.

        Reading has no side effect: a chunk counts as sent only once it is
        passed to :meth:`consume`.
        """
        with self.path.open("rb") as fh:
            fh.seek(self._offset)
            number = self._first_line
            chunk, size = Chunk(end=self._offset), 0
            for raw in fh:
                chunk.end += len(raw)
                chunk.lines += 1
                size += len(raw)
                if raw.strip():
                    text = raw.decode("utf-8", "replace")
                    try:
                        chunk.events.append(event_from_json(json.loads(text)))
                    except (ValueError, KeyError, TypeError) as exc:
                        chunk.bad.append((number, text.rstrip("\n"), _why(exc)))
                    if len(chunk.events) + len(chunk.bad) >= max_events or size >= max_bytes:
                        yield chunk
                        chunk, size = Chunk(end=chunk.end), 0
                number += 1
            if chunk.events or chunk.bad:
                yield chunk

    def read(self) -> list[NewEvent]:
        """Every spooled event not sent yet, oldest first (lines that are not events left out)."""
        return [event for chunk in self.chunks() for event in chunk.events]

    def consume(self, chunk: Chunk, refused: Sequence[tuple[NewEvent, str]] = ()) -> None:
        """Record that ``chunk`` is in the database (its commit is done).

        Its unreadable lines and the events the database ``refused`` (event,
        reason) are kept in ``spool.rejected`` first, once, with a log line each.
        """
        now = datetime.now(timezone.utc).isoformat()
        entries: list[dict[str, Any]] = []
        for number, text, reason in chunk.bad:
            _logger.error(
                "spool %s line %d is not an event (%s): kept in %s, the lines after it go on",
                self.path,
                number,
                reason,
                self.rejected_path,
            )
            entries.append({"rejected_at": now, "reason": reason, "line": text})
        self._keep_rejected(entries)
        self.reject(refused)
        if chunk.end >= self.path.stat().st_size:
            self.clear()
            return
        # On disk first, then in memory: a failed write leaves the chunk to be sent again.
        self._write_offset(chunk.end)
        self._offset = chunk.end
        self._first_line += chunk.lines
        self._count = max(0, self._count - len(chunk.events) - len(chunk.bad))

    def reject(self, refused: Sequence[tuple[NewEvent, str]]) -> None:
        """Keep events the database refused for their content in ``spool.rejected``."""
        now = datetime.now(timezone.utc).isoformat()
        self._keep_rejected(
            [{"rejected_at": now, "reason": why, "event": event_to_json(e)} for e, why in refused]
        )

    def _keep_rejected(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        with self.rejected_path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
            fh.flush()
            os.fsync(fh.fileno())

    def clear(self) -> None:
        """Empty the spool, after its events were committed to the database."""
        # The offset first: failing or crashing between the two sends the whole file
        # again (duplicates are ignored), never skips a line appended after it.
        if self._offset or self.offset_path.exists():
            self._write_offset(0)
        self._offset = 0
        with self.path.open("r+b") as fh:
            fh.truncate(0)
            fh.flush()
            os.fsync(fh.fileno())
        self._first_line = 1
        self._count = 0
