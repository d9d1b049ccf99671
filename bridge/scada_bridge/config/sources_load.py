# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Reading ``[[mqtt]]`` and ``[[opcua]]`` tables: every key checked, one line per mistake."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..events import SEVERITIES
from .model import _NAME_RE
from .sources import (
    DEFAULT_SEVERITY_LEVELS,
    MQTT_FORMATS,
    SECURITY_MODES,
    SECURITY_POLICIES,
    TAG_WHENS,
    JsonFields,
    MqttSource,
    OpcUaSource,
    OpcUaTag,
)
from .tables import _show, _Table


def _strings(
    t: _Table, key: str, default: tuple[str, ...], *, empty: bool = False
) -> tuple[str, ...]:
    if not t.has(key):
        return default
    raw = t.data[key]
    if not isinstance(raw, list) or not all(isinstance(v, str) and v.strip() for v in raw):
        t.fail(key, f"must be an array of non-empty strings, got {_show(raw)}")
    if not raw and not empty:
        t.fail(key, "must not be empty")
    return tuple(raw)


def _levels(t: _Table) -> tuple[int, int, int]:
    if not t.has("severity_levels"):
        return DEFAULT_SEVERITY_LEVELS
    raw = t.data["severity_levels"]
    ok = isinstance(raw, list) and len(raw) == 3
    ok = ok and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1000 for v in raw)
    if not ok or not raw[0] < raw[1] < raw[2]:
        t.fail(
            "severity_levels",
            f"must be three rising integers 1..1000 (medium, high, critical from), got {_show(raw)}"
            if not ok
            else f"{raw} must rise: medium < high < critical",
        )
    return (raw[0], raw[1], raw[2])


def _map(t: _Table, key: str) -> tuple[tuple[str, str], ...]:
    if not t.has(key):
        return ()
    raw = t.data[key]
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, str) and v.strip() for v in raw.values()
    ):
        t.fail(key, f"must be a table of names to equipment codes, got {_show(raw)}")
    return tuple((str(k), v) for k, v in raw.items())


def _name(t: _Table) -> str:
    name = t.text("name", required=True)
    if not _NAME_RE.fullmatch(name):
        t.fail("name", f"{name!r}: use letters, digits, '_', '.', '-' (at most 63)")
    t.where = f"{t.where} {name!r}"
    return name


def _password(t: _Table, secrets: bool, what: str) -> tuple[str | None, str]:
    user = t.text("username", None)
    env = t.text("password_env", None)
    if env is not None and user is None:
        t.fail("password_env", "needs username")
    password = os.environ.get(env, "") if env else ""
    if env and not password and secrets:
        t.fail("password_env", f"the environment variable {env} is empty: set it to {what}")
    return user, password


def _json(t: _Table) -> JsonFields:
    t.only_for(JsonFields)
    d = JsonFields()

    def path(key: str, default: str | None) -> str | None:
        return t.text(key, default)

    raise_values = tuple(v.lower() for v in _strings(t, "raise_values", d.raise_values))
    clear_values = tuple(v.lower() for v in _strings(t, "clear_values", d.clear_values))
    both = set(raise_values) & set(clear_values)
    if both:
        t.fail("clear_values", f"{sorted(both)} also in raise_values")
    return JsonFields(
        equipment=t.text("equipment", d.equipment),
        failure_code=path("failure_code", d.failure_code),
        state=path("state", d.state),
        time=path("time", d.time),
        severity=path("severity", d.severity),
        description=path("description", d.description),
        id=path("id", d.id),
        raise_values=raise_values,
        clear_values=clear_values,
    )


def mqtt_source(t: _Table, secrets: bool = True) -> MqttSource:
    t.only_for(MqttSource, extra=("password_env",))
    name = _name(t)
    fmt = t.choice("format", MQTT_FORMATS, "json")
    topics = _strings(t, "topics", ())
    if not topics:
        t.fail("topics", 'missing (required), e.g. topics = ["plant/+/alarms"]')
    for topic in topics:
        if "#" in topic[:-1] or any("+" in p and p != "+" for p in topic.split("/")):
            t.fail("topics", f"{topic!r} is not an MQTT topic filter ('+' a whole level, '#' last)")
    user, password = _password(t, secrets, "the broker password")
    ca = t.text("tls_ca_file", None)
    if ca is not None and not Path(ca).is_file():
        t.fail("tls_ca_file", f"{ca!r}: no such file")
    if fmt != "json" and t.has("json"):
        t.fail("json", f"only for format = 'json' (this source has format = {fmt!r})")
    if fmt != "sparkplug" and t.has("metrics"):
        t.fail("metrics", f"only for format = 'sparkplug' (this source has format = {fmt!r})")
    return MqttSource(
        name=name,
        host=t.text("host", required=True),
        topics=topics,
        port=t.integer("port", 8883 if ca else 1883, 1, 65535),
        client_id=t.text("client_id", f"scada-bridge-{name}"),
        format=fmt,
        username=user,
        password=password,
        keepalive=t.integer("keepalive", 30, 5, 3600),
        tls_ca_file=ca,
        failure_code=t.text("failure_code", "MQTT_REPORTED"),
        severity=t.choice("severity", SEVERITIES, "high"),
        severity_levels=_levels(t),
        equipment_map=_map(t, "equipment_map"),
        json=_json(t.sub("json")) if t.has("json") else JsonFields(),
        metrics=_strings(t, "metrics", ("*",)),
    )


