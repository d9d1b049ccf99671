# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An MQTT message with a JSON payload as a failure event (``format = "json"``).

The field map (``[mqtt.json]``) names where the equipment, failure code, state,
time, severity and description are. The event's uid is derived from the message
(source name, topic, and the ``id`` field when configured, else the payload's
bytes), so a message the broker delivers again is the same event: a duplicate,
never a second record. Anything that is not an event (not JSON, a field of the
wrong type, an unknown state) raises :class:`BadMessage` with one line of reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from datetime import datetime, timezone
from typing import Any

from ..config.sources import MqttSource, severity_of
from ..events import RAISED, SEVERITIES, NewEvent
from .base import Conditions

#: Namespace of the uids derived from MQTT messages (uuid5).
MQTT_NS = uuid.UUID("2b7d3f0e-5c1a-4e8b-9d6f-5cada0b0a1e7")


class BadMessage(ValueError):
    """This message cannot be an event; the message says why, in one line."""


def message_uid(source: str, topic: str, payload: bytes, ident: str | None = None) -> str:
    """The event uid of a message: the same message delivered again has the same uid."""
    basis = ident if ident is not None else hashlib.sha256(payload).hexdigest()
    return str(uuid.uuid5(MQTT_NS, f"{source}\0{topic}\0{basis}"))


def _get(doc: dict[str, Any], path: str | None) -> Any:
    if path is None:
        return None
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(doc: dict[str, Any], path: str | None, what: str) -> str | None:
    value = _get(doc, path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadMessage(f"{what} field {path!r} must be a string, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _time(value: Any, path: str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadMessage(f"time field {path!r} must be ISO 8601 or epoch seconds, got a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise BadMessage(f"time field {path!r} is {value}")
        seconds = value / 1000 if abs(value) > 1e11 else value  # epoch ms are > 1e11
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise BadMessage(f"time field {path!r}: {value} is out of range") from None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadMessage(f"time field {path!r}: {value[:40]!r} is not ISO 8601") from None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    raise BadMessage(f"time field {path!r} must be ISO 8601 or epoch seconds")


def _severity(value: Any, cfg: MqttSource) -> str:
    if value is None:
        return cfg.severity
    if isinstance(value, str) and value.strip().lower() in SEVERITIES:
        return value.strip().lower()
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000:
        return severity_of(value, cfg.severity_levels)
    raise BadMessage(
        f"severity {str(value)[:40]!r} is not one of {', '.join(SEVERITIES)} or 1..1000"
    )


def _state(value: Any, cfg: MqttSource) -> bool:
    """True for raised, False for cleared."""
    fields = cfg.json
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        text = str(value).strip().lower()
        if text in fields.raise_values:
            return True
        if text in fields.clear_values:
            return False
    raise BadMessage(
        f"state field {fields.state!r}: {str(value)[:40]!r} is neither raised "
        f"({', '.join(fields.raise_values)}) nor cleared ({', '.join(fields.clear_values)})"
    )


def json_event(
    cfg: MqttSource,
    conditions: Conditions,
    topic: str,
    payload: bytes,
    received_at: datetime,
) -> NewEvent | None:
    """The event a JSON message means, or None (a state that is already so).

    Raises :class:`BadMessage` for a message that is not an event.
    """
    fields = cfg.json
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadMessage(f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(doc, dict):
        raise BadMessage(f"JSON {type(doc).__name__}, expected an object")
    equipment = _text(doc, fields.equipment, "equipment")
    if equipment is None:
        raise BadMessage(f"no equipment (field {fields.equipment!r})")
    equipment = dict(cfg.equipment_map).get(equipment, equipment)
    code = _text(doc, fields.failure_code, "failure_code") or cfg.failure_code
    description = _text(doc, fields.description, "description")
    severity = _severity(_get(doc, fields.severity), cfg)
    when = _time(_get(doc, fields.time), fields.time)
    ident = _text(doc, fields.id, "id") if fields.id else None
    uid = message_uid(cfg.name, topic, payload, ident)
    meta: dict[str, Any] = {"protocol": "mqtt", "topic": topic, "message": doc}
    if when is None:
        when = received_at
        meta["time_note"] = "no time in the message: occurred_at is when the poller received it"
    if fields.state is None:
        # A record the device reports once, no clear follows (like a PLC mailbox).
        return NewEvent(
            kind=RAISED,
            equipment_code=equipment,
            occurred_at=when,
            failure_code=code,
            description=description or code,
            severity=severity,
            device=cfg.name,
            payload={"source": "mailbox", **meta},
            event_uid=uid,
        )
    state = _get(doc, fields.state)
    if state is None:
        raise BadMessage(f"no state (field {fields.state!r})")
    if _state(state, cfg):
        return conditions.raised(
            equipment,
            code,
            when,
            uid=uid,
            payload=meta,
            description=description or code,
            severity=severity,
        )
    return conditions.cleared(
        equipment, code, when, uid=uid, payload=meta, description=description, severity=severity
    )
