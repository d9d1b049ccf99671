"""The poller's TOML configuration: frozen dataclasses, checked completely at load.

Every mistake stops the program at start with one line naming the file, the key
and what is wrong, e.g.::

    plant.toml: plc[0] 'line1' condition[2].address: 70000 is out of range 0..65535

The reference for every key is ``docs/configuration.md``.

The package: :mod:`.model` (the dataclasses and which key each field is),
:mod:`.tables` (one TOML table read and checked), :mod:`.load` (the file, table by
table). Imports only ``errors``, ``events`` and the PLC drivers' constants
(``plc.modbus_tables``, ``plc.fins_frames``: no driver, no pymodbus).
"""

from __future__ import annotations

from ..plc.modbus_tables import (
    BIT_TABLES,
    COIL,
    DISCRETE_INPUT,
    HOLDING_REGISTER,
    INPUT_REGISTER,
    MAX_ADDRESS,
    MAX_BITS,
    MAX_REGISTERS,
    TABLES,
)
from .load import load, parse
from .model import (
    DEFAULT_IGNORE,
    FINS,
    MODBUS,
    PROTOCOLS,
    TYPE_WIDTH,
    Condition,
    Config,
    Database,
    Mailbox,
    OdooDoorbell,
    Plc,
    PollerSettings,
    Span,
    config_keys,
)

__all__ = [
    "BIT_TABLES",
    "COIL",
    "DEFAULT_IGNORE",
    "DISCRETE_INPUT",
    "FINS",
    "HOLDING_REGISTER",
    "INPUT_REGISTER",
    "MAX_ADDRESS",
    "MAX_BITS",
    "MAX_REGISTERS",
    "MODBUS",
    "PROTOCOLS",
    "TABLES",
    "TYPE_WIDTH",
    "Condition",
    "Config",
    "Database",
    "Mailbox",
    "OdooDoorbell",
    "Plc",
    "PollerSettings",
    "Span",
    "config_keys",
    "load",
    "parse",
]
