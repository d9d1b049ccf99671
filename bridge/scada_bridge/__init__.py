"""scada_bridge: carry PLC equipment failures into SCADA PostgreSQL, and on to Odoo.

The reader side (``read_events``, ``backlog``, ``check_source``, ``read_status``,
``register_reader``, ``record_reader_cursor``) is what Odoo imports; nothing in
this package imports Odoo.
"""

from ._version import __version__ as __version__
from .errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectionRefused,
    ConnectionTimeout,
    CursorAhead,
    DatabaseError,
    DatabaseMissing,
    HostUnknown,
    PlcError,
    PruneRefused,
    ReaderNotOwned,
    ScadaBridgeError,
    SchemaMissing,
    SchemaVersionMismatch,
    StandbyRefused,
)
from .events import (
    CLEARED,
    EVENT_FIELDS,
    KINDS,
    RAISED,
    SEVERITIES,
    TEXT_LIMITS,
    Event,
    NewEvent,
    event_fields,
    event_from_json,
    event_problems,
    event_to_json,
)
from .store.check import SourceCheck, check_source
from .store.connection import connect, parse_target
from .store.horizon import HorizonHolder, horizon_holders
from .store.insert import insert_events
from .store.plc_status import PlcStatusRow, read_status
from .store.reader import START, Backlog, Batch, Cursor, RejectedRow, backlog, read_events
from .store.reader_cursor import (
    ReaderCursor,
    reader_cursors,
    record_reader_cursor,
    register_reader,
)
from .store.reread import Reread, reread_rows
from .store.schema import SCHEMA_VERSION, check_schema, current_version, migrate

__all__ = [
    "CLEARED",
    "EVENT_FIELDS",
    "KINDS",
    "RAISED",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "START",
    "TEXT_LIMITS",
    "AuthenticationFailed",
    "Backlog",
    "Batch",
    "ConfigError",
    "ConnectionRefused",
    "ConnectionTimeout",
    "Cursor",
    "CursorAhead",
    "DatabaseError",
    "DatabaseMissing",
    "Event",
    "HorizonHolder",
    "HostUnknown",
    "NewEvent",
    "PlcError",
    "PlcStatusRow",
    "PruneRefused",
    "ReaderCursor",
    "ReaderNotOwned",
    "RejectedRow",
    "Reread",
    "ScadaBridgeError",
    "SchemaMissing",
    "SchemaVersionMismatch",
    "SourceCheck",
    "StandbyRefused",
    "backlog",
    "check_schema",
    "check_source",
    "connect",
    "current_version",
    "event_fields",
    "event_from_json",
    "event_problems",
    "event_to_json",
    "horizon_holders",
    "insert_events",
    "migrate",
    "parse_target",
    "read_events",
    "read_status",
    "reader_cursors",
    "reread_rows",
    "record_reader_cursor",
    "register_reader",
]
