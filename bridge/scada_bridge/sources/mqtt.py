# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""An MQTT broker as an event source: QoS 1, a persistent session, PUBACK after durable.

* The session: a fixed client id and ``clean_session = False`` (MQTT 3.1.1), so
  the broker keeps the subscriptions and queues the QoS 1 messages published
  while the poller is down (within the broker's own limits: Mosquitto's
  ``max_queued_messages``, ``persistence``; see docs/sources.md).
* The acknowledgement: paho's ``manual_ack``. A message is acknowledged (PUBACK)
  only once its event is durable (database or spool), or, when it is not an
  event, once it is kept in ``rejected-<source>.jsonl``. PUBACKs go in the order
  the messages came, as MQTT asks. A crash before that means the broker sends
  the message again, and its uid (derived from the message) makes it a duplicate.
* An acknowledgement is only sent on the connection the message came on: after
  a reconnect the broker sends the unacknowledged messages again (same session),
  so an old packet id is never acknowledged on a new connection.

paho runs its network loop in its own thread; messages cross to the event loop
through ``call_soon_threadsafe`` and are handled in batches (one durable write each).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ..config.sources import SPARKPLUG, MqttSource
from ..events import NewEvent
from ..store.plc_status import ERROR, UNREACHABLE, PlcStatus
from .base import ActiveKey, Conditions, Rejects, StatusRows, Submit, durable
from .mqtt_json import BadMessage, json_event
from .sparkplug import SparkplugReader

_logger = logging.getLogger(__name__)

#: Messages handled in one durable write at most.
BATCH = 1000


@dataclass(frozen=True)
class Message:
    """One received PUBLISH, as the event loop sees it."""

    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes
    dup: bool
    received_at: datetime


