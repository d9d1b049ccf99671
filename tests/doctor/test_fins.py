"""The doctor's PLC row for Omron FINS PLCs, against the simulator's real FINS/UDP and
FINS/TCP on 127.0.0.1 (run in a thread: the doctor runs its own event loop)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator

import pytest
from scada_bridge.config import load
from scada_bridge.doctor.plc import Probe, plc_checks, probe_plc
from scada_bridge.simulator.server import Simulator

from tests.poller_fixtures import free_port

PLANT = """
[database]
uri = "postgresql://scada@127.0.0.1:5432/scada"

[[plc]]
name = "omron_udp"
protocol = "fins"
host = "127.0.0.1"
port = {port}
timeout = 0.5

  [plc.mailbox]
  flag = 8022
  equipment = {{ address = 8000, registers = 8 }}
  failure_code = {{ address = 8008, registers = 8 }}
  time = 8016

[[plc]]
name = "omron_tcp"
protocol = "fins"
fins_transport = "tcp"
host = "127.0.0.1"
port = {port}
fins_node = 2
timeout = 0.5

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "motor did not start"
  area = "CIO"
  address = 100
  when = "bit"
  bit = 3
"""


@pytest.fixture
def plant(tmp_path) -> Iterator:
    path = tmp_path / "plant.toml"
    path.write_text(PLANT.format(port=free_port()))
    config = load(path)
    loop = asyncio.new_event_loop()
    sim = Simulator(config)
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(sim.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(15), "simulator did not start"
    try:
        yield config
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(15)
        loop.close()


def test_reachable_fins_plcs_show_the_node_numbers_and_the_value_read(plant):
    udp, tcp = plc_checks(plant.plcs)
    assert udp.ok, udp
    assert "FINS/UDP node 1, source node 254: read DM 8022 = 1" in udp.detail
    assert tcp.ok, tcp
    # FINS/TCP: the node numbers come from the handshake (the server's is fins_node).
    assert "FINS/TCP node 2, source node 239: read CIO 100 = 0" in tcp.detail


def test_a_wrong_node_is_no_answer_on_udp_with_the_fix(plant):
    wrong = dataclasses.replace(plant.plc("omron_udp"), fins_node=9)
    (row,) = plc_checks([wrong])
    assert not row.ok
    assert "no answer on FINS/UDP 127.0.0.1:" in row.detail
    assert "node 9, source node 254" in row.detail
    assert "fins_node = 9" in row.fix and "firewall drops UDP" in row.fix


def test_an_address_past_the_area_is_the_end_code_with_its_meaning(plant):
    probe = dataclasses.replace(Probe.of(plant.plc("omron_udp")), address=40000)
    row = asyncio.run(probe_plc(probe))
    assert not row.ok
    assert "answered reading DM 40000 with FINS end code 1103 (address range exceeded)" in (
        row.detail
    )
    assert "memory map" in row.fix


def test_nothing_listening_for_fins_tcp_says_so(plant):
    dead = dataclasses.replace(plant.plc("omron_tcp"), port=free_port())
    (row,) = plc_checks([dead])
    assert not row.ok and "nothing listens" in row.detail


def test_a_host_name_that_does_not_resolve_says_so(plant):
    unknown = dataclasses.replace(plant.plc("omron_udp"), host="no-such-plc.invalid")
    (row,) = plc_checks([unknown])
    assert not row.ok and row.detail == "host 'no-such-plc.invalid' does not resolve"
