"""`scada-bridge doctor`, configuration and PLC hops, against real Modbus TCP.

The PLCs are `scada-bridge simulate` processes on 127.0.0.1; the doctor reads
them with pymodbus like the poller does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
import pytest
from scada_bridge.config import load
from scada_bridge.doctor import Settings, diagnose
from scada_bridge.doctor.plc import plc_checks
from scada_bridge.doctor.poller import poller_checks

PLANT = """
[database]
uri = "{db}"

[[plc]]
name = "line1"
host = "127.0.0.1"
port = {port1}
device_id = {device}
timeout = 0.5

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "Silo 101 discharge motor did not start"
  table = "{table}"
  address = {address}

[[plc]]
name = "line2"
host = "127.0.0.1"
port = {port2}
timeout = 0.5

  [plc.mailbox]
  flag = 100
  equipment = {{ address = 101, registers = 4 }}
  text = {{ address = 105, registers = 20 }}
  time = 125
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write(tmp: Path, name: str, **values) -> Path:
    defaults = {
        "db": "dbname=unused",
        "device": 1,
        "table": "coil",
        "address": 0,
    }
    path = tmp / name
    path.write_text(PLANT.format(**{**defaults, **values}))
    return path


@pytest.fixture
def plant(tmp_path) -> Iterator[tuple[Path, int, int]]:
    """A simulator serving line1 and line2; yields (config path, port1, port2)."""
    port1, port2 = _free_port(), _free_port()
    config = _write(tmp_path, "plant.toml", port1=port1, port2=port2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scada_bridge.cli", "simulate", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                for port in (port1, port2):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"simulator did not start: {proc.stderr.read().decode()}"
                    ) from None
                time.sleep(0.2)
        yield config, port1, port2
    finally:
        proc.terminate()
        proc.wait(10)


def _by_plc(checks) -> dict[str, object]:
    return {c.name.split("'")[1]: c for c in checks}


def test_every_plc_answers_one_read(plant, tmp_path):
    config, port1, port2 = plant
    rows = _by_plc(plc_checks(load(config).plcs))
    assert rows["line1"].ok, rows["line1"].detail
    assert rows["line1"].detail.startswith(f"127.0.0.1:{port1} read coil 0 of device id 1 = 0 in ")
    assert rows["line2"].ok, rows["line2"].detail
    # The mailbox flag starts at 1 (nothing new) in the simulator.
    assert f"127.0.0.1:{port2} read holding register 100 of device id 1 = 1" in (
        rows["line2"].detail
    )


def test_a_dead_plc_is_its_own_row_and_the_others_still_answer(plant, tmp_path):
    _, port1, _ = plant
    dead = _free_port()
    config = _write(tmp_path, "half.toml", port1=port1, port2=dead)
    rows = _by_plc(plc_checks(load(config).plcs))
    assert rows["line1"].ok
    assert not rows["line2"].ok
    assert rows["line2"].detail == f"nothing listens at 127.0.0.1:{dead}"
    assert "502 is Modbus TCP's default" in rows["line2"].fix
    assert "[[plc]] 'line2'" in rows["line2"].fix


def test_an_address_the_plc_does_not_have_is_a_modbus_exception(plant, tmp_path):
    _, port1, port2 = plant
    config = _write(
        tmp_path, "addr.toml", port1=port1, port2=port2, table="holding_register", address=9000
    )
    row = _by_plc(plc_checks(load(config).plcs))["line1"]
    assert not row.ok
    assert "Modbus exception 2 (illegal address)" in row.detail  # pymodbus ExcCodes name
    assert "register map" in row.fix


def test_a_wrong_device_id_names_device_id(plant, tmp_path):
    _, port1, port2 = plant
    config = _write(tmp_path, "unit.toml", port1=port1, port2=port2, device=7)
    row = _by_plc(plc_checks(load(config).plcs))["line1"]
    assert not row.ok
    # pymodbus's server answers an unknown unit with exception 4, as many gateways do.
    assert "device id 7 with Modbus exception 4" in row.detail
    assert "check device_id of [[plc]] 'line1'" in row.fix


