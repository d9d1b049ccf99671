"""The simulator's Omron PLCs: any FINS client reads and writes their areas over UDP and
TCP, a scenario's mailbox step fills the plant's mailbox, and what a real CPU refuses is
refused with its end code. The client here is a plain socket with frames written out by
hand from W342, not the bridge's driver."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from scada_bridge.plc.registers import decode_ascii, encode_bcd
from scada_bridge.simulator import Simulator, load_scenario, play

from tests.poller_fixtures import free_port, write_config

PLANT = """
[database]
uri = "postgresql://scada@127.0.0.1:5432/scada"

[[plc]]
name = "omron1"
protocol = "fins"
host = "127.0.0.1"
port = {port}

  [plc.mailbox]
  flag = 8022
  equipment = {{ address = 8000, registers = 8 }}
  failure_code = {{ address = 8008, registers = 8 }}
  time = 8016
  clock_timezone = "Asia/Jakarta"
"""

# Node 1 (127.0.0.1), from node 254, service id 0x21.
HEAD = "80 00 02 00 01 00 00 FE 00 21"
WRITE_W10 = HEAD + " 01 02 B1 000A 00 0002 1234 ABCD"  # W10-W11 = 0x1234 0xABCD
READ_W10 = HEAD + " 01 01 B1 000A 00 0002"
ANSWER = "C0 00 02 00 FE 00 00 01 00 21"  # the header swapped, same service id


def _udp(port: int, frame: str) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(bytes.fromhex(frame), ("127.0.0.1", port))
        return s.recv(2048)


def _tcp(port: int, *frames: str) -> list[bytes]:
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(bytes.fromhex("46494E53 0000000C 00000000 00000000 000000FE"))
        head = s.recv(24)
        # Answer to the node address request: the node we asked for (254), the server's (1).
        assert head == bytes.fromhex("46494E53 00000010 00000001 00000000 000000FE 00000001")
        for frame in frames:
            raw = bytes.fromhex(frame)
            s.sendall(
                bytes.fromhex("46494E53")
                + (8 + len(raw)).to_bytes(4, "big")
                + bytes.fromhex("00000002 00000000")
                + raw
            )
            head = s.recv(16)
            length = int.from_bytes(head[4:8], "big")
            body = b""
            while len(body) < length - 8:
                body += s.recv(length - 8 - len(body))
            answers.append(body)
    return answers


@pytest.fixture
def sim(tmp_path):
    config = write_config(tmp_path / "plant.toml", PLANT.format(port=free_port()))
    loop = asyncio.new_event_loop()
    simulator = Simulator(config)
    loop.run_until_complete(simulator.start())
    yield config, simulator, loop
    loop.run_until_complete(simulator.stop())
    loop.close()


def _in_thread(loop, fn, *args):
    """Run a blocking socket client while the simulator's loop serves it."""

    async def run():
        return await asyncio.to_thread(fn, *args)

    return loop.run_until_complete(asyncio.wait_for(run(), 20))


def test_any_fins_client_writes_and_reads_an_area_over_udp_and_tcp(sim):
    config, simulator, loop = sim
    port = config.plcs[0].port
    assert _in_thread(loop, _udp, port, WRITE_W10) == bytes.fromhex(ANSWER + " 01 02 0000")
    assert loop.run_until_complete(simulator.read("omron1", "W", 10, 2)) == [0x1234, 0xABCD]
    assert _in_thread(loop, _udp, port, READ_W10) == bytes.fromhex(ANSWER + " 01 01 0000 1234 ABCD")
    (answer,) = _in_thread(loop, _tcp, port, READ_W10)
    assert answer == bytes.fromhex(ANSWER + " 01 01 0000 1234 ABCD")


def test_what_a_real_cpu_refuses_is_refused_with_its_end_code(sim):
    config, _, loop = sim
    port = config.plcs[0].port
    cases = {
        HEAD + " 05 01": "05 01 0401",  # CPU unit data read: not simulated
        HEAD + " 01 01 82 8000 00 0001": "01 01 1103",  # D32768 does not exist
        HEAD + " 01 01 82 7FFF 00 0002": "01 01 1104",  # D32767 + 1 runs past the end
        HEAD + " 01 01 31 0000 00 0001": "01 01 1101",  # W bit code: words only here
        HEAD + " 01 02 B3 0000 00 0001 0001": "01 02 2101",  # A0 is read-only
    }
    for request, end in cases.items():
        assert _in_thread(loop, _udp, port, request) == bytes.fromhex(f"{ANSWER} {end}"), request


def test_a_frame_for_another_node_gets_no_answer(sim):
    config, _, loop = sim
    with pytest.raises(TimeoutError):
        other = READ_W10.replace("80 00 02 00 01", "80 00 02 00 07", 1)

        def ask() -> bytes:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.5)
                s.sendto(bytes.fromhex(other), ("127.0.0.1", config.plcs[0].port))
                return s.recv(2048)

        _in_thread(loop, ask)


def test_scenario_mailbox_step_fills_the_plant_mailbox(sim, tmp_path):
    config, simulator, loop = sim
    scenario_file = tmp_path / "scenario.toml"
    scenario_file.write_text(
        '[[step]]\naction = "mailbox"\nplc = "omron1"\nequipment = "silo101"\n'
        'failure_code = "START_FAILURE"\n'
    )
    scenario = load_scenario(scenario_file, config)
    loop.run_until_complete(play(simulator, scenario, asyncio.Event()))
    words = loop.run_until_complete(simulator.read("omron1", "DM", 8000, 23))
    assert decode_ascii(words[0:8]) == "silo101"
    assert decode_ascii(words[8:16]) == "START_FAILURE"
    assert words[16] == encode_bcd(datetime.now(ZoneInfo("Asia/Jakarta")).year)  # BCD year
    assert words[22] == 0  # flag 0 written last: a new record


def test_simulate_command_serves_fins_and_says_where(tmp_path):
    port = free_port()
    path = tmp_path / "plant.toml"
    path.write_text(PLANT.format(port=port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scada_bridge.cli", "simulate", "--config", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line == f"PLC 'omron1' FINS node 1 on 127.0.0.1:{port} UDP and TCP\n"
        deadline = time.monotonic() + 15
        while True:
            try:
                assert _udp(port, READ_W10) == bytes.fromhex(ANSWER + " 01 01 0000 0000 0000")
                break
            except (TimeoutError, ConnectionRefusedError):
                assert time.monotonic() < deadline, "simulator did not answer"
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
