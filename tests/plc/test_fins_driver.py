"""The FINS driver over real UDP and TCP sockets on 127.0.0.1: against the simulator, and
against small FINS peers written here that misbehave the way networks do (a late answer
of an earlier request arriving first, a datagram lost)."""

from __future__ import annotations

import asyncio

import pytest
from scada_bridge.config import load
from scada_bridge.errors import PlcRefused, PlcUnreachable
from scada_bridge.plc.connect import driver_for
from scada_bridge.plc.fins import FinsDriver
from scada_bridge.simulator.server import Simulator

from tests.poller_fixtures import free_port

PLANT = """
[database]
uri = "postgresql://scada@127.0.0.1:5432/scada"

[[plc]]
name = "omron1"
protocol = "fins"
fins_transport = "{transport}"
host = "127.0.0.1"
port = {port}
timeout = 2

  [[plc.condition]]
  equipment = "silo101"
  failure_code = "START_FAILURE"
  description = "motor did not start"
  area = "CIO"
  address = 10
  when = "bit"
  bit = 3
"""


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_words_bits_and_the_acknowledge_write_through_the_driver(tmp_path, transport):
    path = tmp_path / "plant.toml"
    path.write_text(PLANT.format(transport=transport, port=free_port()))
    config = load(path)

    async def scenario():
        sim = Simulator(config)
        await sim.start()
        driver = driver_for(config.plcs[0])
        try:
            await sim.write("omron1", "CIO", 10, [0b1000, 0x8001])
            assert await driver.read_words("CIO", 10, 2) == [0b1000, 0x8001]
            # CIO 10.03 is bit 163; CIO 11.00 and 11.15 are 176 and 191.
            assert await driver.read_bits("CIO", 163, 1) == [True]
            assert await driver.read_bits("CIO", 162, 3) == [False, True, False]
            bits = await driver.read_bits("CIO", 176, 16)
            assert bits[0] and bits[15] and not any(bits[1:15])
            await driver.write_word("DM", 8022, 1)
            assert await sim.read("omron1", "DM", 8022) == [1]
            with pytest.raises(PlcRefused, match="bits are read from CIO, W, H, not DM"):
                await driver.read_bits("DM", 0, 1)
            with pytest.raises(PlcRefused) as caught:
                await driver.read_words("W", 500, 20)
            assert str(caught.value).endswith(
                "answered reading W 500..519 with end code 1104 address range exceeded (runs "
                "past the end of the area): check area and address in the configuration "
                "against the PLC's memory map"
            )
            assert caught.value.code == 0x1104
        finally:
            driver.close()
            await sim.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))


class _Peer(asyncio.DatagramProtocol):
    """A FINS/UDP peer answering D0 = 0x0042; ``late`` first sends an answer carrying the
    previous service id and 0xBAD0, ``drop`` ignores the first N requests."""

    def __init__(self, *, late: bool = False, drop: int = 0) -> None:
        self.late, self.drop = late, drop
        self.requests = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.requests += 1
        if self.requests <= self.drop:
            return
        head = bytes([0xC0, 0, 2, 0, data[7], 0, 0, data[4], 0])
        if self.late:
            stale = (data[9] - 1) % 256
            self.transport.sendto(head + bytes([stale]) + b"\x01\x01\x00\x00\xba\xd0", addr)
        self.transport.sendto(head + bytes([data[9]]) + b"\x01\x01\x00\x00\x00\x42", addr)


async def _peer(**kw) -> tuple[asyncio.DatagramTransport, _Peer, int]:
    port = free_port()
    transport, peer = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Peer(**kw), local_addr=("127.0.0.1", port)
    )
    return transport, peer, port


def test_an_answer_with_another_service_id_is_skipped_not_taken():
    async def scenario():
        transport, peer, port = await _peer(late=True)
        driver = FinsDriver("p", "127.0.0.1", port, timeout=2)
        try:
            for _ in range(3):
                assert await driver.read_words("DM", 0, 1) == [0x42]
        finally:
            driver.close()
            transport.close()
        assert peer.requests == 3

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_lost_datagram_is_sent_again_retries_times_then_unreachable():
    async def scenario():
        transport, peer, port = await _peer(drop=1)
        retrying = FinsDriver("p", "127.0.0.1", port, timeout=0.3, retries=1)
        try:
            assert await retrying.read_words("DM", 0, 1) == [0x42]
            assert peer.requests == 2
        finally:
            retrying.close()
            transport.close()
        transport, peer, port = await _peer(drop=5)
        once = FinsDriver("p", "127.0.0.1", port, timeout=0.3, node=7)
        try:
            with pytest.raises(PlcUnreachable) as caught:
                await once.read_words("DM", 0, 1)
        finally:
            once.close()
            transport.close()
        assert str(caught.value) == (
            f"no answer on FINS/UDP 127.0.0.1:{port} to reading DM 0..0 within 0.3 s x 1: "
            "wrong IP, FINS node (fins_node = 7) or a firewall"
        )

    asyncio.run(asyncio.wait_for(scenario(), 30))
