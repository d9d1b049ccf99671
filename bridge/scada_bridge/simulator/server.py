"""The simulated PLCs of a configuration: Modbus TCP servers and Omron FINS PLCs.

FINS PLCs (``protocol = "fins"``) are served over UDP and TCP on their port by
:mod:`.fins`. For Modbus, one server per distinct port of the configuration,
on 127.0.0.1 by default:
each PLC is served at its own ``port`` and ``device_id``; PLCs that share a port
are told apart by their device id (one gateway, several units). Every table
(coils, discrete inputs, holding and input registers) covers address 0 up to
the highest configured address, and any client may write any of them, so a
test or a person injects a fault with an ordinary Modbus write.

Modbus has no function to write discrete inputs or input registers, so each PLC
also answers at an *injection unit*, device id ``device_id + 100`` on the same
port: a write to its coils lands in the PLC's discrete inputs, a write to its
holding registers in the PLC's input registers (same addresses).

At start every condition is inactive and every mailbox flag is 1 (nothing new);
:mod:`.scenario` plays a scenario file against a running :class:`Simulator`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from ..config import (
    COIL,
    DISCRETE_INPUT,
    FINS,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    Condition,
    Config,
    Plc,
    Span,
)
from ..errors import ConfigError
from ..plc.modbus_tables import READ_FUNCTION
from ..plc.registers import bcd_time_registers, condition_registers, encode_ascii
from .fins import FinsMemory, FinsServer

_logger = logging.getLogger(__name__)

#: Function code used to reach each table through the server's datastore.
_READ_FC = READ_FUNCTION
_WRITE_FC = {COIL: 5, DISCRETE_INPUT: 2, HOLDING_REGISTER: 6, INPUT_REGISTER: 4}


def _table_sizes(plc: Plc) -> dict[str, int]:
    """How many addresses each table needs: up to the highest configured one, at least 16."""
    ends = {t: 16 for t in _READ_FC}
    for cond in plc.conditions:
        ends[cond.table] = max(ends[cond.table], cond.address + cond.width)
    if plc.mailbox:
        for span in plc.mailbox.spans().values():
            ends[HOLDING_REGISTER] = max(ends[HOLDING_REGISTER], span.address + span.registers)
    return {t: min(n, 65536) for t, n in ends.items()}


INJECTION_OFFSET = 100


def _tables(plc: Plc) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
    sizes = _table_sizes(plc)

    def bits(table: str) -> list[SimData]:
        return [SimData(0, count=sizes[table], values=False, datatype=DataType.BITS)]

    def regs(table: str) -> list[SimData]:
        return [SimData(0, count=sizes[table], values=0, datatype=DataType.REGISTERS)]

    return (bits(COIL), bits(DISCRETE_INPUT), regs(HOLDING_REGISTER), regs(INPUT_REGISTER))


def _devices(plcs: list[Plc], holder: list[ModbusTcpServer], delay: float = 0.0) -> list[SimDevice]:
    """Each PLC's device, plus its injection unit when that id is free on the port."""
    slow = _slow(delay) if delay > 0 else None
    devices = [SimDevice(p.device_id, simdata=_tables(p), action=slow) for p in plcs]
    taken = {p.device_id for p in plcs}
    for plc in plcs:
        unit = plc.device_id + INJECTION_OFFSET
        if unit > 247 or unit in taken:
            _logger.warning(
                "PLC %r: no injection unit (device id %d is taken or above 247): its discrete "
                "inputs and input registers cannot be written over Modbus",
                plc.name,
                unit,
            )
            continue
        taken.add(unit)
        devices.append(SimDevice(unit, simdata=_tables(plc), action=_forward(plc, holder)))
    return devices


def _slow(delay: float) -> Any:
    """pymodbus action: answer each request after ``delay`` seconds, like a real PLC."""

    async def action(*_args: object) -> None:
        await asyncio.sleep(delay)

    return action


