"""Loading the poller's TOML file: :func:`load` and :func:`parse`, table by table,
against the limits of ``plc.modbus_tables`` and ``plc.fins_frames``."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib  # requires-python >= 3.11: no tomli fallback

from ..errors import ConfigError
from ..events import SEVERITIES, TEXT_LIMITS
from ..plc.fins_frames import AREA_WORDS, AREAS, MAX_WORDS, TRANSPORTS, default_node
from ..plc.fins_frames import DEFAULT_PORT as FINS_PORT
from ..plc.modbus_tables import (
    BIT_TABLES,
    HOLDING_REGISTER,
    MAX_ADDRESS,
    MAX_BITS,
    MAX_REGISTERS,
    TABLES,
)
from .model import (
    _NAME_RE,
    DEFAULT_DB_ENV,
    DEFAULT_IGNORE,
    DEFAULT_ODOO_KEY_ENV,
    FINS,
    MODBUS,
    ORDERS,
    PROTOCOLS,
    TYPE_WIDTH,
    WHENS,
    Condition,
    Config,
    Database,
    Mailbox,
    OdooDoorbell,
    Plc,
    PollerSettings,
    Span,
)
from .overlaps import check_overlaps
from .sources_load import sources
from .tables import _show, _Table


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
    mqtt, opcua = sources(top, secrets, [p.name for p in plcs])
    if not plcs and not mqtt and not opcua:
        top.fail(
            "plc", "no PLC configured and no source: add a [[plc]], [[opcua]] or [[mqtt]] table"
        )
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
    return Config(
        path=file,
        database=database,
        poller=poller,
        plcs=tuple(plcs),
        odoo=odoo,
        mqtt=mqtt,
        opcua=opcua,
    )


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
    check_overlaps(t, conditions, mailbox)
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
        equipment=_bounded(t, "equipment", "equipment_code"),
        failure_code=_bounded(t, "failure_code", "failure_code"),
        description=_bounded(t, "description", "description"),
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


def _bounded(t: _Table, key: str, field: str) -> str:
    """A required text no longer than the event field it fills (events.TEXT_LIMITS): a
    longer one would make every event of the condition a refused one."""
    value = t.text(key, required=True)
    if len(value) > TEXT_LIMITS[field]:
        t.fail(key, f"is {len(value)} characters long, more than the {TEXT_LIMITS[field]} allowed")
    return value


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
