"""The Modbus TCP driver (pymodbus's asyncio client); Modbus's constants are :mod:`.modbus_tables`.

Read function codes only (1-4), plus function 6 (write single register) for the
opt-in mailbox acknowledgement. A device that answers with an exception becomes
:class:`PlcRefused` named from pymodbus's own ``ExcCodes``; no connection, an
I/O error or no answer within ``timeout`` (after ``retries``) becomes
:class:`PlcUnreachable`.

Imports :mod:`scada_bridge.errors`, :mod:`.driver` and :mod:`.modbus_tables`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ModbusException

from ..errors import PlcRefused, PlcUnreachable, first_line
from .driver import Driver
from .modbus_tables import (
    BIT_TABLES,
    COIL,
    DEFAULT_PORT,
    DISCRETE_INPUT,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    MAX_BITS,
    MAX_REGISTERS,
    PROTOCOL,
    READ_FUNCTION,
    TABLES,
    WRITE_SINGLE_REGISTER,
)

#: The pymodbus client method reading each table (read function codes only).
_READ_METHOD = {
    COIL: "read_coils",
    DISCRETE_INPUT: "read_discrete_inputs",
    HOLDING_REGISTER: "read_holding_registers",
    INPUT_REGISTER: "read_input_registers",
}
#: The function code an answer to each method must carry (pymodbus takes any).
_FUNCTION_CODE = {_READ_METHOD[table]: READ_FUNCTION[table] for table in TABLES} | {
    "write_register": WRITE_SINGLE_REGISTER
}


def exception_name(code: int) -> str:
    """``2`` -> ``"illegal address"``, from pymodbus's ``ExcCodes``."""
    try:
        name = ExcCodes(code).name
    except ValueError:
        return "unknown exception"
    # pymodbus 3.16 spells code 10 GATEWAY_PATH_UNAVIABLE.
    return name.replace("UNAVIABLE", "UNAVAILABLE").replace("_", " ").lower()


class ModbusDriver(Driver):
    """One PLC (one ``device_id``) behind one Modbus TCP connection."""

    protocol = PROTOCOL
    bit_areas = frozenset(BIT_TABLES)
    max_words = MAX_REGISTERS
    max_bits = MAX_BITS

    def __init__(
        self,
        name: str,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        device_id: int = 1,
        timeout: float = 1.0,
        retries: int = 0,
    ) -> None:
        super().__init__(name, host, port, timeout, retries)
        self.device_id = device_id
        self._client: AsyncModbusTcpClient | None = None

    @property
    def where(self) -> str:
        return f"PLC {self.name!r} at {self.host}:{self.port} (device id {self.device_id})"

    async def connect(self) -> None:
        if self._client is not None:
            return
        client = AsyncModbusTcpClient(
            self.host,
            port=self.port,
            timeout=self.timeout,
            retries=self.retries,
            reconnect_delay=0,
            name=self.name,
        )
        try:
            ok = await asyncio.wait_for(client.connect(), self.timeout + 1)
        except (asyncio.TimeoutError, OSError, ModbusException):
            ok = False
        if not ok:
            client.close()
            raise PlcUnreachable(
                f"no Modbus TCP connection to {self.host}:{self.port} within "
                f"{self.timeout:g} s (PLC off, wrong host/port, or a firewall)"
            )
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _call(self, what: str, method: str, *args: int, **kwargs: int) -> object:
        await self.connect()
        assert self._client is not None
        try:
            rr = await getattr(self._client, method)(*args, device_id=self.device_id, **kwargs)
        except (ModbusException, OSError, asyncio.TimeoutError) as exc:
            self.close()
            raise PlcUnreachable(
                f"{what} at {self.host}:{self.port} failed: " f"{first_line(exc)}"
            ) from None
        if rr.isError():
            code = int(getattr(rr, "exception_code", 0) or 0)
            raise PlcRefused(
                f"PLC answered exception {code} ({exception_name(code)}) to {what} with "
                f"device id {self.device_id}: check the addresses, table and device_id in "
                "the configuration",
                code=code,
            )
        answered = getattr(rr, "function_code", None)
        if answered != _FUNCTION_CODE[method]:
            # pymodbus hands back an answer of another function (same transaction id)
            # as if it were this one: its values would be read as the PLC's.
            raise PlcRefused(
                f"{self.where} answered {what} with function code {answered} instead of "
                f"{_FUNCTION_CODE[method]}: not a Modbus TCP device at this port, or a "
                "gateway mixing up answers"
            )
        return rr

    async def _read(self, area: str, address: int, count: int) -> Sequence[int | bool]:
        if area not in _READ_METHOD:
            raise PlcRefused(f"{self.where}: {area!r} is not a Modbus table")
        what = f"reading {area} {address}..{address + count - 1}"
        rr = await self._call(what, _READ_METHOD[area], address, count=count)
        values = rr.bits if area in BIT_TABLES else rr.registers  # type: ignore[attr-defined]
        if len(values) < count:
            raise PlcRefused(f"PLC returned {len(values)} values for {area} {address}..")
        return values[:count]

    async def read_words(self, area: str, address: int, count: int) -> list[int]:
        # pymodbus decodes registers to ints: converting each again cost as much as its
        # decoding, 100 words a poll (issue 23). _read's slice is already a new list.
        return await self._read(area, address, count)  # type: ignore[return-value]

    async def read_bits(self, area: str, address: int, count: int) -> list[bool]:
        return [bool(v) for v in await self._read(area, address, count)]

    async def write_word(self, area: str, address: int, value: int) -> None:
        if area != HOLDING_REGISTER:
            raise PlcRefused(f"{self.where}: only holding registers can be written, not {area}")
        await self._call(
            f"writing {value} to holding register {address}", "write_register", address, value
        )
