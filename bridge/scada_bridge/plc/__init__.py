"""Talking to PLCs: one driver interface (read words/bits of an area, write one word),
the Modbus TCP and Omron FINS drivers, register decoding (data types, byte and word
order, scale) and read planning (as few requests as the protocol's limits allow).

The protocols apart from I/O: ``fins_frames`` (FINS frames, end codes, builders
and parsers) and ``modbus_tables`` (Modbus tables, function codes, limits) import
only :mod:`scada_bridge.errors`; :mod:`scada_bridge.config` imports them, so
loading a configuration never loads pymodbus nor opens a socket. The drivers
(``driver``, ``modbus``, ``fins``), ``registers``, ``planning`` and ``connect``
may also import ``config`` and ``events``; never ``store``, ``poller``,
``doctor``, ``simulator`` or ``cli``. This ``__init__`` imports nothing.
"""
