"""The poller's TOML configuration: frozen dataclasses, checked completely at load.

Every mistake stops the program at start with one line naming the file, the key
and what is wrong, e.g.::

    plant.toml: plc[0] 'line1' condition[2].address: 70000 is out of range 0..65535

The reference for every key is ``docs/configuration.md``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .errors import ConfigError
from .events import SEVERITIES
from .plc.fins import AREA_WORDS, AREAS, MAX_WORDS, TRANSPORTS, default_node
from .plc.fins import DEFAULT_PORT as FINS_PORT
from .plc.fins import PROTOCOL as FINS
from .plc.modbus import (
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

__all__ = [
    "BIT_TABLES",
    "COIL",
    "DISCRETE_INPUT",
    "HOLDING_REGISTER",
    "INPUT_REGISTER",
    "MAX_ADDRESS",
    "MAX_BITS",
    "MAX_REGISTERS",
    "TABLES",
    "FINS",
    "MODBUS",
    "DEFAULT_IGNORE",
    "Condition",
    "Config",
    "Database",
    "Mailbox",
    "OdooDoorbell",
    "Plc",
    "PollerSettings",
    "Span",
    "load",
    "parse",
]


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

    @property
    def width(self) -> int:
        """Registers (or bits) this condition reads, starting at ``address``."""
        return TYPE_WIDTH[self.type]

    @property
    def key(self) -> tuple[str, str]:
        return (self.equipment, self.failure_code)


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

    def plc(self, name: str) -> Plc:
        for plc in self.plcs:
            if plc.name == name:
                return plc
        raise KeyError(name)


# -- loading -------------------------------------------------------------------


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


class _Table:
    """A TOML table being read: remembers its path for messages, rejects unknown keys."""

    def __init__(self, file: str, where: str, data: Any) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, Mapping):
            self.fail("", f"must be a table, got {_kind(data)}")
        self.data: Mapping[str, Any] = data

    def fail(self, key: str, what: str) -> None:
        where = f"{self.where}.{key}" if self.where and key else self.where or key
        raise ConfigError(f"{self.file}: {where}: {what}")

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(key, f"unknown key{hint}; allowed here: {', '.join(allowed)}")

    def only_for(self, cls: type, protocol: str = MODBUS, extra: tuple[str, ...] = ()) -> None:
        """Only the keys of ``cls`` for ``protocol`` (plus ``extra``); a key of the other
        protocol gets its own message (a ``table`` on a FINS PLC)."""
        allowed = config_keys(cls, protocol) + extra
        for key in self.data:
            if key in allowed:
                continue
            for other in PROTOCOLS:
                if other != protocol and key in config_keys(cls, other):
                    self.fail(
                        key,
                        f"is a key of protocol = {other!r} PLCs; this PLC has protocol = "
                        f"{protocol!r} (allowed here: {', '.join(allowed)})",
                    )
        self.only(*allowed)

    def has(self, key: str) -> bool:
        return key in self.data

    def sub(self, key: str) -> _Table:
        where = f"{self.where}.{key}" if self.where else key
        return _Table(self.file, where, self.data[key])

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        if key not in self.data:
            if required:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"must be a non-empty string, got {_show(value)}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default, required=default is None)
        if value not in choices:
            self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(
        self, key: str, default: int | None, low: int, high: int, *, required: bool = False
    ) -> int:
        if key not in self.data:
            if required or default is None:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, got {_show(value)}")
        if not low <= value <= high:
            self.fail(key, f"{value} is out of range {low}..{high}")
        return value

    def number(
        self, key: str, default: float | None, low: float | None = None, high: float | None = None
    ) -> float:
        if key not in self.data:
            if default is None:
                self.fail(key, "missing (required)")
            return default  # type: ignore[return-value]
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(key, f"must be a number, got {_show(value)}")
        if low is not None and value < low:
            self.fail(key, f"{value} is below the minimum {low}")
        if high is not None and value > high:
            self.fail(key, f"{value} is above the maximum {high}")
        return float(value)

    def tables(self, key: str) -> list[_Table]:
        value = self.data.get(key, [])
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be an array of tables ([[{key}]]), got {_kind(value)}")
        base = f"{self.where}.{key}" if self.where else key
        return [_Table(self.file, f"{base}[{i}]", item) for i, item in enumerate(value)]


def _kind(value: Any) -> str:
    return {
        dict: "a table",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str | int | float | bool) else _kind(value)


def load(
    path: str | os.PathLike[str], *, db_uri: str | None = None, secrets: bool = True
) -> Config:
    """Read and check a configuration file; raise :class:`ConfigError` on the first mistake.

    ``db_uri`` (e.g. from ``--db``) overrides ``[database] uri``. ``secrets=False``
    (the simulator) does not require the database URI or the Odoo API key.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read configuration file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse(data, file=file, db_uri=db_uri, secrets=secrets)


