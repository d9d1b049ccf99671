# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Sparkplug B messages as failures (``format = "sparkplug"`` of an ``[[mqtt]]`` source).

Topics ``spBv1.0/<group>/<type>/<edge node>[/<device>]``:

* NBIRTH / DBIRTH: learn the metrics' names and aliases (kept in
  ``sparkplug-<source>.json`` of the state directory, so a restarted poller still
  reads the DATA of a node that does not rebirth), mark the node (device) ok, and
  take each Boolean metric's value as the condition's state;
* NDATA / DDATA: each Boolean metric (by name or alias) matching ``metrics`` is a
  condition of the node's (device's) equipment: true raises, false clears, with
  the metric's timestamp (else the payload's). ``is_historical`` values are
  replays: stored with their own time, marked ``historical``;
* NDEATH / DDEATH: the node (device) is unreachable in ``scada.plc_status``; no
  failure is cleared (a dead node proves nothing about its machines).

Every event's uid comes from the message and the metric, so a message sent again
is a duplicate. A message that cannot be read (truncated protobuf, an unknown
alias) raises :class:`~.mqtt_json.BadMessage`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..config.sources import MqttSource
from ..events import NewEvent
from ..store.plc_status import UNREACHABLE
from .base import Conditions, StatusRows
from .mqtt_json import MQTT_NS, BadMessage
from .sparkplug_pb import BOOLEAN, BadProtobuf, Metric, decode_payload

_logger = logging.getLogger(__name__)

NAMESPACE = "spBv1.0"


class SparkplugReader:
    """One source's Sparkplug state: aliases per edge node, node and device status rows."""

    def __init__(
        self,
        cfg: MqttSource,
        conditions: Conditions,
        rows: StatusRows,
        state_dir: Path | None,
    ) -> None:
        self.cfg = cfg
        self.conditions = conditions
        self.rows = rows
        self.path = state_dir / f"sparkplug-{cfg.name}.json" if state_dir else None
        #: "group/node" -> {alias: metric name}
        self.aliases: dict[str, dict[int, str]] = self._load()
        #: "group/node" -> the last sequence number seen (0..255, NBIRTH starts it).
        self._seq: dict[str, int] = {}

    def _load(self) -> dict[str, dict[int, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return {node: {int(a): str(n) for a, n in m.items()} for node, m in data.items()}
        except (OSError, ValueError, AttributeError) as exc:
            _logger.warning(
                "%s unreadable (%s): aliases are learnt again at the next BIRTH", self.path, exc
            )
            return {}

    def _save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.aliases, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def events(self, topic: str, payload: bytes, received_at: datetime) -> list[NewEvent]:
        parts = topic.split("/")
        if len(parts) < 4 or parts[0] != NAMESPACE:
            if len(parts) >= 2 and parts[:2] == [NAMESPACE, "STATE"]:
                return []  # a primary host's state: not about the plant
            raise BadMessage("not a Sparkplug B topic (spBv1.0/<group>/<type>/<node>[/<device>])")
        group, kind, node = parts[1], parts[2], parts[3]
        device = parts[4] if len(parts) > 4 else None
        node_key = f"{group}/{node}"
        row = f"{self.cfg.name}:{node_key}" + (f"/{device}" if device else "")
        if kind in ("NCMD", "DCMD"):
            return []  # commands to the node: never ours to act on
        if kind in ("NDEATH", "DDEATH"):
            self._death(row, kind, node_key if kind == "NDEATH" else None)
            return []
        if kind not in ("NBIRTH", "DBIRTH", "NDATA", "DDATA"):
            raise BadMessage(f"unknown Sparkplug message type {kind!r}")
        try:
            decoded = decode_payload(payload)
        except BadProtobuf as exc:
            raise BadMessage(str(exc)) from None
        self._check_seq(node_key, kind, decoded.seq)
        aliases = self.aliases.setdefault(node_key, {})
        if kind.endswith("BIRTH"):
            learnt = {m.alias: m.name for m in decoded.metrics if m.alias is not None and m.name}
            if kind == "NBIRTH":
                aliases.clear()  # a node's birth starts its alias table afresh
            if learnt or kind == "NBIRTH":
                aliases.update(learnt)
                self._save()
            status = self.rows.get(row)
            if status.success():
                _logger.info("%s: %s is online (%s)", self.cfg.name, row, kind)
        names = []
        for m in decoded.metrics:
            name = m.name or (aliases.get(m.alias) if m.alias is not None else None)
            if name is None:
                raise BadMessage(
                    f"{kind} of {row}: metric alias {m.alias} is unknown (no BIRTH of this node "
                    "seen yet; its next BIRTH teaches it)"
                )
            names.append(name)
        equipment = device or node
        equipment = dict(self.cfg.equipment_map).get(equipment, equipment)
        base_ts = decoded.timestamp
        out: list[NewEvent] = []
        digest = hashlib.sha256(payload).hexdigest()
        for m, name in zip(decoded.metrics, names, strict=True):
            if not self._wanted(m, name):
                continue
            when = _ms(m.timestamp or base_ts) or received_at
            uid = str(uuid.uuid5(MQTT_NS, f"{self.cfg.name}\0{topic}\0{digest}\0{name}"))
            meta: dict[str, Any] = {"protocol": "sparkplug", "topic": topic, "metric": name}
            if m.alias is not None:
                meta["alias"] = m.alias
            if m.is_historical:
                meta["historical"] = True
            if decoded.seq is not None:
                meta["seq"] = decoded.seq
            if m.value:
                event = self.conditions.raised(
                    equipment,
                    name,
                    when,
                    uid=uid,
                    payload=meta,
                    description=name,
                    severity=self.cfg.severity,
                )
            else:
                event = self.conditions.cleared(equipment, name, when, uid=uid, payload=meta)
            if event is not None:
                out.append(event)
        return out

    def _check_seq(self, node_key: str, kind: str, seq: int | None) -> None:
        """Say when an edge node's sequence number jumps: messages published at QoS 0 lost."""
        if seq is None:
            return
        last = self._seq.get(node_key)
        self._seq[node_key] = seq
        if kind == "NBIRTH" or last is None:
            return
        lost = (seq - last - 1) % 256
        if lost:
            _logger.warning(
                "%s: edge node %s sequence number went from %d to %d: %d message(s) lost on "
                "the way (Sparkplug publishes DATA at QoS 0); the states are reconciled at "
                "its next BIRTH",
                self.cfg.name,
                node_key,
                last,
                seq,
                lost,
            )

    def _wanted(self, m: Metric, name: str) -> bool:
        if m.is_null or not isinstance(m.value, bool):
            return False
        if m.datatype not in (None, BOOLEAN):
            return False
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.cfg.metrics)

    def _death(self, row: str, kind: str, node_key: str | None) -> None:
        rows = [row]
        if node_key is not None:  # the node's devices die with it
            prefix = f"{self.cfg.name}:{node_key}/"
            rows += [r for r in self.rows.names() if r.startswith(prefix)]
        for name in rows:
            if self.rows.get(name).failure(
                UNREACHABLE, f"{kind}: the edge node says it is offline; its failures stay active"
            ):
                _logger.warning(
                    "%s: %s is unreachable (%s); its failures are not cleared",
                    self.cfg.name,
                    name,
                    kind,
                )


def _ms(value: int | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
