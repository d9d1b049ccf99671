# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Configuration of the event sources beside the PLCs: ``[[mqtt]]`` and ``[[opcua]]``.

Frozen dataclasses only (the checks are in :mod:`.sources_load`), so :mod:`.model`
can name them in :class:`~.model.Config` without an import circle. Imports nothing
of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Payload formats an MQTT source reads.
JSON = "json"
SPARKPLUG = "sparkplug"
MQTT_FORMATS = (JSON, SPARKPLUG)

#: OPC UA message security modes (the names the servers' configuration screens use).
SECURITY_MODES = ("None", "Sign", "SignAndEncrypt")
SECURITY_POLICIES = ("Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss")

#: Severity 1..1000 (OPC UA, or a number in a JSON payload) at or above which an
#: event is medium, high, critical (below the first: low).
DEFAULT_SEVERITY_LEVELS = (201, 501, 801)

#: JSON state values meaning "raised" and "cleared" (strings compared case-blind).
DEFAULT_RAISE_VALUES = ("raised", "active", "on", "true", "1", "alarm")
DEFAULT_CLEAR_VALUES = ("cleared", "inactive", "off", "false", "0", "normal", "ok")


@dataclass(frozen=True)
class JsonFields:
    """``[mqtt.json]``: which field of a JSON payload holds what (dotted paths: ``a.b``).

    Without ``state``, every message is one failure record (raised, no clear
    follows: like a PLC mailbox); with it, messages raise and clear.
    """

    equipment: str = "equipment"
    failure_code: str | None = "failure_code"
    state: str | None = None
    time: str | None = "time"
    severity: str | None = "severity"
    description: str | None = "description"
    #: A field that identifies the message (its uid is derived from it, not from the bytes).
    id: str | None = None
    raise_values: tuple[str, ...] = DEFAULT_RAISE_VALUES
    clear_values: tuple[str, ...] = DEFAULT_CLEAR_VALUES


@dataclass(frozen=True)
class MqttSource:
    """``[[mqtt]]``: a broker, the topics to subscribe to (QoS 1, persistent session)."""

    name: str
    host: str
    topics: tuple[str, ...]
    port: int = 1883
    #: Fixed: the broker keeps the session (and the messages waiting) under this id.
    client_id: str = ""
    format: str = JSON
    username: str | None = None
    #: From ``password_env``: never in the file, never in repr.
    password: str = field(default="", repr=False, metadata={"key": None})
    keepalive: int = 30
    #: CA file: connect with TLS and check the broker's certificate against it.
    tls_ca_file: str | None = None
    #: Failure code when the payload has none, and severity when it says nothing.
    failure_code: str = "MQTT_REPORTED"
    severity: str = "high"
    severity_levels: tuple[int, int, int] = DEFAULT_SEVERITY_LEVELS
    #: Equipment names as published -> equipment codes (names not listed pass unchanged).
    equipment_map: tuple[tuple[str, str], ...] = ()
    json: JsonFields = JsonFields()
    #: Sparkplug: Boolean metrics (name patterns, ``*`` and ``?``) that are failure conditions.
    metrics: tuple[str, ...] = ("*",)

    @property
    def where(self) -> str:
        return f"MQTT source {self.name!r} at {self.host}:{self.port} (client id {self.client_id})"


#: How a tag's value makes its condition true (as a register condition's ``when``).
TAG_WHENS = ("nonzero", "equal", "above", "below")


@dataclass(frozen=True)
class OpcUaTag:
    """``[[opcua.tag]]``: a Boolean or integer node watched by subscription, as a condition."""

    node: str
    equipment: str
    failure_code: str
    description: str = ""
    severity: str = "medium"
    when: str = "nonzero"
    value: float | None = None
    #: Seconds the new state must hold before the edge is taken (0: at once).
    hold: float = 0.0


@dataclass(frozen=True)
class OpcUaSource:
    """``[[opcua]]``: an OPC UA server whose Alarms & Conditions become failures."""

    name: str
    endpoint: str
    security: str = "None"
    policy: str = "Basic256Sha256"
    certificate: str | None = None
    private_key: str | None = None
    server_certificate: str | None = None
    username: str | None = None
    password: str = field(default="", repr=False, metadata={"key": None})
    #: Nodes whose events are subscribed to (default: the Server object, i=2253).
    notifiers: tuple[str, ...] = ("i=2253",)
    severity_levels: tuple[int, int, int] = DEFAULT_SEVERITY_LEVELS
    #: SourceName -> equipment code (names not listed pass unchanged).
    equipment_map: tuple[tuple[str, str], ...] = ()
    timeout: float = 5.0
    #: Subscribe to Alarms & Conditions (false for a server that has none: tags only).
    alarms: bool = True
    tags: tuple[OpcUaTag, ...] = field(default=(), metadata={"key": "tag"})

    @property
    def where(self) -> str:
        return f"OPC UA source {self.name!r} at {self.endpoint}"


def severity_of(value: int, levels: tuple[int, int, int]) -> str:
    """OPC UA severity 1..1000 (or a JSON number) as low, medium, high or critical."""
    medium, high, critical = levels
    if value >= critical:
        return "critical"
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    return "low"
