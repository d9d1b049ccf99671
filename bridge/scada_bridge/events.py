"""What a failure event is, the rules every event obeys, and its one JSON form.

* :func:`event_problems` is the one rule set: every problem of an event as
  ``(field, reason)`` pairs. The reader (rows of the table), :class:`NewEvent`
  (the poller), the push API and Odoo's ingest all ask it.
* :func:`event_to_json` / :func:`event_from_json` are the one JSON codec of an
  event (the poller's spool, ``scada-bridge events``, the push API's times and
  uids through :func:`time_from_json` and :func:`uid_from_json`).

Imports nothing else of the package.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

#: An event's ``kind``: a failure began ...
RAISED = "raised"
#: ... or ended (``raise_uid`` names the raise it clears).
CLEARED = "cleared"
#: Every kind an event may have.
KINDS = (RAISED, CLEARED)
#: Severities, lowest first (Odoo's selection field has the same values).
SEVERITIES = ("low", "medium", "high", "critical")

#: Longest text (in characters) accepted per field, one rule for every way in:
#: the reader (a longer code or text in the table is a rejected row), the push
#: API's parser, :class:`NewEvent`. Odoo indexes codes (a btree entry holds
#: about 2,700 bytes), so a 3,200-character code must never reach it. The push
#: API also bounds its request-only fields (``date``, ``duration``) here.
TEXT_LIMITS = {
    "event_uid": 64,
    "raise_uid": 64,
    "kind": 16,
    "equipment_code": 128,
    "failure_code": 128,
    "description": 4000,
    "severity": 16,
    "occurred_at": 64,
    "date": 64,
    "device": 128,
    "duration": 16,
}


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
        problems = event_problems(event_fields(self))
        if problems:
            raise ValueError(f"event {self.event_uid}: {describe_problems(problems)}")


#: One problem of an event: (field name, or None for the event as a whole; reason).
Problem = tuple[str | None, str]


def event_problems(event: Mapping[str, Any]) -> list[Problem]:
    """Every problem of an event, as ``(field, reason)`` pairs; empty when it can be used.

    ``event`` maps :data:`EVENT_FIELDS` to values (a missing key reads as
    None), ``occurred_at`` already a datetime. One rule set for every way in:
    the reader, :class:`NewEvent`, the push API, Odoo's ingest. Each reason is
    a phrase that names its field, so reasons joined by :func:`describe_problems` read
    as one line.

    Texts longer than :data:`TEXT_LIMITS` are refused, never cut: a code cut
    short would name another piece of equipment, and a description is refused
    for the same length the push API refuses (over 4,000 characters), so an
    event reads the same whichever way it comes.
    """
    problems: list[Problem] = []
    for name in _LIMITED:
        value = event.get(name)
        if isinstance(value, str) and len(value) > TEXT_LIMITS[name]:
            problems.append(
                (
                    name,
                    f"{name} is longer than {TEXT_LIMITS[name]} characters ({len(value):,})",
                )
            )
    too_long = {name for name, _reason in problems}  # not quoted again below
    kind = event.get("kind")
    if kind not in KINDS and "kind" not in too_long:
        problems.append(("kind", f"unknown kind {kind!r} (expected 'raised' or 'cleared')"))
    equipment_code = event.get("equipment_code")
    if not isinstance(equipment_code, str) or not equipment_code.strip():
        problems.append(("equipment_code", "equipment_code is empty"))
    for name in ("event_uid", "raise_uid"):
        value = event.get(name)
        if value is not None and not _is_uuid(value):
            problems.append((name, f"{name} {value!r} is not a UUID{UUID_EXAMPLE}"))
    raise_uid = event.get("raise_uid")
    if kind == CLEARED and not raise_uid:
        problems.append(
            ("raise_uid", "a 'cleared' event needs raise_uid (the event_uid of the raise it ends)")
        )
    if kind == RAISED and raise_uid:
        problems.append(("raise_uid", "a 'raised' event must not have a raise_uid"))
    severity = event.get("severity")
    if severity is not None and severity not in SEVERITIES and "severity" not in too_long:
        problems.append(
            (
                "severity",
                f"unknown severity {severity!r} (expected one of {', '.join(SEVERITIES)})",
            )
        )
    occurred_at = event.get("occurred_at")
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        problems.append(("occurred_at", "occurred_at must be a time with a time zone"))
    if _depth(event.get("payload")) > MAX_PAYLOAD_DEPTH:
        problems.append(("payload", f"payload is nested more than {MAX_PAYLOAD_DEPTH} levels deep"))
    return problems


#: Deepest nesting of lists and objects an event's payload may have: every
#: program after the reader (Odoo's JSON fields, its views) recurses through it.
MAX_PAYLOAD_DEPTH = 100


def _depth(value: Any) -> int:
    """How deep lists and dicts nest in ``value``, without recursion (a scalar is 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level)
            if level > MAX_PAYLOAD_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


#: The event fields :func:`event_problems` bounds by :data:`TEXT_LIMITS`.
_LIMITED = ("kind", "equipment_code", "failure_code", "description", "severity", "device")


def describe_problems(problems: list[Problem]) -> str:
    """The problems of one event as one line."""
    return "; ".join(reason for _field, reason in problems)


UUID_EXAMPLE = " (e.g. 9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f)"


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return False
    return True


# -- the JSON form ------------------------------------------------------------


def uid_from_json(value: str) -> str:
    """A uid as sent (any case, braces or not) in its one stored form; ValueError if not a UUID."""
    return str(uuid.UUID(value))


def time_from_json(text: str, naive_tz: tzinfo | None = None) -> datetime:
    """An ISO 8601 time; one without offset is read in ``naive_tz`` (kept naive without one).

    Raises ValueError with a sentence a client can act on.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO 8601 (2026-02-23T20:22:35+01:00)"
            + (" or 'YYYY-MM-DD HH:MM:SS' in the plant's time zone" if naive_tz else "")
        ) from None
    if value.tzinfo is None and naive_tz is not None:
        value = value.replace(tzinfo=naive_tz)
    return value


#: Keys the JSON form of an event always has (the others may be absent: null).
JSON_REQUIRED = ("kind", "equipment_code", "occurred_at", "event_uid")


def event_to_json(event: Event | NewEvent) -> dict[str, Any]:
    """An event as a JSON object: its :data:`EVENT_FIELDS` (times ISO 8601 with offset).

    A stored :class:`Event` also carries its table bookkeeping (``id``,
    ``recorded_at``, ``tx``): every contract column, in contract order.
    """
    data = event_fields(event)
    data["occurred_at"] = event.occurred_at.isoformat()
    if isinstance(event, Event):
        data.update(id=event.id, recorded_at=event.recorded_at.isoformat(), tx=event.tx)
        data = {name: data[name] for name in CONTRACT_COLUMNS}
    return data


def event_from_json(data: Mapping[str, Any]) -> NewEvent:
    """The event a JSON object of :func:`event_to_json` holds (bookkeeping ignored).

    Raises KeyError for the first of :data:`JSON_REQUIRED` missing, else
    ValueError naming every problem.
    """
    for name in JSON_REQUIRED:
        if name not in data:
            raise KeyError(name)
    fields: dict[str, Any] = {name: data.get(name) for name in EVENT_FIELDS}
    occurred_at = data.get("occurred_at")
    fields["occurred_at"] = (
        time_from_json(occurred_at) if isinstance(occurred_at, str) else occurred_at
    )
    fields["event_uid"] = data["event_uid"]
    return NewEvent(**fields)
