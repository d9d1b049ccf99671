# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Helpers for the MQTT source tests: the real broker, a publisher, a private Mosquitto.

The broker is the one on 127.0.0.1 (port ``SCADA_TEST_MQTT_PORT``, default 1883;
``scripts/test.sh`` starts Debian's mosquitto when none answers). Every test uses
its own topics and client ids, and removes its persistent session after.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.poller_fixtures import FAST_POLLER, free_port

MQTT_PORT = int(os.environ.get("SCADA_TEST_MQTT_PORT", "1883"))


def answers(port: int, timeout: float = 1.0) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout):
        return True
    return False


def broker_port() -> int:
    if not answers(MQTT_PORT):
        pytest.fail(
            f"no MQTT broker on 127.0.0.1:{MQTT_PORT}: run the tests with scripts/test.sh "
            "(it starts mosquitto), or start one: mosquitto -p 1883",
            pytrace=False,
        )
    return MQTT_PORT


class Publisher:
    """A QoS 1 publisher that waits for each PUBACK (the broker has the message)."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex}")
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes | str) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), f"the broker did not take {payload!r}"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def drop_session(port: int, client_id: str) -> None:
    """Remove a persistent session from the broker (connect clean, then leave)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    with contextlib.suppress(OSError):
        client.connect("127.0.0.1", port, 10)
        client.loop_start()
        time.sleep(0.2)
        client.disconnect()
        client.loop_stop()


def waiting_messages(port: int, client_id: str, topic: str, seconds: float = 1.0) -> list[bytes]:
    """What the broker still holds for a session: resume it and take (then ack) everything."""
    got: list[bytes] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.on_message = lambda _c, _u, m: got.append(m.payload)
    client.on_connect = lambda c, *_: (c.subscribe(topic, 1), done.set())
    client.connect("127.0.0.1", port, 10)
    client.loop_start()
    done.wait(5)
    time.sleep(seconds)
    client.disconnect()
    client.loop_stop()
    return got


def mqtt_config(
    uri: str, state_dir: Path, port: int, client_id: str, topic: str, *, extra: str = ""
) -> str:
    return (
        f'[database]\nuri = "{uri}"\nconnect_timeout = 10\nretry_max = 0.2\n'
        + FAST_POLLER.format(state_dir=state_dir)
        + f"""
[[mqtt]]
name = "edge1"
host = "127.0.0.1"
port = {port}
client_id = "{client_id}"
topics = ["{topic}"]
{extra}
  [mqtt.json]
  equipment = "equipment"
  failure_code = "code"
  state = "active"
  time = "ts"
"""
    )


class Mosquitto:
    """A private Mosquitto on a free port, persistence on: stop() and start() it."""

    def __init__(self, tmp: Path) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(self.binary).exists():
            pytest.fail("mosquitto is not installed: apt-get install mosquitto", pytrace=False)
        self.port = free_port()
        self.dir = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {tmp}/\nautosave_interval 1\nmax_queued_messages 0\n"
            # As root, mosquitto drops to user 'mosquitto', who cannot write pytest's tmp.
            + (f"user {getpass.getuser()}\n" if os.geteuid() == 0 else ""),
            encoding="utf-8",
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.dir / "mosquitto.log", "ab")
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not answers(self.port, 0.2):
            assert time.monotonic() < deadline, "mosquitto did not start in 10 s"
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it cleanly (SIGTERM): it saves its persistence file first."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    try:
        yield broker
    finally:
        if broker.proc is not None:
            broker.proc.kill()
            broker.proc.wait(10)


class HoldProxy:
    """TCP between the poller and the broker; ``hold()`` swallows what the poller sends
    (its PUBACKs never reach the broker) until ``cut()`` closes every connection."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.holding = False
        #: Bytes from the poller swallowed while holding.
        self.held = 0
        self._conns: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self.holding = True

    def cut(self) -> None:
        """Close every forwarded connection, and forward again for new ones."""
        conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.holding = False

    def close(self) -> None:
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                return
            upstream.settimeout(None)
            self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_poller: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if from_poller and self.holding:
                    self.held += len(data)
                    continue
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