class MqttEventSource:
    """One ``[[mqtt]]`` source: its client, its session, its status and its failures."""

    def __init__(
        self,
        cfg: MqttSource,
        submit: Submit,
        active: Mapping[ActiveKey, str],
        state_dir: Path | None = None,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        status_rows: list[PlcStatus] | None = None,
    ) -> None:
        self.cfg = cfg
        self.submit = submit
        #: The broker connection's row, then (Sparkplug) one per edge node and device.
        self.rows = StatusRows(cfg.host, cfg.port, status_rows)
        self.status = self.rows.get(cfg.name)
        self.conditions = Conditions(cfg.name, active)
        self.rejects = Rejects(state_dir, cfg.name)
        self.sparkplug = (
            SparkplugReader(cfg, self.conditions, self.rows, state_dir)
            if cfg.format == SPARKPLUG
            else None
        )
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self._generation = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: mqtt.Client | None = None
        #: Counters (tests, benchmarks): messages received, turned into stored events, acked.
        self.received = 0
        self.stored = 0
        self.acked = 0
        #: Set once the broker has granted the subscriptions (SUBACK), cleared when the
        #: connection is lost: from then on, a message published is delivered.
        self.connected = asyncio.Event()

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def statuses(self) -> list[PlcStatus]:
        return self.rows.all()

    # -- paho's thread --------------------------------------------------------

    def _client_for(self) -> mqtt.Client:
        cfg = self.cfg
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.reconnect_delay_set(
            min_delay=max(1, round(self.backoff_initial)), max_delay=max(1, round(self.backoff_max))
        )
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password or None)
        if cfg.tls_ca_file:
            client.tls_set(ca_certs=cfg.tls_ca_file, cert_reqs=ssl.CERT_REQUIRED)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _call(self, func: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(func, *args)

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._call(self._down, ERROR, f"the broker refused the connection: {reason}")
            return
        self._generation += 1
        client.subscribe([(topic, 1) for topic in self.cfg.topics])
        self._call(self._up, bool(flags.session_present))

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, granted: Any, _p: Any) -> None:
        refused = [t for t, g in zip(self.cfg.topics, granted, strict=False) if g.is_failure]
        if refused:
            self._call(
                self._down,
                ERROR,
                f"the broker refused the subscription to {', '.join(refused)}: allow this "
                "user to read those topics (broker ACL)",
            )
        else:
            self._call(self.connected.set)

    def _on_connect_fail(self, _c: mqtt.Client, _u: Any) -> None:
        self._call(
            self._down,
            UNREACHABLE,
            f"cannot connect to {self.cfg.host}:{self.cfg.port}: is the broker running there "
            "(host, port, TLS)?",
        )

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not self._stopping:  # the poller stopping is not the broker failing
            self._call(self._down, UNREACHABLE, f"connection lost ({reason})")

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = repr(msg._topic)
        item = Message(
            self._generation,
            msg.mid,
            msg.qos,
            topic,
            bytes(msg.payload),
            bool(msg.dup),
            datetime.now(timezone.utc),
        )
        self._call(self._queue.put_nowait, item)

    # -- the event loop ---------------------------------------------------------

    def _up(self, session_present: bool) -> None:
        failures = self.status.consecutive_failures
        self.status.success()
        if self._generation > 1 and not session_present:
            _logger.warning(
                "%s: connected, but the broker had no session for this client id: messages "
                "published while the poller was away are lost unless the broker keeps "
                "sessions (Mosquitto: persistence true, and no persistent_client_expiration)",
                self.cfg.where,
            )
        else:
            _logger.info(
                "%s: connected%s (session %s); subscribed to %s at QoS 1",
                self.cfg.where,
                f" again after {failures} failure(s)" if failures else "",
                "resumed" if session_present else "new",
                ", ".join(self.cfg.topics),
            )

    def _down(self, state: str, error: str) -> None:
        self.connected.clear()
        if self.status.failure(state, error):
            _logger.warning(
                "%s is %s: %s; reconnecting with backoff up to %g s (unacknowledged messages "
                "wait in the broker)",
                self.cfg.where,
                state,
                error,
                self.backoff_max,
            )

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        client = self._client = self._client_for()
        client.connect_async(self.cfg.host, self.cfg.port, self.cfg.keepalive)
        client.loop_start()
        try:
            while not stop.is_set():
                try:
                    first = await asyncio.wait_for(self._queue.get(), 0.1)
                except asyncio.TimeoutError:
                    continue
                batch = [first]
                while len(batch) < BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                self.received += len(batch)
                await self._handle(batch, stop)
        finally:
            self._stopping = True
            client.disconnect()
            await asyncio.to_thread(client.loop_stop)
            self._loop = None

    def _decode(self, batch: list[Message]) -> tuple[list[NewEvent], list[dict[str, Any]]]:
        events: list[NewEvent] = []
        rejected: list[dict[str, Any]] = []
        for m in batch:
            try:
                if self.sparkplug is not None:
                    found = self.sparkplug.events(m.topic, m.payload, m.received_at)
                else:
                    event = json_event(self.cfg, self.conditions, m.topic, m.payload, m.received_at)
                    found = [event] if event is not None else []
            except BadMessage as exc:
                kept: dict[str, Any] = {"reason": f"topic {m.topic!r}: {exc}", "topic": m.topic}
                try:
                    kept["payload"] = m.payload.decode("utf-8")
                except UnicodeDecodeError:  # protobuf, or garbage: kept byte for byte
                    kept["payload_base64"] = base64.b64encode(m.payload).decode("ascii")
                kept["received_at"] = m.received_at.isoformat()
                rejected.append(kept)
                continue
            except ValueError as exc:  # a field the event rules refuse (NewEvent checks)
                rejected.append({"reason": f"topic {m.topic!r}: {exc}", "topic": m.topic})
                continue
            events += found
        return events, rejected

    async def _handle(self, batch: list[Message], stop: asyncio.Event) -> None:
        """Make the batch durable (events, then refused messages), then acknowledge it.

        Until durable nothing is acknowledged: a failed write is retried with the
        same messages (the state of the conditions put back first).
        """
        delay = self.backoff_initial
        while True:
            before = dict(self.conditions.active)
            events, rejected = self._decode(batch)
            try:
                if events:
                    await durable(self.submit, events)
                if rejected:
                    await asyncio.to_thread(self.rejects.keep, rejected)
                break
            except Exception as exc:  # nothing durable: keep the messages, acknowledge nothing
                self.conditions.active = before
                _logger.warning(
                    "%s: %d message(s) not durable (%s): not acknowledged, retried in %g s",
                    self.cfg.where,
                    len(batch),
                    exc,
                    delay,
                )
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                if stop.is_set():
                    return  # the broker sends them again at the next start
                delay = min(delay * 2, self.backoff_max)
        self.stored += len(events)
        client = self._client
        assert client is not None
        for m in batch:
            if m.generation == self._generation and m.qos > 0:
                client.ack(m.mid, m.qos)
                self.acked += 1
