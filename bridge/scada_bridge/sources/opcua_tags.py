# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""OPC UA tags as conditions: Boolean or integer nodes watched by data-change subscription.

For a server without Alarms & Conditions. Each ``[[opcua.tag]]`` is a condition
as a register condition is (``when`` nonzero / equal / above / below ``value``):
an edge raises or clears its failure, with the value's source timestamp. ``hold``
is the debounce of a subscription (there are no polls to count): the new state
must last that many seconds before the edge is taken. Every (re)subscription
sends each node's current value first, so a restarted poller reconciles: a tag
true here and unknown raises, a failure active here whose tag is now false clears.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..config.sources import OpcUaSource, OpcUaTag
from ..events import NewEvent
from .base import Conditions

_logger = logging.getLogger(__name__)


def holds(tag: OpcUaTag, value: Any) -> bool | None:
    """Whether the tag's failure condition holds for ``value``; None when not a number."""
    if isinstance(value, bool):
        number: float = float(value)
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return None
    if tag.when == "nonzero":
        return number != 0
    assert tag.value is not None
    if tag.when == "equal":
        return number == tag.value
    if tag.when == "above":
        return number > tag.value
    return number < tag.value


class TagWatcher:
    """Turns data-change notifications of one source's tags into condition events."""

    def __init__(
        self, cfg: OpcUaSource, conditions: Conditions, emit: Callable[[list[NewEvent]], None]
    ) -> None:
        self.cfg = cfg
        self.conditions = conditions
        self.emit = emit
        #: NodeId text -> tag, filled when the nodes are subscribed.
        self.by_node: dict[str, OpcUaTag] = {}
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._odd: set[str] = set()

    def change(self, node_id: str, value: Any, when: datetime | None) -> None:
        tag = self.by_node.get(node_id)
        if tag is None:
            return
        state = holds(tag, value)
        if state is None:
            if node_id not in self._odd:
                self._odd.add(node_id)
                _logger.warning(
                    "%s: tag %s holds %r, not a Boolean or a number: condition left as it was",
                    self.cfg.where,
                    tag.node,
                    value,
                )
            return
        self._odd.discard(node_id)
        when = when or datetime.now(timezone.utc)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        timer = self._pending.pop(node_id, None)
        if timer is not None:
            timer.cancel()
        if state == self.conditions.is_active(tag.equipment, tag.failure_code):
            return
        if tag.hold > 0:
            loop = asyncio.get_running_loop()
            self._pending[node_id] = loop.call_later(
                tag.hold, self._edge, tag, state, when, value, node_id
            )
        else:
            self._edge(tag, state, when, value, node_id)

    def _edge(self, tag: OpcUaTag, state: bool, when: datetime, value: Any, node_id: str) -> None:
        self._pending.pop(node_id, None)
        payload = {"protocol": "opcua", "node": tag.node, "value": value, "when": tag.when}
        if tag.value is not None:
            payload["threshold"] = tag.value
        if tag.hold:
            payload["hold"] = tag.hold
        uid = str(uuid.uuid4())
        if state:
            event = self.conditions.raised(
                tag.equipment,
                tag.failure_code,
                when,
                uid=uid,
                payload=payload,
                description=tag.description or tag.failure_code,
                severity=tag.severity,
            )
        else:
            event = self.conditions.cleared(
                tag.equipment, tag.failure_code, when, uid=uid, payload=payload
            )
        if event is not None:
            _logger.info(
                "%s %s %s from %s tag %s [value %r]",
                event.kind,
                tag.equipment,
                tag.failure_code,
                self.cfg.name,
                tag.node,
                value,
            )
            self.emit([event])
