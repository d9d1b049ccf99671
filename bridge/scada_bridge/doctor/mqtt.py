# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The doctor's MQTT hop: for each ``[[mqtt]]`` source, connect, subscribe, session persists.

The doctor never uses the poller's client id (connecting under it would throw the
running poller off its session): it connects as ``<client_id>-doctor`` and removes
that session after. Rows, one line each with the fix: the broker accepts the
connection (address, TLS, user); the topics are granted at QoS 1; the broker keeps
a persistent session (reconnecting finds it), without which messages published
while the poller is away are lost.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ..config.sources import MqttSource
from ._check import Check

HOP = "MQTT"


class _Session:
    """One blocking connection with the doctor's client id; results of each callback."""

    def __init__(self, cfg: MqttSource, *, clean: bool) -> None:
        self.cfg = cfg
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{cfg.client_id}-doctor",
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        if cfg.username:
            self.client.username_pw_set(cfg.username, cfg.password or None)
        if cfg.tls_ca_file:
            self.client.tls_set(ca_certs=cfg.tls_ca_file, cert_reqs=ssl.CERT_REQUIRED)
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.reason: Any = None
        self.session_present = False
        self.granted: list[Any] = []
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        self.reason, self.session_present = reason, bool(flags.session_present)
        self.connected.set()

    def _on_subscribe(self, _c: Any, _u: Any, _mid: Any, granted: Any, _p: Any) -> None:
        self.granted = list(granted)
        self.subscribed.set()

    def open(self, timeout: float) -> str | None:
        """None when connected, else what went wrong."""
        try:
            self.client.connect(self.cfg.host, self.cfg.port, 30)
        except ssl.SSLError as exc:
            return f"TLS refused: {exc.reason or exc}"
        except ConnectionRefusedError:
            return "connection refused: nothing listens there"
        except OSError as exc:
            return f"cannot connect: {exc.strerror or exc}"
        self.client.loop_start()
        if not self.connected.wait(timeout):
            return f"no CONNACK within {timeout:g} s"
        if self.reason.is_failure:
            return f"the broker refused the connection: {self.reason}"
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


def _checks(cfg: MqttSource, timeout: float = 5.0) -> list[Check]:
    where = f"{cfg.host}:{cfg.port}"
    first = _Session(cfg, clean=False)
    problem = first.open(timeout)
    if problem is not None:
        first.close()
        return [
            Check(
                HOP,
                f"{cfg.name!r} connect",
                False,
                f"{where}: {problem}",
                "check the broker runs there, host/port/tls_ca_file, username and "
                "password_env of the [[mqtt]] table",
            )
        ]
    rows = [Check(HOP, f"{cfg.name!r} connect", True, f"{where}: connected")]
    try:
        first.client.subscribe([(topic, 1) for topic in cfg.topics])
        if not first.subscribed.wait(timeout):
            rows.append(
                Check(HOP, f"{cfg.name!r} subscribe", False, "no SUBACK", "check the broker")
            )
            return rows
        refused = [
            t
            for t, g in zip(cfg.topics, first.granted, strict=False)
            if g.is_failure or g.value < 1
        ]
        if refused:
            rows.append(
                Check(
                    HOP,
                    f"{cfg.name!r} subscribe",
                    False,
                    f"not granted at QoS 1: {', '.join(refused)}",
                    "allow this user to read those topics (broker ACL); QoS 1 is what makes "
                    "messages wait while the poller is away",
                )
            )
        else:
            rows.append(
                Check(HOP, f"{cfg.name!r} subscribe", True, f"{', '.join(cfg.topics)} at QoS 1")
            )
    finally:
        first.close()
    again = _Session(cfg, clean=False)
    try:
        problem = again.open(timeout)
        kept = problem is None and again.session_present
    finally:
        again.close()
        gone = _Session(cfg, clean=True)  # leave no session of the doctor behind
        gone.open(timeout)
        gone.close()
    rows.append(
        Check(
            HOP,
            f"{cfg.name!r} session persists",
            kept,
            "the broker kept the session across a reconnect"
            if kept
            else "the broker did not keep a persistent session",
            "messages published while the poller is away would be lost: allow persistent "
            "sessions (Mosquitto: persistence true, no short persistent_client_expiration)",
        )
    )
    return rows


def mqtt_checks(sources: tuple[MqttSource, ...]) -> list[Check]:
    """Rows for every MQTT source, in the config's order."""
    return [row for cfg in sources for row in _checks(cfg)]
