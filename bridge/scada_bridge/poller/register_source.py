# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The register poll loop of one PLC seen as an event source (:mod:`scada_bridge.sources.base`).

A thin adapter: :class:`~.plc_loop.PlcLoop` already starts with ``run(stop)``,
sends its events through the writer and acknowledges its mailbox only after
durable; this names it and hands its status row out like the other sources.
"""

from __future__ import annotations

import asyncio

from ..store.plc_status import PlcStatus
from .plc_loop import PlcLoop


class RegisterSource:
    """One PLC's :class:`PlcLoop` behind the event source interface."""

    def __init__(self, loop: PlcLoop) -> None:
        self.loop = loop

    @property
    def name(self) -> str:
        return self.loop.plc.name

    @property
    def statuses(self) -> list[PlcStatus]:
        return [self.loop.status]

    async def run(self, stop: asyncio.Event) -> None:
        await self.loop.run(stop)
