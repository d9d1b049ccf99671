"""``scada-bridge simulate`` and ``scada-bridge poll`` as real processes.

An ordinary (synchronous) pymodbus client injects faults; the poller process
stores them; SIGTERM stops both cleanly with exit status 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient
from scada_bridge.errors import ConfigError
from scada_bridge.simulator import load_scenario

from tests.poller_fixtures import config_text, free_port, plc_block, rows, write_config

BIN = [sys.executable, "-m", "scada_bridge.cli"]

TWO_PLCS_BODY = """
[[plc.condition]]
equipment = "silo101"
failure_code = "START_FAILURE"
description = "Motor did not start"
table = "coil"
address = 2

[[plc.condition]]
equipment = "oven1"
failure_code = "OVERTEMP"
description = "Oven too hot"
table = "input_register"
address = 20
type = "float32"
when = "above"
value = 250.0

[plc.mailbox]
flag = 100
equipment = { address = 101, registers = 4 }
text = { address = 105, registers = 10 }
time = 115
"""


def _wait(check, timeout=15.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _client(port: int) -> ModbusTcpClient:
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
    _wait(client.connect, what=f"simulator listening on {port}")
    return client


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*BIN, "-v", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def test_simulate_and_poll_processes_end_to_end(tmp_path, scada_uri):
    port_a, port_b = free_port(), free_port()
    path = tmp_path / "plant.toml"
    write_config(
        path,
        config_text(
            scada_uri,
            tmp_path / "state",
            plc_block("a", port_a, TWO_PLCS_BODY, interval=0.1),
            # Two PLCs behind one port, told apart by device id.
            plc_block("b", port_b, TWO_PLCS_BODY, interval=0.1, device_id=1),
            plc_block("c", port_b, TWO_PLCS_BODY, interval=0.1, device_id=7),
        ),
    )
    sim = _start(["simulate", "--config", str(path)], tmp_path / "sim.log")
    poll = None
    try:
        client = _client(port_a)
        client_b = _client(port_b)
        # Mailbox flags start at 1 (nothing new); conditions start inactive.
        assert client.read_holding_registers(100, count=1, device_id=1).registers == [1]
        # Discrete inputs too, through the injection unit (device id + 100).
        client.write_coil(5, True, device_id=101)
        assert client.read_discrete_inputs(5, count=1, device_id=1).bits[0] is True
        assert client.read_coils(5, count=1, device_id=1).bits[0] is False
        poll = _start(["poll", "--config", str(path)], tmp_path / "poll.log")
        # Any table can be written by any client: a coil and an input register.
        client.write_coil(2, True, device_id=1)
        _wait(lambda: len(rows(scada_uri)) == 1, what="the coil fault")
        # Input registers are read-only in Modbus: written through the injection unit.
        client_b.write_registers(20, [0x4380, 0x0000], device_id=107)  # 256.0 on PLC c
        assert client_b.read_input_registers(20, count=2, device_id=7).registers == [0x4380, 0]
        _wait(lambda: len(rows(scada_uri)) == 2, what="the input register fault")
        # A mailbox record, written by the "PLC" (any client), flag last.
        client_b.write_registers(101, [0x5349, 0x4C4F, 0x3130, 0x3100], device_id=1)
        client_b.write_registers(105, [0x4A61, 0x6D00], device_id=1)
        client_b.write_registers(115, [0x2026, 0x01, 0x02, 0x03, 0x04, 0x05], device_id=1)
        client_b.write_register(100, 0, device_id=1)
        _wait(lambda: len(rows(scada_uri)) == 3, what="the mailbox record")
        _wait(
            lambda: client_b.read_holding_registers(100, count=1, device_id=1).registers == [1],
            what="the acknowledgement",
        )
        client.close()
        client_b.close()
        assert _stop(poll) == 0
        poll_log = (tmp_path / "poll.log").read_text()
        assert "Traceback" not in poll_log
        assert "poller stopped" in poll_log
        # One log line per event.
        assert poll_log.count("raised silo101 START_FAILURE") == 1
        assert poll_log.count("raised oven1 OVERTEMP") == 1
        assert poll_log.count("from its mailbox") == 1
    finally:
        if poll and poll.poll() is None:
            poll.kill()
        assert _stop(sim) == 0
    found = [(r[5], r[0], r[1]) for r in rows(scada_uri)]
    assert found == [
        ("a", "raised", "silo101"),
        ("c", "raised", "oven1"),
        ("b", "raised", "SILO101"),
    ]


def test_scenario_plays_raise_mailbox_clear(tmp_path, scada_uri):
    port = free_port()
    path = tmp_path / "plant.toml"
    write_config(
        path,
        config_text(
            scada_uri, tmp_path / "state", plc_block("a", port, TWO_PLCS_BODY, interval=0.05)
        ),
    )
    scenario = tmp_path / "demo.toml"
    scenario.write_text(
        """
