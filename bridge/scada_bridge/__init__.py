"""scada_bridge: carry PLC equipment failures into SCADA PostgreSQL, and on to Odoo.

The reader side (``read_events``, ``backlog``, ``check_source``) is what Odoo
imports; nothing in this package imports Odoo.
"""

from .check import SourceCheck, check_source
from .db import connect, parse_target
from .errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectionRefused,
    ConnectionTimeout,
    DatabaseError,
    DatabaseMissing,
    HostUnknown,
    PlcError,
    ScadaBridgeError,
    SchemaMissing,
    SchemaVersionMismatch,
)
from .events import CLEARED, EVENT_FIELDS, KINDS, RAISED, SEVERITIES, Event, NewEvent, event_fields
from .reader import START, Backlog, Batch, Cursor, RejectedRow, backlog, read_events
from .schema import SCHEMA_VERSION, check_schema, current_version, migrate
from .store import insert_events

__version__ = "0.1.0"

__all__ = [
    "CLEARED",
    "EVENT_FIELDS",
    "KINDS",
    "RAISED",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "START",
    "AuthenticationFailed",
    "Backlog",
    "Batch",
    "ConfigError",
    "ConnectionRefused",
    "ConnectionTimeout",
    "Cursor",
    "DatabaseError",
    "DatabaseMissing",
    "Event",
    "HostUnknown",
    "NewEvent",
    "PlcError",
    "RejectedRow",
    "ScadaBridgeError",
    "SchemaMissing",
    "SchemaVersionMismatch",
    "SourceCheck",
    "backlog",
    "check_schema",
    "check_source",
    "connect",
    "current_version",
    "event_fields",
    "insert_events",
    "migrate",
    "parse_target",
    "read_events",
]
