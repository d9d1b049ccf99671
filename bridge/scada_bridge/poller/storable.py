"""Events as the database can store them: jsonb refuses NaN and Infinity, PLC floats make both.

A value that cannot be stored is never a database outage: it is stored as null,
the payload names it (``not_stored``: path -> 'nan', 'inf' or '-inf'), and the
raw registers it was decoded from stay in the payload. Applied by the sink to
every event, whatever protocol read it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

from ..events import NewEvent

_logger = logging.getLogger(__name__)


def _finite(value: Any, path: str, found: dict[str, str]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        found[path or "payload"] = str(value)
        return None
    if isinstance(value, dict):
        return {k: _finite(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def storable(event: NewEvent) -> NewEvent:
    """``event`` with every NaN or Infinity of its payload as null (jsonb refuses them).

    The payload says which values were replaced (``not_stored``: path -> 'nan',
    'inf' or '-inf'); the raw registers the value was decoded from stay in it.
    """
    found: dict[str, str] = {}
    payload = _finite(event.payload, "", found)
    if not found:
        return event
    if not isinstance(payload, dict):
        payload = {"payload": payload}
    payload["not_stored"] = found
    _logger.warning(
        "event %s (%s %s of PLC %r): %s cannot be stored in the database: stored as null, "
        "with the raw registers in its payload",
        event.event_uid,
        event.equipment_code,
        event.failure_code,
        event.device,
        ", ".join(f"{k} = {v}" for k, v in found.items()),
    )
    return dataclasses.replace(event, payload=payload)