[[step]]
action = "raise"
plc = "a"
equipment = "silo101"
failure_code = "START_FAILURE"
[[step]]
action = "wait"
seconds = 0.5
[[step]]
action = "mailbox"
plc = "a"
equipment = "mix02"
text = "Overload"
[[step]]
action = "wait"
seconds = 0.5
[[step]]
action = "clear"
plc = "a"
equipment = "silo101"
failure_code = "START_FAILURE"
"""
    )
    poll = _start(["poll", "--config", str(path)], tmp_path / "poll.log")
    sim = _start(
        ["simulate", "--config", str(path), "--scenario", str(scenario)], tmp_path / "sim.log"
    )
    try:
        _wait(lambda: len(rows(scada_uri)) == 3, what="three scenario events")
    finally:
        assert _stop(sim) == 0
        assert _stop(poll) == 0
    assert [(r[0], r[1]) for r in rows(scada_uri)] == [
        ("raised", "silo101"),
        ("raised", "mix02"),
        ("cleared", "silo101"),
    ]


def test_scenario_mistakes_are_one_line(tmp_path):
    path = tmp_path / "plant.toml"
    config = write_config(
        path,
        config_text("postgresql://x@h/db", tmp_path / "s", plc_block("a", 5020, TWO_PLCS_BODY)),
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[step]]\naction = "raise"\nplc = "a"\nequipment = "nope"\nfailure_code = "X"\n'
    )
    with pytest.raises(ConfigError, match=r"bad.toml: step\[0\].failure_code: PLC 'a' has no"):
        load_scenario(bad, config)
    bad.write_text('[[step]]\naction = "explode"\n')
    with pytest.raises(ConfigError, match=r"step\[0\].action: 'explode' is not one of"):
        load_scenario(bad, config)


def test_simulate_port_in_use_is_one_line(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = tmp_path / "plant.toml"
        write_config(
            path,
            config_text("postgresql://x@h/db", tmp_path / "s", plc_block("a", port, TWO_PLCS_BODY)),
        )
        result = subprocess.run(
            [*BIN, "simulate", "--config", str(path)], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert f"simulator cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_while_the_database_is_down_keeps_the_spool_and_exits_0(
    tmp_path, scada_uri, db_proxy
):
    port = free_port()
    uri = db_proxy.via(scada_uri)
    path = tmp_path / "plant.toml"
    write_config(path, config_text(uri, tmp_path / "state", plc_block("a", port, TWO_PLCS_BODY)))
    sim = _start(["simulate", "--config", str(path)], tmp_path / "sim.log")
    poll = None
    try:
        client = _client(port)
        poll = _start(["poll", "--config", str(path)], tmp_path / "poll.log")
        _wait(lambda: rows(scada_uri, "SELECT 1 FROM scada.plc_status"), what="poller running")
        db_proxy.stop()
        client.write_coil(2, True, device_id=1)
        spool = tmp_path / "state" / "spool.jsonl"
        _wait(lambda: spool.exists() and spool.read_text().count("\n") == 1, what="spooled")
        client.close()
        assert _stop(poll) == 0
    finally:
        if poll and poll.poll() is None:
            poll.kill()
        _stop(sim)
    log = (tmp_path / "poll.log").read_text()
    assert "stopped with 1 event(s) still in the spool" in log
    assert "Traceback" not in log
    assert '"equipment_code":"silo101"' in spool.read_text()