def parse(
    data: Mapping[str, Any], *, file: Path, db_uri: str | None = None, secrets: bool = True
) -> Config:
    """Check an already-decoded TOML document (see :func:`load`)."""
    name = str(file)
    top = _Table(name, "", data)
    top.only_for(Config)
    database = _database(
        top.sub("database") if top.has("database") else None, name, db_uri, secrets
    )
    poller = _poller(top.sub("poller") if top.has("poller") else _Table(name, "poller", {}), file)
    plcs: list[Plc] = []
    for table in top.tables("plc"):
        plcs.append(_plc(table))
    if not plcs:
        top.fail("plc", "no PLC configured: add at least one [[plc]] table")
    seen: dict[str, str] = {}
    endpoints: dict[tuple[str, int, int], str] = {}
    for table, plc in zip(top.tables("plc"), plcs, strict=True):
        if plc.name in seen:
            table.fail("name", f"{plc.name!r} is already used by {seen[plc.name]}")
        seen[plc.name] = table.where
        fins = plc.protocol == FINS
        endpoint = (plc.host, plc.port, plc.fins_node if fins else plc.device_id)
        if endpoint in endpoints:
            key, what = ("fins_node", "FINS node") if fins else ("device_id", "device id")
            table.fail(
                key,
                f"{plc.host}:{plc.port} {what} {endpoint[2]} is already PLC "
                f"{endpoints[endpoint]!r}; give each PLC its own port or {what}",
            )
        endpoints[endpoint] = plc.name
    odoo = _odoo(top.sub("odoo"), secrets) if top.has("odoo") else None
    return Config(path=file, database=database, poller=poller, plcs=tuple(plcs), odoo=odoo)


def _database(
    table: _Table | None, file: str, db_uri: str | None, secrets: bool = True
) -> Database:
    if table is None:
        table = _Table(file, "database", {})
    table.only_for(Database, extra=("uri_env",))
    env = table.text("uri_env", DEFAULT_DB_ENV)
    uri = db_uri or table.text("uri", None) or os.environ.get(env, "")
    if not uri and secrets:
        table.fail(
            "uri",
            f"no SCADA database: set [database] uri, or the environment variable {env} "
            "(named by [database] uri_env), or pass --db",
        )
    return Database(
        uri=uri,
        connect_timeout=table.integer("connect_timeout", 5, 1, 300),
        retry_max=table.number("retry_max", 30.0, 0.1, 3600),
    )


def _odoo(table: _Table, secrets: bool = True) -> OdooDoorbell:
    table.only_for(OdooDoorbell, extra=("api_key_env",))
    url = table.text("url", required=True).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        table.fail("url", f"{url!r} is not an Odoo base URL: use http://HOST:PORT")
    env = table.text("api_key_env", DEFAULT_ODOO_KEY_ENV)
    key = table.text("api_key", None) or os.environ.get(env, "")
    if not key.strip() and secrets:
        table.fail(
            "api_key_env",
            f"no Odoo API key: set the environment variable {env} (named by "
            "[odoo] api_key_env) to the key of a user in the group SCADA Integration",
        )
    return OdooDoorbell(url=url, api_key=key.strip(), timeout=table.number("timeout", 2.0, 0.1, 60))


def _poller(table: _Table, file: Path) -> PollerSettings:
    table.only_for(PollerSettings)
    state_dir = Path(table.text("state_dir", "state"))
    if not state_dir.is_absolute():
        state_dir = file.resolve().parent / state_dir
    initial = table.number("backoff_initial", 1.0, 0.01, 3600)
    cap = table.number("backoff_max", 60.0, 0.01, 86400)
    if cap < initial:
        table.fail("backoff_max", f"{cap} is below backoff_initial {initial}")
    return PollerSettings(
        state_dir=state_dir,
        backoff_initial=initial,
        backoff_max=cap,
        status_every=table.number("status_every", 5.0, 0.05, 3600),
    )


