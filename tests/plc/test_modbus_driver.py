"""The Modbus driver behind the driver interface, against a real pymodbus server
(the simulator) on 127.0.0.1: the same calls the FINS driver answers."""

from __future__ import annotations

import asyncio

import pytest
from pymodbus.constants import ExcCodes
from scada_bridge.errors import PlcRefused, PlcUnreachable
from scada_bridge.plc.modbus import ModbusDriver, exception_name

from tests.poller_fixtures import free_port, simulated, write_config


def test_exception_names_are_pymodbus_own():
    assert exception_name(ExcCodes.ILLEGAL_ADDRESS) == "illegal address"
    assert exception_name(10) == "gateway path unavailable"  # pymodbus spells it UNAVIABLE
    assert exception_name(99) == "unknown exception"


def test_words_bits_write_and_refusals(tmp_path):
    port = free_port()
    config = write_config(
        tmp_path / "p.toml",
        f'[database]\nuri = "postgresql://x@h/db"\n[[plc]]\nname = "p"\nhost = "127.0.0.1"\n'
        f'port = {port}\n[[plc.condition]]\nequipment = "e"\nfailure_code = "F"\n'
        'description = "d"\ntable = "holding_register"\naddress = 20\n'
        '[[plc.condition]]\nequipment = "e"\nfailure_code = "G"\ndescription = "d"\n'
        'table = "coil"\naddress = 5\n',
    )

    async def scenario():
        async with simulated(config) as sim:
            driver = ModbusDriver("p", "127.0.0.1", port, timeout=2)
            try:
                await sim.write("p", "holding_register", 19, [7, 8])
                await sim.write("p", "coil", 5, [True])
                assert await driver.read_words("holding_register", 19, 2) == [7, 8]
                assert await driver.read_bits("coil", 4, 2) == [False, True]
                await driver.write_word("holding_register", 20, 1)
                assert await sim.read("p", "holding_register", 20) == [1]
                with pytest.raises(PlcRefused, match="only holding registers can be written"):
                    await driver.write_word("input_register", 0, 1)
                with pytest.raises(PlcRefused, match=r"exception 2 \(illegal address\)") as exc:
                    await driver.read_words("holding_register", 60000, 2)
                assert exc.value.code == 2
            finally:
                driver.close()
        dead = ModbusDriver("p", "127.0.0.1", port, timeout=0.5)
        with pytest.raises(PlcUnreachable, match=f"no Modbus TCP connection to 127.0.0.1:{port}"):
            await dead.read_words("holding_register", 0, 1)

    asyncio.run(asyncio.wait_for(scenario(), 30))
