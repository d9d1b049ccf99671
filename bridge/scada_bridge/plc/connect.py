"""The driver for a configured PLC: Modbus TCP or Omron FINS, chosen by ``protocol``."""

from __future__ import annotations

from ..config import FINS, Plc
from .driver import Driver
from .fins import FinsDriver
from .modbus import ModbusDriver


def driver_for(plc: Plc) -> Driver:
    """A new, unconnected driver for ``plc`` (the first call connects)."""
    if plc.protocol == FINS:
        return FinsDriver(
            plc.name,
            plc.host,
            plc.port,
            transport=plc.fins_transport,
            node=plc.fins_node,
            source_node=plc.fins_source_node,
            max_words=plc.fins_max_words,
            timeout=plc.timeout,
            retries=plc.retries,
        )
    return ModbusDriver(
        plc.name,
        plc.host,
        plc.port,
        device_id=plc.device_id,
        timeout=plc.timeout,
        retries=plc.retries,
    )