def _plc(t: _Table) -> Plc:
    protocol = t.choice("protocol", PROTOCOLS, MODBUS)
    t.only_for(Plc, protocol)
    name = t.text("name", required=True)
    if not _NAME_RE.fullmatch(name):
        t.fail("name", f"{name!r}: use letters, digits, '_', '.', '-' (at most 63)")
    t.where = f"{t.where} {name!r}"
    host = t.text("host", required=True)
    interval = t.number("interval", 1.0, 0.01, 86400)
    timeout = t.number("timeout", min(1.0, interval), 0.01, 3600)
    byte_order = t.choice("byte_order", ORDERS, "big")
    word_order = t.choice("word_order", ORDERS, "big")
    fins = protocol == FINS
    max_words = t.integer("fins_max_words", MAX_WORDS, 1, MAX_WORDS) if fins else 0
    limit = max_words if fins else MAX_REGISTERS
    conditions = tuple(
        _condition(c, protocol, byte_order, word_order) for c in t.tables("condition")
    )
    mailbox = _mailbox(t.sub("mailbox"), protocol, byte_order, limit) if t.has("mailbox") else None
    if not conditions and mailbox is None:
        t.fail("condition", "this PLC has nothing to watch: add [[plc.condition]] or [plc.mailbox]")
    _check_overlaps(t, conditions, mailbox)
    node, source = 0, None
    if fins:
        if not t.has("fins_node") and not 1 <= default_node(host) <= 254:
            t.fail(
                "fins_node",
                f"missing: host {host!r} has no last octet to take the node from; give the "
                "PLC's FINS node number (1..254, its node address setting)",
            )
        node = t.integer("fins_node", default_node(host), 1, 254)
        if t.has("fins_source_node"):
            source = t.integer("fins_source_node", None, 1, 254)
            if source == node:
                t.fail("fins_source_node", f"{source} is the PLC's own node (fins_node)")
    return Plc(
        name=name,
        host=host,
        protocol=protocol,
        port=t.integer("port", FINS_PORT if fins else 502, 1, 65535),
        device_id=t.integer("device_id", 1, 0, 255),
        fins_transport=t.choice("fins_transport", TRANSPORTS, "udp"),
        fins_node=node,
        fins_source_node=source,
        fins_max_words=max_words or MAX_WORDS,
        interval=interval,
        timeout=timeout,
        retries=t.integer("retries", 0, 0, 10),
        byte_order=byte_order,
        word_order=word_order,
        max_gap=t.integer("max_gap", limit, 0, MAX_BITS if not fins else limit),
        conditions=conditions,
        mailbox=mailbox,
    )


def _area_size(table: str) -> int:
    """Words (bits) an area or table holds: its addresses are 0..size-1."""
    return AREA_WORDS.get(table, MAX_ADDRESS + 1)


def _condition(t: _Table, protocol: str, byte_order: str, word_order: str) -> Condition:
    t.only_for(Condition, protocol)
    if protocol == FINS:
        table = t.choice("area", AREAS)
    else:
        table = t.choice("table", TABLES)
    bits = table in BIT_TABLES
    type_ = t.choice("type", tuple(TYPE_WIDTH), "bool" if bits else "uint16")
    if bits and type_ != "bool":
        t.fail("type", f"{table} holds single bits: use type = 'bool' (got {type_!r})")
    if not bits and type_ == "bool":
        t.fail("type", f"{table} holds 16-bit registers: use when = 'bit' to test one bit")
    when = t.choice("when", WHENS, "nonzero")
    value: float | None = None
    bit: int | None = None
    if when == "bit":
        if bits:
            t.fail("when", "'bit' applies to registers; a coil or discrete input is one bit")
        if type_ not in ("uint16", "int16"):
            t.fail("when", f"'bit' tests a bit of a 16-bit register, not of {type_}")
        bit = t.integer("bit", None, 0, 15, required=True)
    elif t.has("bit"):
        t.fail("bit", "only used with when = 'bit'")
    if when in ("equal", "above", "below"):
        value = t.number("value", None)
    elif t.has("value"):
        t.fail("value", f"not used with when = {when!r}")
    if bits and when in ("above", "below"):
        t.fail("when", f"{when!r} needs a number; a {table} is 0 or 1 (use 'nonzero' or 'equal')")
    last = _area_size(table) - 1
    address = t.integer("address", None, 0, last, required=True)
    width = TYPE_WIDTH[type_]
    if address + width - 1 > last:
        t.fail("address", f"{type_} at {address} runs past the last address {last} of {table}")
    scale = t.number("scale", 1.0)
    if scale == 0:
        t.fail("scale", "must not be 0")
    return Condition(
        equipment=t.text("equipment", required=True),
        failure_code=t.text("failure_code", required=True),
        description=t.text("description", required=True),
        severity=t.choice("severity", SEVERITIES, "medium"),
        table=table,
        address=address,
        type=type_,
        when=when,
        value=value,
        bit=bit,
        debounce=t.integer("debounce", 1, 1, 1000),
        scale=scale,
        offset=t.number("offset", 0.0),
        byte_order=t.choice("byte_order", ORDERS, byte_order),
        word_order=t.choice("word_order", ORDERS, word_order),
        where=t.where,
    )


