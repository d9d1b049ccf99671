"""``scada-bridge poll``: read every PLC on its own schedule, append failure events.

Shape of the service::

    EventSource (sources.base): one asyncio task each, one small interface
      PlcLoop per PLC (adapted by RegisterSource), and the OPC UA / MQTT sources
      (sources/: events, not values; MQTT acknowledges only after durable)
    PlcLoop (own driver: Modbus TCP or FINS)
        read planned requests -> edges of status conditions, mailbox record
        -> Writer.submit(events)                   (conditions: no waiting)
        -> await Writer.submit(events, durable=True) then write the mailbox flag
    Writer (one task): batches events, runs EventSink in a worker thread
        -> SCADA database, or the local spool while the database is down
        -> scada.plc_status rows, retries and spool flushes

A PLC that is down or slow only delays its own task; the database only ever
delays the writer (and a mailbox acknowledgement, which waits for durability).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from ..config import Config
from ..sources import EventSource, build_sources, source_names
from ..store.plc_status import PlcStatus
from .doorbell import Doorbell
from .plc_loop import PlcDown, PlcLoop
from .register_source import RegisterSource
from .sink import EventSink
from .spool import ensure_state_dir
from .writer import RING_SPACING, Writer

__all__ = ["RING_SPACING", "PlcDown", "PlcLoop", "Poller", "Writer"]

_logger = logging.getLogger(__name__)


class Poller:
    """Runs every PLC loop and the writer until :meth:`stop` (or SIGTERM/SIGINT)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.statuses = [PlcStatus(p.name, p.host, p.port) for p in config.plcs]
        self.loops: list[PlcLoop] = []
        #: Every event source: the PLC loops (adapted) and the OPC UA / MQTT sources.
        self.sources: list[EventSource] = []
        self.sink: EventSink | None = None
        self.writer: Writer | None = None
        self._stop: asyncio.Event | None = None
        self.started = asyncio.Event()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()

    async def run(self, *, handle_signals: bool = False) -> int:
        cfg = self.config
        self._stop = asyncio.Event()
        ensure_state_dir(cfg.poller.state_dir)
        self.sink = EventSink(cfg.database, cfg.poller.state_dir)
        devices = [p.name for p in cfg.plcs] + source_names(cfg)
        await asyncio.to_thread(self.sink.start, devices)
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        doorbell = (
            # The writer spaces the rings itself (RING_SPACING).
            Doorbell(cfg.odoo.url, cfg.odoo.api_key, timeout=cfg.odoo.timeout, min_interval=0)
            if cfg.odoo
            else None
        )
        writer = Writer(self.sink, self.statuses, cfg.poller.status_every, doorbell=doorbell)
        self.writer = writer
        writer_task = asyncio.create_task(writer.run(self._stop), name="writer")
        self.loops = [
            PlcLoop(
                plc,
                writer,
                status,
                self.sink.active,
                backoff_initial=cfg.poller.backoff_initial,
                backoff_max=cfg.poller.backoff_max,
                state_dir=cfg.poller.state_dir,
            )
            for plc, status in zip(cfg.plcs, self.statuses, strict=True)
        ]
        # -- event sources (issue 20): PLC loops, OPC UA and MQTT, one interface --
        self.sources = [RegisterSource(pl) for pl in self.loops]
        # The writer's status list is self.statuses: the sources add their rows to it.
        self.sources += build_sources(cfg, writer.submit, self.sink.active, self.statuses)
        tasks = [asyncio.create_task(src.run(self._stop), name=src.name) for src in self.sources]
        # -- end of event sources --
        _logger.info(
            "polling %d PLC(s) and %d other source(s); events to %s; spool %s",
            len(self.loops),
            len(tasks) - len(self.loops),
            self.sink.where,
            self.sink.spool.path,
        )
        self.started.set()
        try:
            await self._stop.wait()
        finally:
            self._stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await writer.close(writer_task)
            self.sink.close()
            if handle_signals:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
        left = len(self.sink.spool)
        if left:
            _logger.warning(
                "stopped with %d event(s) still in the spool %s: they are sent at the next start",
                left,
                self.sink.spool.path,
            )
        _logger.info("poller stopped")
        return 0
