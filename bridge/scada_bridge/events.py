"""What a failure event is, and the rules every event obeys wherever it comes from."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RAISED = "raised"
CLEARED = "cleared"
KINDS = (RAISED, CLEARED)
SEVERITIES = ("low", "medium", "high", "critical")


#: What an event carries from its first writer all the way into Odoo (the
#: table's own bookkeeping - id, recorded_at, tx - stays behind).
EVENT_FIELDS = (
    "event_uid",
    "kind",
    "raise_uid",
    "equipment_code",
    "failure_code",
    "description",
    "severity",
    "occurred_at",
    "device",
    "payload",
)


def event_fields(event: Event | NewEvent) -> dict[str, Any]:
    """The :data:`EVENT_FIELDS` of an event, as a dict (``occurred_at`` stays a datetime)."""
    return {name: getattr(event, name) for name in EVENT_FIELDS}


#: Columns of scada.equipment_failure that other programs may rely on: what an
#: event carries, plus the table's own bookkeeping.
CONTRACT_COLUMNS = ("id", *EVENT_FIELDS, "recorded_at", "tx")


@dataclass(frozen=True)
class Event:
    """One row of ``scada.equipment_failure`` as the reader hands it out."""

    id: int
    event_uid: str
    kind: str
    raise_uid: str | None
    equipment_code: str
    failure_code: str | None
    description: str | None
    severity: str | None
    occurred_at: datetime
    recorded_at: datetime
    device: str | None
    tx: int
    payload: Any = None

    def as_json(self) -> dict[str, Any]:
        """Every contract column, JSON-ready (times in ISO 8601 with offset)."""
        return {
            "id": self.id,
            "event_uid": self.event_uid,
            "kind": self.kind,
            "raise_uid": self.raise_uid,
            "equipment_code": self.equipment_code,
            "failure_code": self.failure_code,
            "description": self.description,
            "severity": self.severity,
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "device": self.device,
            "tx": self.tx,
            "payload": self.payload,
        }


@dataclass(frozen=True)
class NewEvent:
    """An event about to be written; ``event_uid`` is minted here, once."""

    kind: str
    equipment_code: str
    occurred_at: datetime
    failure_code: str | None = None
    description: str | None = None
    severity: str | None = None
    raise_uid: str | None = None
    device: str | None = None
    payload: Any = None
    event_uid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        problem = problem_with(
            self.kind, self.equipment_code, self.raise_uid, self.severity, self.occurred_at
        )
        if problem:
            raise ValueError(f"event {self.event_uid}: {problem}")


def problem_with(
    kind: Any,
    equipment_code: Any,
    raise_uid: Any,
    severity: Any,
    occurred_at: Any,
) -> str | None:
    """Why an event cannot be used, or None when it can. One rule set for everyone."""
    if kind not in KINDS:
        return f"unknown kind {kind!r} (expected 'raised' or 'cleared')"
    if not isinstance(equipment_code, str) or not equipment_code.strip():
        return "equipment_code is empty"
    if kind == CLEARED and not raise_uid:
        return "a 'cleared' event needs raise_uid (the event_uid of the raise it ends)"
    if kind == RAISED and raise_uid:
        return "a 'raised' event must not have a raise_uid"
    if severity is not None and severity not in SEVERITIES:
        return f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)})"
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        return "occurred_at must be a time with a time zone"
    return None
