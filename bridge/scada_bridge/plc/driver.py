"""The one interface the poller, the doctor and the bridge's tools use to talk to a PLC.

A driver reads words or bits of a named memory *area* and writes one word (the
poller's only write: the opt-in mailbox acknowledgement). Areas are the
protocol's own names: Modbus tables (``holding_register``, ``coil``, ...) or
Omron FINS memory areas (``DM``, ``CIO``, ``W``, ``H``, ``A``). Addresses are
the PLC's own numbers (Modbus counts from 0; ``DM`` 8000 is D8000).

Every failure is a :class:`~scada_bridge.errors.PlcError` with a one-line
message naming the PLC, host and port: :class:`~scada_bridge.errors.PlcUnreachable`
(no connection or no answer in time) or :class:`~scada_bridge.errors.PlcRefused`
(the PLC answered with an error code). Nothing else escapes a driver.

This module imports only :mod:`scada_bridge.errors`: the configuration loader
imports the drivers' constants, so no driver may import ``config``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Driver(ABC):
    """One connection to one PLC; opened lazily by the first call, closed by :meth:`close`."""

    #: ``"modbus"`` or ``"fins"``.
    protocol: str = ""
    #: Areas read bit by bit (:meth:`read_bits`); all others hold 16-bit words.
    bit_areas: frozenset[str] = frozenset()
    #: Most words (bits) one read request may return.
    max_words: int = 1
    max_bits: int = 1

    def __init__(self, name: str, host: str, port: int, timeout: float, retries: int) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.timeout = timeout
        self.retries = retries

    @property
    def where(self) -> str:
        """How messages name this PLC: ``PLC 'line1' at 10.0.0.5:9600``."""
        return f"PLC {self.name!r} at {self.host}:{self.port}"

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection (a no-op when open); :class:`PlcUnreachable` when it cannot."""

    @abstractmethod
    async def read_words(self, area: str, address: int, count: int) -> list[int]:
        """``count`` 16-bit words of ``area`` from ``address`` (at most :attr:`max_words`)."""

    @abstractmethod
    async def read_bits(self, area: str, address: int, count: int) -> list[bool]:
        """``count`` bits of ``area`` from bit ``address`` (at most :attr:`max_bits`)."""

    @abstractmethod
    async def write_word(self, area: str, address: int, value: int) -> None:
        """Write one 16-bit word: the poller's only write (mailbox acknowledgement)."""

    @abstractmethod
    def close(self) -> None:
        """Drop the connection; the next call opens a new one. Never raises."""
