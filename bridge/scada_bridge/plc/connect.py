"""The driver for a configured PLC: Modbus TCP or Omron FINS, chosen by ``protocol``."""

from __future__ import annotations

from ..config import Plc
from .driver import Driver
from .modbus import ModbusDriver


def driver_for(plc: Plc) -> Driver:
    """A new, unconnected driver for ``plc`` (the first call connects)."""
    return ModbusDriver(
        plc.name,
        plc.host,
        plc.port,
        device_id=plc.device_id,
        timeout=plc.timeout,
        retries=plc.retries,
    )
