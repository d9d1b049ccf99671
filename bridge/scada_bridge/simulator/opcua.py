# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An OPC UA server with Alarms & Conditions (asyncua), for tests, demos and the doctor.

Each alarm is an ``AlarmConditionType`` condition of an equipment object under
Objects, emitted through the Server object as a real server does; the server
answers ``ConditionRefresh`` (RefreshStart, every retained condition, RefreshEnd).
A raised alarm is retained; a cleared one is sent once with Retain false and
then no longer listed by a refresh (as after its acknowledgement on a real
server, which this simulator leaves out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from asyncua import Server, ua

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alarm:
    """One condition: its equipment object (SourceName), its name, severity and message."""

    source: str
    name: str
    severity: int = 700
    message: str = ""


class OpcUaAlarmServer:
    """``await start()``, then ``await raise_alarm(...)`` / ``clear_alarm(...)``; ``stop()``."""

    def __init__(
        self,
        alarms: list[Alarm],
        *,
        host: str = "127.0.0.1",
        port: int = 4840,
        tags: dict[str, bool | int] | None = None,
        history: bool = False,
    ) -> None:
        self.alarms = {(a.source, a.name): a for a in alarms}
        #: Tag variables (``ns=2;s=<name>``) and their first values: for tag conditions.
        self.tag_values = dict(tags or {})
        self._tags: dict[str, Any] = {}
        #: Keep the Server object's event history (HistoryRead), as many real servers do.
        self.history = history
        self.endpoint = f"opc.tcp://{host}:{port}"
        self.server = Server()
        self._generators: dict[tuple[str, str], Any] = {}
        self.active: set[tuple[str, str]] = set()

    async def start(self) -> None:
        server = self.server
        server.iserver.bind_condition_methods = True  # answer ConditionRefresh
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("scada-bridge simulated OPC UA server")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        ns = await server.register_namespace("urn:scada-bridge:simulator")
        objects = server.nodes.objects
        sources: dict[str, Any] = {}
        for source, name in self.alarms:
            if source not in sources:
                sources[source] = await objects.add_object(ns, source)
            node = sources[source]
            gen = await server.get_event_generator(ua.ObjectIds.AlarmConditionType)
            event = gen.event
            event.SourceNode = node.nodeid
            event.SourceName = source
            event.ConditionName = name
            event.NodeId = ua.NodeId.from_string(f"ns={ns};s={source}.{name}")
            event.BranchId = None
            self._generators[(source, name)] = gen
        if self.tag_values:
            folder = await objects.add_object(ns, "Tags")
            for name, value in self.tag_values.items():
                self._tags[name] = await folder.add_variable(
                    ua.NodeId.from_string(f"ns={ns};s={name}"), name, value
                )
        await server.start()
        if self.history:
            await server.historize_node_event(server.nodes.server, count=100_000)
        _logger.info("OPC UA alarm server at %s: %d alarm(s)", self.endpoint, len(self.alarms))

    async def stop(self) -> None:
        await self.server.stop()

    async def _emit(self, source: str, name: str, active: bool, when: datetime | None) -> None:
        alarm = self.alarms[(source, name)]
        gen = self._generators[(source, name)]
        event = gen.event
        event.Severity = alarm.severity
        event.Retain = active
        setattr(event, "ActiveState/Id", active)
        event.ActiveState = ua.LocalizedText("Active" if active else "Inactive")
        setattr(event, "AckedState/Id", not active)
        message = alarm.message or f"{source} {name}"
        await gen.trigger(
            time_attr=when or datetime.now(timezone.utc),
            message=message if active else f"{message} (back to normal)",
        )

    async def raise_alarm(self, source: str, name: str, when: datetime | None = None) -> None:
        self.active.add((source, name))
        await self._emit(source, name, True, when)

    async def clear_alarm(self, source: str, name: str, when: datetime | None = None) -> None:
        self.active.discard((source, name))
        await self._emit(source, name, False, when)

    async def set_tag(self, name: str, value: bool | int, when: datetime | None = None) -> None:
        """Write a tag's value, with ``when`` as its source timestamp."""
        node = self._tags[name]
        kind = ua.VariantType.Boolean if isinstance(value, bool) else ua.VariantType.Int64
        stamp: Any = when or datetime.now(timezone.utc)
        await node.write_value(ua.DataValue(ua.Variant(value, kind), SourceTimestamp=stamp))
        self.tag_values[name] = value
