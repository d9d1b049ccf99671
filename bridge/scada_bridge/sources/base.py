# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""What every event source is to the poller, and the bookkeeping they share.

The interface (:class:`EventSource`), four parts:

* start: ``await source.run(stop)`` runs until ``stop`` is set (connecting,
  reconnecting with backoff, one source's trouble never stalls another);
* events out: ``submit(events)`` (the poller's writer) - the one path to the
  SCADA database, the spool, the status table and the doorbell;
* acknowledge after durable: ``await submit(events, durable=True)`` resolves
  once the events are in the database or the spool; only then does a source
  acknowledge upstream (an MQTT PUBACK; an OPC UA source acknowledges nothing);
* status: ``source.statuses``, rows of ``scada.plc_status`` the writer keeps
  current (state ok / unreachable / error, last error).

Shared here: :class:`Conditions`, the raise/clear state of one source keyed by
(equipment, failure code), seeded from the failures the SCADA database holds
active; and :class:`Rejects`, the durable file where a message that is not an
event is kept before it is acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..events import CLEARED, RAISED, NewEvent
from ..store.plc_status import PlcStatus

_logger = logging.getLogger(__name__)

#: (device, equipment_code, failure_code): the sink's key of an active failure.
ActiveKey = tuple[str, str, str]


class Submit(Protocol):
    """The writer's ``submit``: queue events; with ``durable``, a future resolved when stored."""

    def __call__(
        self, events: list[NewEvent], *, durable: bool = False
    ) -> asyncio.Future[str] | None: ...


class EventSource(Protocol):
    """A source the poller runs: PLC register loops, OPC UA servers, MQTT brokers."""

    @property
    def name(self) -> str: ...

    @property
    def statuses(self) -> Sequence[PlcStatus]: ...

    async def run(self, stop: asyncio.Event) -> None: ...


async def durable(submit: Submit, events: list[NewEvent]) -> str:
    """Submit ``events`` and wait until they are durable: 'database' or 'spool'.

    Raises what the writer raised when it could make them durable nowhere (then
    nothing may be acknowledged upstream).
    """
    future = submit(events, durable=True)
    assert future is not None
    return await future


class Conditions:
    """Raise/clear state of one source's failures, by (equipment, failure code).

    Events carry ``payload.source = 'condition'`` (with ``protocol``), so the sink,
    ``prune`` and Odoo treat them as the register conditions: a raise stays active
    until its clear, and a restarted poller knows which are active.
    """

    def __init__(self, device: str, active: Mapping[ActiveKey, str]) -> None:
        self.device = device
        self.active: dict[tuple[str, str], str] = {
            (e, f): uid for (d, e, f), uid in active.items() if d == device
        }

    def is_active(self, equipment: str, code: str) -> bool:
        return (equipment, code) in self.active

    def raised(
        self,
        equipment: str,
        code: str,
        when: datetime,
        *,
        uid: str,
        payload: dict[str, Any],
        description: str | None,
        severity: str | None,
    ) -> NewEvent | None:
        """The raise event, or None when this failure is already active."""
        if (equipment, code) in self.active:
            return None
        event = NewEvent(
            kind=RAISED,
            equipment_code=equipment,
            occurred_at=when,
            failure_code=code,
            description=description,
            severity=severity,
            device=self.device,
            payload={"source": "condition", **payload},
            event_uid=uid,
        )
        self.active[(equipment, code)] = event.event_uid
        return event

    def cleared(
        self,
        equipment: str,
        code: str,
        when: datetime,
        *,
        uid: str,
        payload: dict[str, Any],
        description: str | None = None,
        severity: str | None = None,
    ) -> NewEvent | None:
        """The clear event, or None when this failure is not active."""
        raise_uid = self.active.pop((equipment, code), None)
        if raise_uid is None:
            return None
        return NewEvent(
            kind=CLEARED,
            raise_uid=raise_uid,
            equipment_code=equipment,
            occurred_at=when,
            failure_code=code,
            description=description,
            severity=severity,
            device=self.device,
            payload={"source": "condition", **payload},
            event_uid=uid,
        )


class StatusRows:
    """A source's rows of ``scada.plc_status``, added to the writer's list as they appear
    (a Sparkplug source learns its edge nodes and devices from their BIRTH)."""

    def __init__(self, host: str, port: int, into: list[PlcStatus] | None = None) -> None:
        self.host = host
        self.port = port
        self.into = into if into is not None else []
        self._rows: dict[str, PlcStatus] = {}

    def get(self, name: str) -> PlcStatus:
        row = self._rows.get(name)
        if row is None:
            row = self._rows[name] = PlcStatus(name, self.host, self.port)
            self.into.append(row)
        return row

    def names(self) -> list[str]:
        return list(self._rows)

    def all(self) -> list[PlcStatus]:
        return list(self._rows.values())


class Rejects:
    """Messages that are not events, kept (fsync) in ``rejected-<source>.jsonl`` of the
    state directory before they are acknowledged, one log line each."""

    def __init__(self, state_dir: Path | None, source: str) -> None:
        self.path = state_dir / f"rejected-{source}.jsonl" if state_dir else None
        self.source = source
        self.count = 0

    def keep(self, items: list[dict[str, Any]]) -> None:
        """Log and store ``items`` (each with a ``reason``); OSError when not stored."""
        for item in items:
            self.count += 1
            _logger.error(
                "%s: refused a message (%s): kept in %s; the messages after it go on",
                self.source,
                item["reason"],
                self.path,
            )
        if self.path is None or not items:
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
