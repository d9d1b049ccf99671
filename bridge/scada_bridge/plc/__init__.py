"""Talking to PLCs: register decoding (data types, byte and word order, scale) and
read planning (as few requests as the protocol's limits allow).

Imports only :mod:`scada_bridge.config`, :mod:`scada_bridge.events` and
:mod:`scada_bridge.errors` (and the protocol libraries); never ``store``, ``poller``,
``doctor``, ``simulator`` or ``cli``.
"""
