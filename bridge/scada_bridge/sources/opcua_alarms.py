# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""OPC UA Alarms & Conditions as failures: one event notification in, events out.

The mapping (Part 9 of the OPC UA specification):

* identity: the ConditionId (the condition's NodeId). Its failure is keyed by
  (equipment, failure code): equipment = SourceName through ``equipment_map``,
  failure code = ConditionName (else the ConditionId), so the sink and a
  restarted poller know it like a register condition. Branches (a non-null
  BranchId: earlier states kept for acknowledgement) are not the condition's
  state and are skipped: the poller never acknowledges;
* ``ActiveState/Id`` true raises, false clears; ``Time`` is occurred_at;
  ``Severity`` (1..1000) maps to low/medium/high/critical through
  ``severity_levels``; ``Message`` is the description;
* the event's uid is derived from its EventId, so the same notification sent
  again by a ConditionRefresh is the same event.

ConditionRefresh: between RefreshStart and RefreshEnd the server lists every
condition it retains. A condition listed active and not active here is raised
with its own time; a failure active here that the refresh does not list active
is cleared at the refresh's end, marked ``cleared_by = 'refresh'``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from ..config.sources import OpcUaSource, severity_of
from ..events import NewEvent
from .base import Conditions

_logger = logging.getLogger(__name__)

OPCUA_NS = uuid.UUID("8a4e2c71-0f3b-4d6a-b5e9-5cada0b0c0a5")
#: Standard event types (Part 5 ObjectIds).
REFRESH_START = 2787
REFRESH_END = 2788


def _field(event: Any, name: str) -> Any:
    return getattr(event, name, None)


def _text(value: Any) -> str | None:
    """A LocalizedText, a QualifiedName or a string as plain text."""
    if value is None:
        return None
    text = getattr(value, "Text", None)
    if text is None:
        text = getattr(value, "Name", value)
    text = str(text).strip() if text is not None else ""
    return text or None


def _node_text(value: Any) -> str | None:
    if value is None:
        return None
    to_string = getattr(value, "to_string", None)
    return to_string() if callable(to_string) else str(value)


class AlarmMapper:
    """Turns one source's event notifications into failure events, in order."""

    def __init__(self, cfg: OpcUaSource, conditions: Conditions) -> None:
        self.cfg = cfg
        self.conditions = conditions
        self._equipment = dict(cfg.equipment_map)
        #: Keys listed active by the refresh in progress; None outside a refresh.
        self._listed: set[tuple[str, str]] | None = None
        self.refreshes = 0

    def handle(self, event: Any) -> list[NewEvent]:
        """The failure events one notification means (often none)."""
        etype = _field(event, "EventType")
        ident = getattr(etype, "Identifier", None)
        if ident == REFRESH_START and getattr(etype, "NamespaceIndex", 0) == 0:
            self._listed = set()
            return []
        if ident == REFRESH_END and getattr(etype, "NamespaceIndex", 0) == 0:
            return self._refresh_end()
        return self._condition(event)

    def _key(self, event: Any) -> tuple[str, str] | None:
        condition_id = _node_text(_field(event, "NodeId"))
        source = _text(_field(event, "SourceName")) or _node_text(_field(event, "SourceNode"))
        if condition_id is None or source is None:
            return None
        equipment = self._equipment.get(source, source)
        return equipment, _text(_field(event, "ConditionName")) or condition_id

    def _condition(self, event: Any) -> list[NewEvent]:
        active = _field(event, "ActiveState/Id")
        key = self._key(event)
        if key is None or not isinstance(active, bool):
            _logger.debug("%s: event without ConditionId or ActiveState skipped", self.cfg.name)
            return []
        branch = _field(event, "BranchId")
        if branch is not None and not _is_null(branch):
            return []  # an earlier state kept for acknowledgement, not the condition's state
        equipment, code = key
        when = _field(event, "Time")
        if not isinstance(when, datetime):
            when = datetime.now(timezone.utc)
        elif when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        severity_value = _field(event, "Severity")
        severity = (
            severity_of(int(severity_value), self.cfg.severity_levels)
            if isinstance(severity_value, int)
            else None
        )
        event_id = _field(event, "EventId")
        uid = (
            str(uuid.uuid5(OPCUA_NS, f"{self.cfg.name}\0{bytes(event_id).hex()}"))
            if isinstance(event_id, bytes | bytearray) and event_id
            else str(uuid.uuid4())
        )
        payload = {
            "protocol": "opcua",
            "condition_id": _node_text(_field(event, "NodeId")),
            "source_name": _text(_field(event, "SourceName")),
            "severity_value": severity_value,
            "retain": _field(event, "Retain"),
        }
        if self._listed is not None:
            payload["refresh"] = True
            if active:
                self._listed.add(key)
        description = _text(_field(event, "Message"))
        if active:
            found = self.conditions.raised(
                equipment,
                code,
                when,
                uid=uid,
                payload=payload,
                description=description or code,
                severity=severity,
            )
            if found is not None:
                _logger.info(
                    "raised %s %s (%s) from %s: %s",
                    equipment,
                    code,
                    severity,
                    self.cfg.name,
                    description,
                )
        else:
            found = self.conditions.cleared(
                equipment, code, when, uid=uid, payload=payload, severity=severity
            )
            if found is not None:
                _logger.info("cleared %s %s from %s", equipment, code, self.cfg.name)
        return [found] if found is not None else []

    def _refresh_end(self) -> list[NewEvent]:
        listed, self._listed = self._listed, None
        self.refreshes += 1
        if listed is None:
            return []
        now = datetime.now(timezone.utc)
        events = []
        for equipment, code in list(self.conditions.active):
            if (equipment, code) in listed:
                continue
            event = self.conditions.cleared(
                equipment,
                code,
                now,
                uid=str(uuid.uuid4()),
                payload={
                    "protocol": "opcua",
                    "cleared_by": "refresh",
                    "note": "no longer active in the server's ConditionRefresh: it ended while "
                    "the poller was away; occurred_at is the refresh time",
                },
            )
            if event is not None:
                _logger.warning(
                    "%s: %s %s is no longer active on the server (ConditionRefresh): cleared at "
                    "the refresh time",
                    self.cfg.where,
                    equipment,
                    code,
                )
                events.append(event)
        return events


def _is_null(node_id: Any) -> bool:
    """A null NodeId (ns=0, i=0), as servers send for "no branch"."""
    return getattr(node_id, "NamespaceIndex", 0) == 0 and getattr(node_id, "Identifier", 0) in (
        0,
        None,
        "",
        b"",
    )