def _forward(plc: Plc, holder: list[ModbusTcpServer]) -> Any:
    """pymodbus action: a write to the injection unit goes to the PLC's read-only tables."""

    async def action(
        function_code: int,
        _start: int,
        address: int,
        _count: int,
        _registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> None:
        if set_values is None or not holder:
            return None
        target = 2 if function_code in (5, 15) else 4  # coils -> DI, holding -> IR
        await holder[0].async_setValues(plc.device_id, target, address, list(set_values))
        return None

    return action


class Simulator:
    """The simulated PLCs of one configuration; also usable from tests."""

    def __init__(self, config: Config, *, host: str = "127.0.0.1", delay: float = 0.0) -> None:
        self.config = config
        self.host = host
        self.delay = delay
        self.servers: dict[int, ModbusTcpServer] = {}
        self.fins_servers: dict[int, FinsServer] = {}
        self.fins_memory: dict[str, FinsMemory] = {}

    def _server(self, plc: Plc) -> ModbusTcpServer:
        return self.servers[plc.port]

    async def _start_fins(self, port: int, plcs: list[Plc]) -> None:
        memories = {}
        for plc in plcs:
            memories[plc.fins_node] = self.fins_memory[plc.name] = FinsMemory(plc.fins_node)
        server = FinsServer(memories, self.delay)
        try:
            await server.start(self.host, port)
        except OSError as exc:
            raise ConfigError(
                f"simulator cannot listen on {self.host}:{port} (UDP and TCP) for FINS PLC(s) "
                f"{', '.join(p.name for p in plcs)} ({exc.strerror or exc}): is the port in "
                "use? Change the port in the configuration or stop the other program"
            ) from None
        self.fins_servers[port] = server
        for plc in plcs:
            _logger.info(
                "PLC %r (FINS node %d) simulated on %s:%d UDP and TCP",
                plc.name,
                plc.fins_node,
                self.host,
                port,
            )

    async def start(self) -> None:
        by_port: dict[int, list[Plc]] = {}
        fins_ports: dict[int, list[Plc]] = {}
        for plc in self.config.plcs:
            group = fins_ports if plc.protocol == FINS else by_port
            group.setdefault(plc.port, []).append(plc)
        try:
            for port, plcs in fins_ports.items():
                await self._start_fins(port, plcs)
            for port, plcs in by_port.items():
                holder: list[ModbusTcpServer] = []
                server = ModbusTcpServer(
                    _devices(plcs, holder, self.delay), address=(self.host, port)
                )
                holder.append(server)
                try:
                    await server.serve_forever(background=True)
                except (OSError, RuntimeError) as exc:
                    raise ConfigError(
                        f"simulator cannot listen on {self.host}:{port} for PLC(s) "
                        f"{', '.join(p.name for p in plcs)} ({exc}): is the port in use? "
                        "Change the port in the configuration or stop the other program"
                    ) from None
                self.servers[port] = server
                for plc in plcs:
                    _logger.info(
                        "PLC %r (device id %d) simulated on %s:%d",
                        plc.name,
                        plc.device_id,
                        self.host,
                        port,
                    )
            for plc in self.config.plcs:
                for cond in plc.conditions:
                    await self.set_condition(plc.name, cond.equipment, cond.failure_code, False)
                if plc.mailbox:
                    await self.write(plc.name, plc.mailbox.area, plc.mailbox.flag, [1])
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        for server in self.servers.values():
            await server.shutdown()
        self.servers.clear()
        for fins in self.fins_servers.values():
            await fins.stop()
        self.fins_servers.clear()

    # -- direct access ---------------------------------------------------------

    async def read(self, plc_name: str, table: str, address: int, count: int = 1) -> list[int]:
        """``count`` values of a Modbus ``table`` or a FINS area of one PLC."""
        plc = self.config.plc(plc_name)
        if plc.protocol == FINS:
            return self.fins_memory[plc_name].read(table, address, count)
        values = await self._server(plc).async_getValues(
            plc.device_id, _READ_FC[table], address, count
        )
        return [int(v) for v in values]

    async def write(
        self, plc_name: str, table: str, address: int, values: Sequence[int | bool]
    ) -> None:
        plc = self.config.plc(plc_name)
        if plc.protocol == FINS:
            self.fins_memory[plc_name].write(table, address, [int(v) for v in values])
            return
        data: list[Any] = (
            [bool(v) for v in values] if table in (COIL, DISCRETE_INPUT) else list(values)
        )
        await self._server(plc).async_setValues(plc.device_id, _WRITE_FC[table], address, data)

    def condition(self, plc_name: str, equipment: str, failure_code: str) -> Condition:
        plc = self.config.plc(plc_name)
        for cond in plc.conditions:
            if cond.key == (equipment, failure_code):
                return cond
        raise KeyError(f"PLC {plc_name!r} has no condition {equipment}/{failure_code}")

    async def set_condition(
        self, plc_name: str, equipment: str, failure_code: str, active: bool
    ) -> None:
        """Write the registers that make a condition true (``active``) or false."""
        cond = self.condition(plc_name, equipment, failure_code)
        current = await self.read(plc_name, cond.table, cond.address, cond.width)
        await self.write(
            plc_name, cond.table, cond.address, condition_registers(cond, active, current)
        )

    async def post_mailbox(
        self,
        plc_name: str,
        equipment: str,
        text: str = "",
        when: datetime | None = None,
        *,
        time_registers: Sequence[int] | None = None,
        failure_code: str = "",
    ) -> None:
        """Fill the mailbox like a PLC: record first, flag 0 last."""
        plc = self.config.plc(plc_name)
        box = plc.mailbox
        if box is None:
            raise KeyError(f"PLC {plc_name!r} has no mailbox")
        if time_registers is None:
            when = when or datetime.now(ZoneInfo(box.clock_timezone))
            time_registers = bcd_time_registers(when, box.byte_order)

        async def put(span: Span, value: str) -> None:
            words = encode_ascii(value, span.registers, box.byte_order)
            await self.write(plc_name, box.area, span.address, words)

        await put(box.equipment, equipment)
        if box.text is not None:
            await put(box.text, text)
        if isinstance(box.failure_code, Span):
            await put(box.failure_code, failure_code)
        await self.write(plc_name, box.area, box.time, list(time_registers))
        await self.write(plc_name, box.area, box.flag, [0])

    async def mailbox_flag(self, plc_name: str) -> int:
        box = self.config.plc(plc_name).mailbox
        assert box is not None
        return (await self.read(plc_name, box.area, box.flag))[0]