def _span(t: _Table, key: str, last: int, limit: int) -> Span:
    if not t.has(key):
        t.fail(key, "missing (required), e.g. { address = 101, registers = 4 }")
    s = t.sub(key)
    s.only_for(Span)
    address = s.integer("address", None, 0, last, required=True)
    registers = s.integer("registers", None, 1, limit, required=True)
    if address + registers - 1 > last:
        s.fail("registers", f"{registers} words at {address} run past address {last}")
    return Span(address, registers)


def _mailbox(t: _Table, protocol: str, byte_order: str, limit: int) -> Mailbox:
    t.only_for(Mailbox, protocol)
    area = t.choice("area", AREAS, "DM") if protocol == FINS else HOLDING_REGISTER
    last = _area_size(area) - 1
    flag = t.integer("flag", None, 0, last, required=True)
    time = t.integer("time", None, 0, last - 5, required=True)
    tz = t.text("clock_timezone", "UTC")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:  # any failure means the name is unusable
        t.fail("clock_timezone", f"{tz!r} is not a known time zone (e.g. 'UTC', 'Europe/Paris')")
    code: str | Span = "PLC_REPORTED"
    if t.has("failure_code") and isinstance(t.data["failure_code"], Mapping):
        code = _span(t, "failure_code", last, limit)
    else:
        code = t.text("failure_code", "PLC_REPORTED")
    ignore = DEFAULT_IGNORE
    if t.has("ignore"):
        raw = t.data["ignore"]
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            t.fail("ignore", f"must be an array of strings, got {_show(raw)}")
        if not isinstance(code, Span):
            t.fail(
                "ignore",
                "lists failure codes read from the PLC: it needs "
                "failure_code = { address = ..., registers = ... }",
            )
        ignore = tuple(raw)
    box = Mailbox(
        flag=flag,
        equipment=_span(t, "equipment", last, limit),
        text=_span(t, "text", last, limit) if t.has("text") else None,
        time=time,
        failure_code=code,
        ignore=ignore,
        severity=t.choice("severity", SEVERITIES, "high"),
        clock_timezone=tz,
        byte_order=t.choice("byte_order", ORDERS, byte_order),
        area=area,
    )
    words = "holding registers" if area == HOLDING_REGISTER else f"{area} words"
    parts = sorted(box.spans().items(), key=lambda kv: kv[1].address)
    for (name_a, a), (name_b, b) in zip(parts, parts[1:], strict=False):
        if a.address + a.registers > b.address:
            t.fail(
                name_b,
                f"{words} {b.address}..{b.address + b.registers - 1} overlap "
                f"mailbox {name_a} ({a.address}..{a.address + a.registers - 1})",
            )
    block = box.block()
    if block.registers > limit:
        t.fail(
            "flag",
            f"the mailbox spans {block.registers} words ({block.address}.."
            f"{block.address + block.registers - 1}); one request reads at most {limit}: "
            "put its parts closer together",
        )
    return box


def _check_overlaps(t: _Table, conditions: tuple[Condition, ...], mailbox: Mailbox | None) -> None:
    """Conditions may share a register only when they read exactly the same one(s).

    Several bits of one status word, or several values of one register, are
    normal; an int32 starting in the middle of another value is a typo.
    """
    seen_keys: dict[tuple[str, str], str] = {}
    for cond in conditions:
        if cond.key in seen_keys:
            raise ConfigError(
                f"{t.file}: {cond.where}: equipment {cond.equipment!r} with failure_code "
                f"{cond.failure_code!r} is already watched by {seen_keys[cond.key]}"
            )
        seen_keys[cond.key] = cond.where
    for i, a in enumerate(conditions):
        for b in conditions[:i]:
            if a.table != b.table:
                continue
            if (a.address, a.width) == (b.address, b.width):
                continue
            if a.address < b.address + b.width and b.address < a.address + a.width:
                raise ConfigError(
                    f"{t.file}: {a.where}.address: {a.table} {a.address}..."
                    f"{a.address + a.width - 1} ({a.type}) partly overlaps {b.where} "
                    f"({b.address}..{b.address + b.width - 1}, {b.type})"
                )
    if mailbox is None:
        return
    for cond in conditions:
        if cond.table != mailbox.area:
            continue
        for part, span in mailbox.spans().items():
            if cond.address < span.address + span.registers and span.address < (
                cond.address + cond.width
            ):
                what = cond.table.replace("_", " ")
                raise ConfigError(
                    f"{t.file}: {cond.where}.address: {what} {cond.address} is inside "
                    f"the mailbox {part} ({span.address}..{span.address + span.registers - 1})"
                )