def test_a_port_that_accepts_but_never_answers(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []

    def accept() -> None:
        for _ in range(4):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    try:
        config = _write(tmp_path, "silent.toml", port1=port, port2=_free_port())
        row = _by_plc(plc_checks(load(config).plcs))["line1"]
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert not row.ok
    assert f"connected to 127.0.0.1:{port}" in row.detail
    assert "got no answer" in row.detail


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ODOO_URL", "ODOO_API_KEY", "SCADA_DB_URI", "SCADA_CONFIG")
    }
    return subprocess.run(
        [sys.executable, "-m", "scada_bridge.cli", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_invalid_config_is_one_row_naming_the_key(tmp_path):
    config = _write(tmp_path, "bad.toml", port1=70000, port2=502)
    proc = _cli("--config", str(config))
    assert proc.returncode == 1
    row = next(line for line in proc.stdout.splitlines() if line.startswith("\u2717 config"))
    assert "plc[0] 'line1'.port: 70000 is out of range 1..65535" in row
    assert "docs/configuration.md" in row
    assert "- PLC: reachable: not checked: config invalid" in proc.stdout
    assert "Traceback" not in proc.stderr


def _start_poller(config: Path, scada_uri: str) -> subprocess.Popen:
    """A real `scada-bridge poll`; returns once it has written both PLCs' status."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scada_bridge.cli", "poll", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"poller exited: {proc.stderr.read().decode()}")
        with psycopg2.connect(scada_uri) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM scada.plc_status WHERE state = 'ok'")
            polled = cur.fetchone()[0]
        conn.close()
        if polled == 2:
            return proc
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the poller did not report both PLCs ok within 30 s")


def test_config_plcs_poller_and_database_all_good(plant, tmp_path, scada_uri):
    _, port1, port2 = plant
    config = _write(tmp_path, "good.toml", port1=port1, port2=port2, db=scada_uri)
    poller = _start_poller(config, scada_uri)
    try:
        proc = _cli("--config", str(config))
    finally:
        poller.terminate()
        poller.wait(10)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("\u2713 config: file valid:")
    assert "2 PLC(s): line1, line2" in lines[0]
    assert [line.split(":")[0] for line in lines] == [
        "\u2713 config",
        "\u2713 PLC",
        "\u2713 PLC",
        "\u2713 poller",
        "\u2713 poller",
        "\u2713 SCADA database",
        "\u2713 SCADA database",
        "\u2713 SCADA database",
        "\u2713 SCADA database",
        "\u2713 SCADA database",
        # Odoo is not checked here (no --odoo-url, no [odoo] in the config).
        "- Odoo",
    ], proc.stdout
    assert "poller: 'line1' polled: 'line1' ok, last poll" in proc.stdout


def test_plcs_answer_but_no_poller_ever_ran(plant, tmp_path, scada_uri):
    _, port1, port2 = plant
    config = _write(tmp_path, "nopoll.toml", port1=port1, port2=port2, db=scada_uri)
    checks = diagnose(Settings(config_path=str(config)))
    assert [c.ok for c in checks if c.hop == "PLC"] == [True, True]
    poller = [c for c in checks if c.hop == "poller"]
    assert [c.detail for c in poller] == [
        "the poller never polled PLC 'line1'",
        "the poller never polled PLC 'line2'",
    ]
    assert all("scada-bridge poll --config" in c.fix for c in poller)


def test_a_stopped_poller_and_an_unreachable_plc_as_the_poller_saw_them(scada_conn, scada_uri):
    now = datetime.now(timezone.utc)
    with scada_conn.cursor() as cur:
        cur.execute(
            "INSERT INTO scada.plc_status (device, state, state_since, last_poll_at,"
            " last_success_at, last_error, consecutive_failures) VALUES"
            " ('line1', 'ok', %s, %s, %s, NULL, 0),"
            " ('line2', 'unreachable', %s, %s, %s, %s, 42)",
            (
                now - timedelta(hours=2),
                now - timedelta(minutes=12),
                now - timedelta(minutes=12),
                now - timedelta(minutes=5),
                now - timedelta(seconds=2),
                now - timedelta(minutes=5),
                "nothing listens at 10.0.0.8:502: check the PLC is on",
            ),
        )
    rows = {c.name: c for c in poller_checks(scada_uri, ["line1", "line2"], now=now)}
    stopped = rows["'line1' polled"]
    assert not stopped.ok
    assert stopped.detail == (
        "last poll of 'line1' 12 min ago: the poller is not running (or cannot write here)"
    )
    down = rows["'line2' polled"]
    assert not down.ok
    assert down.detail == (
        "'line2' unreachable for 5 min (42 failed poll(s), last success 5 min ago): "
        "nothing listens at 10.0.0.8:502"
    )
    assert down.fix == "check the PLC is on"


def test_diagnose_takes_the_database_from_the_config(plant, tmp_path, scada_uri):
    _, port1, port2 = plant
    config = _write(tmp_path, "db.toml", port1=port1, port2=port2, db=scada_uri)
    checks = diagnose(Settings(config_path=str(config)))
    hops = [c.hop for c in checks if not c.skipped]
    assert hops == [
        "config",
        "PLC",
        "PLC",
        "poller",
        "poller",
        "SCADA database",
        "SCADA database",
        "SCADA database",
        "SCADA database",
        "SCADA database",
    ]
    assert [c.ok for c in checks if c.hop != "poller"] == [True] * 9


def test_cli_silent_plc_is_one_row_and_nothing_on_stderr(plant, tmp_path, scada_uri):
    _, port1, _ = plant
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        config = _write(
            tmp_path, "silent.toml", port1=port1, port2=listener.getsockname()[1], db=scada_uri
        )
        proc = _cli("--config", str(config))
    finally:
        listener.close()
    assert proc.returncode == 1
    plc_rows = [line for line in proc.stdout.splitlines() if line[2:].startswith("PLC:")]
    assert [row[0] for row in plc_rows] == ["\u2713", "\u2717"], proc.stdout
    assert "got no answer" in plc_rows[1]
    # pymodbus's own log lines about the unanswered request stay out of the way.
    assert proc.stderr == ""