def _tag(t: _Table) -> OpcUaTag:
    t.only_for(OpcUaTag)
    node = t.text("node", required=True)
    if not any(node.startswith(p) or f";{p}" in node for p in ("i=", "s=", "g=", "b=")):
        t.fail("node", f"{node!r} is not a NodeId: use e.g. 'ns=2;s=Pump1.Fault' or 'ns=3;i=1002'")
    when = t.choice("when", TAG_WHENS, "nonzero")
    value = t.number("value", None) if when != "nonzero" else None
    if when == "nonzero" and t.has("value"):
        t.fail("value", "not used with when = 'nonzero'")
    return OpcUaTag(
        node=node,
        equipment=t.text("equipment", required=True),
        failure_code=t.text("failure_code", required=True),
        description=t.text("description", ""),
        severity=t.choice("severity", SEVERITIES, "medium"),
        when=when,
        value=value,
        hold=t.number("hold", 0.0, 0.0, 3600),
    )


def _bool(t: _Table, key: str, default: bool) -> bool:
    value = t.data.get(key, default)
    if not isinstance(value, bool):
        t.fail(key, f"must be true or false, got {_show(value)}")
    return value


def opcua_source(t: _Table, secrets: bool = True) -> OpcUaSource:
    t.only_for(OpcUaSource, extra=("password_env",))
    name = _name(t)
    endpoint = t.text("endpoint", required=True)
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme != "opc.tcp" or not parts.hostname:
        t.fail("endpoint", f"{endpoint!r} is not an OPC UA endpoint: use opc.tcp://HOST:PORT")
    security = t.choice("security", SECURITY_MODES, "None")
    files = {}
    for key in ("certificate", "private_key", "server_certificate"):
        value = t.text(key, None)
        if value is not None and not Path(value).is_file():
            t.fail(key, f"{value!r}: no such file")
        files[key] = value
    if security != "None":
        for key in ("certificate", "private_key"):
            if files[key] is None:
                t.fail(
                    key,
                    f"missing: security = {security!r} needs the client's certificate and "
                    "private key files (trust the certificate on the server)",
                )
    user, password = _password(t, secrets, "the OPC UA user's password")
    alarms = _bool(t, "alarms", True)
    tags = tuple(_tag(tag) for tag in t.tables("tag"))
    if not alarms and not tags:
        t.fail("alarms", "false, and no [[opcua.tag]]: this source has nothing to watch")
    keys = [(tag.equipment, tag.failure_code) for tag in tags]
    if len(set(keys)) != len(keys):
        t.fail("tag", "two tags have the same equipment and failure_code: one failure each")
    return OpcUaSource(
        name=name,
        endpoint=endpoint,
        security=security,
        policy=t.choice("policy", SECURITY_POLICIES, "Basic256Sha256"),
        certificate=files["certificate"],
        private_key=files["private_key"],
        server_certificate=files["server_certificate"],
        username=user,
        password=password,
        notifiers=_strings(t, "notifiers", ("i=2253",)),
        severity_levels=_levels(t),
        equipment_map=_map(t, "equipment_map"),
        timeout=t.number("timeout", 5.0, 0.1, 600),
        alarms=alarms,
        tags=tags,
    )


def sources(
    top: _Table, secrets: bool = True, plc_names: Sequence[str] = ()
) -> tuple[tuple[MqttSource, ...], tuple[OpcUaSource, ...]]:
    """The ``[[mqtt]]`` and ``[[opcua]]`` tables of a configuration file; their names are
    rows of scada.plc_status beside the PLCs', so no name may be used twice."""
    mqtt = tuple(mqtt_source(t, secrets) for t in top.tables("mqtt"))
    opcua = tuple(opcua_source(t, secrets) for t in top.tables("opcua"))
    seen = {name: "a [[plc]]" for name in plc_names}
    named: list[tuple[str, Sequence[MqttSource | OpcUaSource]]] = [("mqtt", mqtt), ("opcua", opcua)]
    for kind, found in named:
        for t, source in zip(top.tables(kind), found, strict=True):
            if source.name in seen:
                t.fail("name", f"{source.name!r} is already used by {seen[source.name]}")
            seen[source.name] = f"[[{kind}]] {source.name!r}"
    ids: dict[tuple[str, int, str], str] = {}
    for t, m in zip(top.tables("mqtt"), mqtt, strict=True):
        key = (m.host, m.port, m.client_id)
        if key in ids:
            t.fail(
                "client_id",
                f"{m.client_id!r} is already used by {ids[key]} on {m.host}:{m.port}: the broker "
                "would throw one session out for the other; give each source its own",
            )
        ids[key] = m.name
    return mqtt, opcua
