# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""``scada-bridge simulate`` for the event sources: an OPC UA alarm server per ``[[opcua]]``
source (on its endpoint's port) and a scenario published to the ``[[mqtt]]`` brokers.

The scenario file (``--scenario``)::

    repeat = true
    [[step]]                       # an OPC UA alarm of a source: raise or clear
    action = "raise"
    source = "scada1"
    equipment = "Tank1"            # the alarm's SourceName
    name = "HighLevel"             # its ConditionName
    severity = 900                 # optional, 1..1000
    [[step]]
    action = "publish"             # a JSON message to an MQTT source's broker (QoS 1)
    source = "edge-json"
    topic = "plant/line1/alarm"
    payload = { equipment = "filler1", code = "JAM", active = true }
    [[step]]
    action = "wait"
    seconds = 5

A published payload without the source's time field gets the current time, so
each publication is a new event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import tomllib
from paho.mqtt.enums import CallbackAPIVersion

from ..config import Config
from ..config.tables import Table
from ..errors import ConfigError
from .opcua import Alarm, OpcUaAlarmServer

_logger = logging.getLogger(__name__)
ACTIONS = ("raise", "clear", "publish", "wait")


@dataclass(frozen=True)
class SourceStep:
    action: str
    source: str = ""
    equipment: str = ""
    name: str = ""
    severity: int = 700
    topic: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def load_source_scenario(path: str | Path, config: Config) -> tuple[list[SourceStep], bool]:
    """Read and check a source scenario against the configuration; (steps, repeat)."""
    file = str(path)
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read scenario file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    top = Table(file, "", data)
    top.only("repeat", "step")
    repeat = top.data.get("repeat", False)
    if not isinstance(repeat, bool):
        top.fail("repeat", "must be true or false")
    opcua = {s.name for s in config.opcua}
    mqtt_json = {m.name for m in config.mqtt if m.format == "json"}
    steps = []
    for t in top.tables("step"):
        action = t.choice("action", ACTIONS)
        if action == "wait":
            t.only("action", "seconds")
            steps.append(SourceStep("wait", seconds=t.number("seconds", None, 0, 86400)))
            continue
        source = t.text("source", required=True)
        if action == "publish":
            t.only("action", "source", "topic", "payload")
            if source not in mqtt_json:
                t.fail(
                    "source", f"no [[mqtt]] source {source!r} with format = 'json' in the config"
                )
            payload: Any = t.data.get("payload")
            if not isinstance(payload, dict):
                t.fail("payload", "must be a table (the JSON object to publish)")
            steps.append(
                SourceStep("publish", source, topic=t.text("topic", required=True), payload=payload)
            )
            continue
        t.only("action", "source", "equipment", "name", "severity")
        if source not in opcua:
            t.fail("source", f"no [[opcua]] source {source!r} in the config")
        steps.append(
            SourceStep(
                action,
                source,
                t.text("equipment", required=True),
                t.text("name", required=True),
                severity=t.integer("severity", 700, 1, 1000),
            )
        )
    if not steps:
        top.fail("step", "no steps: add [[step]] tables")
    if repeat and not any(s.action == "wait" and s.seconds > 0 for s in steps):
        top.fail("repeat", "a repeating scenario needs a wait step with seconds > 0")
    return steps, repeat


def _publish(config: Config, step: SourceStep) -> None:
    cfg = next(m for m in config.mqtt if m.name == step.source)
    payload = dict(step.payload)
    time_key = cfg.json.time
    if time_key and "." not in time_key and time_key not in payload:
        payload[time_key] = datetime.now(timezone.utc).isoformat()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{cfg.client_id}-simulator")
    if cfg.username:
        client.username_pw_set(cfg.username, cfg.password or None)
    client.connect(cfg.host, cfg.port, 30)
    client.loop_start()
    try:
        info = client.publish(step.topic, json.dumps(payload), qos=1)
        info.wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


async def serve_sources(
    config: Config, steps: list[SourceStep], repeat: bool, *, host: str = "127.0.0.1"
) -> int:
    """Serve every [[opcua]] source's alarms and play the scenario until SIGTERM/SIGINT."""
    servers: dict[str, OpcUaAlarmServer] = {}
    for cfg in config.opcua:
        alarms = {
            (s.equipment, s.name): Alarm(s.equipment, s.name, s.severity)
            for s in steps
            if s.source == cfg.name and s.action in ("raise", "clear")
        }
        port = urllib.parse.urlsplit(cfg.endpoint).port or 4840
        server = OpcUaAlarmServer(list(alarms.values()), host=host, port=port)
        await server.start()
        servers[cfg.name] = server
        print(f"OPC UA source {cfg.name!r}: alarm server at {server.endpoint}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while steps and not stop.is_set():
            for step in steps:
                if stop.is_set():
                    break
                if step.action == "wait":
                    try:
                        await asyncio.wait_for(stop.wait(), step.seconds)
                    except asyncio.TimeoutError:
                        pass
                elif step.action == "publish":
                    try:
                        await asyncio.to_thread(_publish, config, step)
                    except OSError as exc:
                        _logger.warning("scenario: cannot publish to %s: %s", step.source, exc)
                        continue
                    _logger.info("scenario: published to %s %s", step.source, step.topic)
                else:
                    server = servers[step.source]
                    if step.action == "raise":
                        await server.raise_alarm(step.equipment, step.name)
                    else:
                        await server.clear_alarm(step.equipment, step.name)
                    _logger.info("scenario: %s %s/%s", step.action, step.equipment, step.name)
            if not repeat:
                break
        await stop.wait()
    finally:
        for server in servers.values():
            await server.stop()
    return 0
