"""Modbus's own constants: the four tables as the configuration names them, their read
function codes and the protocol's limits.

No pymodbus and no I/O here: the configuration loader, the read planner and the
simulator use these without loading the driver (:mod:`.modbus`). Imports nothing
of ``scada_bridge``.
"""

from __future__ import annotations

PROTOCOL = "modbus"
DEFAULT_PORT = 502

#: Modbus tables, as named in the configuration.
COIL = "coil"
DISCRETE_INPUT = "discrete_input"
HOLDING_REGISTER = "holding_register"
INPUT_REGISTER = "input_register"
TABLES = (COIL, DISCRETE_INPUT, HOLDING_REGISTER, INPUT_REGISTER)
BIT_TABLES = (COIL, DISCRETE_INPUT)

#: Protocol limits: registers / bits one read request may return; highest address.
MAX_REGISTERS = 125
MAX_BITS = 2000
MAX_ADDRESS = 65535

#: Function code of a read of each table (1-4), and of write single register (6):
#: the poller's only write, the mailbox acknowledgement.
READ_FUNCTION = {COIL: 1, DISCRETE_INPUT: 2, HOLDING_REGISTER: 3, INPUT_REGISTER: 4}
WRITE_SINGLE_REGISTER = 6
