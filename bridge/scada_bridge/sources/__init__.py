# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Event sources beside the register poller: MQTT brokers (:mod:`.mqtt`, payloads
:mod:`.mqtt_json`) and OPC UA servers
(:mod:`.opcua`, alarms :mod:`.opcua_alarms`). Each one implements the small interface of
:mod:`.base` (start, events out, acknowledge after durable, status); the poller
runs them beside its PLC loops, into the same writer.

Imports ``config``, ``store``, ``events`` and ``errors``; never ``poller`` (the
poller hands its writer's ``submit`` in), ``doctor``, ``simulator`` or ``cli``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..config import Config
from ..store.plc_status import PlcStatus
from .base import ActiveKey, EventSource, Submit

__all__ = ["EventSource", "Submit", "build_sources", "source_names"]


def source_names(config: Config) -> list[str]:
    """The device names of the configured sources (rows of scada.plc_status)."""
    return [m.name for m in config.mqtt] + [o.name for o in config.opcua]


def build_sources(
    config: Config,
    submit: Submit,
    active: Mapping[ActiveKey, str],
    status_rows: list[PlcStatus] | None = None,
) -> list[EventSource]:
    """One running object per ``[[mqtt]]`` and ``[[opcua]]`` table (nothing connects yet).

    Each source appends its rows of ``scada.plc_status`` to ``status_rows`` (the
    writer's list), now and as it learns new ones (Sparkplug edge nodes).

    The protocol libraries are imported only when a source of theirs is configured.
    """
    state_dir: Path = config.poller.state_dir
    backoff = dict(
        backoff_initial=config.poller.backoff_initial, backoff_max=config.poller.backoff_max
    )
    found: list[EventSource] = []
    if config.mqtt:
        from .mqtt import MqttEventSource

        found += [
            MqttEventSource(m, submit, active, state_dir, **backoff, status_rows=status_rows)
            for m in config.mqtt
        ]
    if config.opcua:
        from .opcua import OpcUaEventSource

        opcua = [
            OpcUaEventSource(o, submit, active, **backoff, state_dir=state_dir)
            for o in config.opcua
        ]
        if status_rows is not None:
            status_rows += [row for source in opcua for row in source.statuses]
        found += opcua
    return found
