"""The configuration's model: frozen dataclasses, the value types and orders, and which
TOML key each field is (``config_keys``: the allowed keys come from the fields, never a
second list). Protocol constants come from ``plc.modbus_tables`` and ``plc.fins_frames``
(no I/O there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..plc.fins_frames import MAX_WORDS
from ..plc.fins_frames import PROTOCOL as FINS
from ..plc.modbus_tables import HOLDING_REGISTER, MAX_REGISTERS
from .sources import MqttSource, OpcUaSource

#: Value types a condition may read, and how many registers each takes.
TYPE_WIDTH = {
    "bool": 1,
    "int16": 1,
    "uint16": 1,
    "bcd": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
}
WHENS = ("nonzero", "bit", "equal", "above", "below")
ORDERS = ("big", "little")

MODBUS = "modbus"
PROTOCOLS = (MODBUS, FINS)
#: Mailbox failure codes that mean "no failure": such a record is acknowledged, not stored.
DEFAULT_IGNORE = ("", "0", "NONE", "NO_FAILURE", "NO_ERROR", "NO ERROR")

DEFAULT_DB_ENV = "SCADA_DB_URI"
DEFAULT_ODOO_KEY_ENV = "ODOO_API_KEY"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Condition:
    """One status condition: when it is true, ``equipment`` has failure ``failure_code``."""

    equipment: str
    failure_code: str
    description: str
    severity: str
    #: The Modbus table, or the FINS memory area (key ``area``): what the driver reads.
    table: str = field(metadata={"key": {MODBUS: "table", FINS: "area"}})
    address: int = field()
    type: str = "uint16"
    when: str = "nonzero"
    value: float | None = None
    bit: int | None = None
    debounce: int = 1
    scale: float = 1.0
    offset: float = 0.0
    byte_order: str = "big"
    word_order: str = "big"
    where: str = field(default="", metadata={"key": None})
    #: ``(equipment, failure_code)``: which failure this is. Computed once here, not per
    #: read: the poller looks it up for every condition it evaluates.
    key: tuple[str, str] = field(init=False, repr=False, compare=False, metadata={"key": None})

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.equipment, self.failure_code))

    @property
    def width(self) -> int:
        """Registers (or bits) this condition reads, starting at ``address``."""
        return TYPE_WIDTH[self.type]


@dataclass(frozen=True)
class Span:
    """A run of words (Modbus holding registers, FINS area words) inside a mailbox."""

    address: int
    registers: int


@dataclass(frozen=True)
class Mailbox:
    """A block of words into which the PLC writes one failure record, then flag 0.

    ``failure_code`` is a fixed code, or a :class:`Span` read as ASCII from the
    record; a code read that is in ``ignore`` means "no failure". Without ``text``
    the description is the failure code.
    """

    flag: int
    equipment: Span
    time: int
    text: Span | None = None
    failure_code: str | Span = "PLC_REPORTED"
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    severity: str = "high"
    clock_timezone: str = "UTC"
    byte_order: str = "big"
    #: Modbus: always holding registers; FINS: the memory area (key ``area``, default DM).
    area: str = field(default=HOLDING_REGISTER, metadata={"protocol": FINS})

    def spans(self) -> dict[str, Span]:
        """Every part of the block, by its configuration key."""
        parts = {"flag": Span(self.flag, 1), "equipment": self.equipment}
        if self.text is not None:
            parts["text"] = self.text
        if isinstance(self.failure_code, Span):
            parts["failure_code"] = self.failure_code
        parts["time"] = Span(self.time, 6)
        return parts

    def block(self) -> Span:
        """The words from the first part to the last: what one request reads."""
        spans = self.spans().values()
        start = min(s.address for s in spans)
        return Span(start, max(s.address + s.registers for s in spans) - start)


@dataclass(frozen=True)
class Plc:
    name: str
    host: str
    protocol: str = MODBUS
    port: int = 502
    device_id: int = field(default=1, metadata={"protocol": MODBUS})
    #: FINS: ``udp`` (default) or ``tcp`` (FINS/TCP with its node address handshake).
    fins_transport: str = field(default="udp", metadata={"protocol": FINS})
    #: FINS destination node (DA1); default: the last octet of ``host``.
    fins_node: int = field(default=0, metadata={"protocol": FINS})
    #: FINS source node (SA1); None: 254 (253 when the PLC is 254); FINS/TCP: assigned.
    fins_source_node: int | None = field(default=None, metadata={"protocol": FINS})
    fins_max_words: int = field(default=MAX_WORDS, metadata={"protocol": FINS})
    interval: float = 1.0
    timeout: float = 1.0
    retries: int = 0
    byte_order: str = "big"
    word_order: str = "big"
    max_gap: int = MAX_REGISTERS
    conditions: tuple[Condition, ...] = field(default=(), metadata={"key": "condition"})
    mailbox: Mailbox | None = None

    @property
    def where(self) -> str:
        if self.protocol == FINS:
            return (
                f"PLC {self.name!r} at {self.host}:{self.port} "
                f"(FINS/{self.fins_transport.upper()} node {self.fins_node})"
            )
        return f"PLC {self.name!r} at {self.host}:{self.port} (device id {self.device_id})"


@dataclass(frozen=True)
class Database:
    #: Holds the password: never in repr (logs, tracebacks).
    uri: str = field(repr=False)
    connect_timeout: int = 5
    retry_max: float = 30.0


@dataclass(frozen=True)
class PollerSettings:
    state_dir: Path
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    status_every: float = 5.0


@dataclass(frozen=True)
class OdooDoorbell:
    """Optional ``[odoo]``: ring ``POST /api/scada/pull`` after events are stored."""

    url: str
    api_key: str = field(repr=False)
    timeout: float = 2.0


@dataclass(frozen=True)
class Config:
    path: Path = field(metadata={"key": None})
    database: Database
    poller: PollerSettings
    plcs: tuple[Plc, ...] = field(default_factory=tuple, metadata={"key": "plc"})
    odoo: OdooDoorbell | None = None
    #: Event sources beside the PLCs (issue 20; :mod:`.sources`).
    mqtt: tuple[MqttSource, ...] = ()
    opcua: tuple[OpcUaSource, ...] = ()

    def plc(self, name: str) -> Plc:
        for plc in self.plcs:
            if plc.name == name:
                return plc
        raise KeyError(name)


def config_keys(cls: type, protocol: str = MODBUS) -> tuple[str, ...]:
    """The TOML keys of a configuration dataclass, from its fields (for ``protocol``).

    A field's ``metadata`` may rename its key (``"key"``: a name, ``None`` for no
    key, or a name per protocol) or limit it to one protocol (``"protocol"``).
    """
    keys = []
    for f in fields(cls):
        key = f.metadata.get("key", f.name)
        if isinstance(key, Mapping):
            key = key.get(protocol)
        only = f.metadata.get("protocol")
        if key is None or (only is not None and only != protocol):
            continue
        keys.append(key)
    return tuple(keys)
