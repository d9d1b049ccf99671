"""Talking to PLCs: one driver interface (read words/bits of an area, write one word),
the Modbus TCP and Omron FINS drivers, register decoding (data types, byte and word
order, scale) and read planning (as few requests as the protocol's limits allow).

``driver``, ``modbus`` and ``fins`` import only :mod:`scada_bridge.errors` (and the
protocol libraries): :mod:`scada_bridge.config` imports their constants. The other
modules (``registers``, ``planning``, ``connect``) may also import ``config`` and
``events``; never ``store``, ``poller``, ``doctor``, ``simulator`` or ``cli``. This
``__init__`` imports nothing, so importing ``config`` never runs ``registers``.
"""
